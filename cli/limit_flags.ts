/**
 * The limit flags (`--max-clients`, `--auth-timeout`, `--max-reply-buffer`,
 * `--max-queued-writes`): pure parsing into NodeLimits, or the usage error.
 */
import { DEFAULT_NODE_LIMITS, type NodeLimits } from "../cluster/node_limits.ts";

/** The limit flags as given (undefined: not given). */
export interface LimitFlagValues {
  readonly "max-clients"?: string;
  readonly "auth-timeout"?: string;
  readonly "max-reply-buffer"?: string;
  readonly "max-queued-writes"?: string;
}

/** What each limit flag needs, as usage errors say it. */
export const LIMIT_NEEDS: Readonly<Record<keyof LimitFlagValues, string>> = {
  "max-clients": "a number of clients (0 for no limit)",
  "auth-timeout": "a number of seconds (0 for none)",
  "max-reply-buffer": "a size such as 32mb, 512kb or 1gb (0 for no limit)",
  "max-queued-writes": "a number of writes (0 for no limit)",
};

const UNIT_BYTES: Readonly<Record<string, number>> = { "": 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** Whole numbers up to 2^31 − 1, as the other count flags. */
function parseCount(text: string): number | undefined {
  return /^\d{1,10}$/.test(text) && Number(text) <= 2 ** 31 - 1 ? Number(text) : undefined;
}

/** Seconds, fractions allowed, up to a day. */
function parseSecondsAsMs(text: string): number | undefined {
  return /^\d+(\.\d+)?$/.test(text) && Number(text) <= 86_400 ? Math.round(Number(text) * 1000) : undefined;
}

/** `32mb`, `512k`, `1gb`, `1048576` (case-insensitive; binary units, as Redis's config), up to 1 TiB. */
export function parseByteSize(text: string): number | undefined {
  const match = /^(\d{1,13})([kmg]?b?)$/i.exec(text);
  if (!match) return undefined;
  const bytes = Number(match[1]) * UNIT_BYTES[match[2].toLowerCase()];
  return bytes <= 1024 ** 4 ? bytes : undefined;
}

/**
 * The limits from the flags given, defaults for the others; or a usage
 * error naming the flag as the user spelled it.
 */
export function parseLimitFlags(
  values: LimitFlagValues,
  spelled: (name: keyof LimitFlagValues) => string,
): NodeLimits | string {
  const read = (name: keyof LimitFlagValues, parse: (text: string) => number | undefined, fallback: number) => {
    const text = values[name];
    if (text === undefined) return fallback;
    return parse(text) ?? `${spelled(name)} needs ${LIMIT_NEEDS[name]}, got '${text}'`;
  };
  const limits = {
    maxClients: read("max-clients", parseCount, DEFAULT_NODE_LIMITS.maxClients),
    authTimeoutMs: read("auth-timeout", parseSecondsAsMs, DEFAULT_NODE_LIMITS.authTimeoutMs),
    maxReplyBufferBytes: read("max-reply-buffer", parseByteSize, DEFAULT_NODE_LIMITS.maxReplyBufferBytes),
    maxQueuedWrites: read("max-queued-writes", parseCount, DEFAULT_NODE_LIMITS.maxQueuedWrites),
  };
  for (const value of Object.values(limits)) if (typeof value === "string") return value;
  return limits as NodeLimits;
}

/**
 * A list selector as the byte range it reads, and cursors: Deno KV's rules.
 * A prefix reads (prefix + 0x00, prefix + 0xff), so never the prefix key
 * itself; `start` is inclusive, `end` exclusive. A cursor is the base64url
 * of the last key read, less the selector's common prefix (the prefix, or
 * what start and end share); resuming reads after it (before it in
 * reverse) and must stay inside the selector's bounds.
 */
import { encodeKey } from "./key_codec.ts";
import { checkReadKey } from "./limits.ts";
import type { KvKey, KvListSelector } from "./types.ts";

/** A selector's keys, encoded. */
export interface RawSelector {
  readonly prefix?: string;
  readonly start?: string;
  readonly end?: string;
}

/** A selector's keys, unencoded, once its shape is known to be one list() takes. */
export interface SelectorKeys {
  readonly prefix?: KvKey;
  readonly start?: KvKey;
  readonly end?: KvKey;
}

/** Checks a selector's shape, as Deno KV's list() does when called. */
export function selectorKeys(selector: KvListSelector): SelectorKeys {
  const s = selector as { prefix?: KvKey; start?: KvKey; end?: KvKey };
  const prefix = Object.hasOwn(s, "prefix") && s.prefix !== undefined ? s.prefix : undefined;
  const start = Object.hasOwn(s, "start") && s.start !== undefined ? s.start : undefined;
  const end = Object.hasOwn(s, "end") && s.end !== undefined ? s.end : undefined;
  if (prefix) {
    if (start && end) {
      throw new TypeError("Selector can not specify both 'start' and 'end' key when specifying 'prefix'");
    }
  } else if (!start || !end) {
    throw new TypeError("Selector must specify either 'prefix' or both 'start' and 'end' key");
  }
  return { prefix, start, end };
}

/** Encodes a selector's keys; throws TypeError (as Deno KV's first read does) when they are out of place. */
export function rawSelector(keys: SelectorKeys): RawSelector {
  const raw = {
    prefix: keys.prefix && encodeKey(keys.prefix),
    start: keys.start && encodeKey(keys.start),
    end: keys.end && encodeKey(keys.end),
  };
  if (raw.prefix !== undefined) {
    if (raw.start !== undefined && !isStrictlyUnder(raw.start, raw.prefix)) {
      throw new TypeError("Start key is not in the keyspace defined by prefix");
    }
    if (raw.end !== undefined && !isStrictlyUnder(raw.end, raw.prefix)) {
      throw new TypeError("End key is not in the keyspace defined by prefix");
    }
  } else if (raw.start! > raw.end!) {
    throw new TypeError("Start key is greater than end key");
  }
  return raw;
}

function isStrictlyUnder(key: string, prefix: string): boolean {
  return key.length > prefix.length && key.startsWith(prefix);
}

function rangeStart(raw: RawSelector): string {
  return raw.start ?? raw.prefix + "\0";
}

function rangeEnd(raw: RawSelector): string {
  return raw.end ?? raw.prefix + "\xff";
}

function commonPrefix(raw: RawSelector): string {
  if (raw.prefix !== undefined) return raw.prefix;
  const a = raw.start!;
  const b = raw.end!;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return a.slice(0, i);
}

/** The byte range [start, end) a read of `raw` covers, resumed after `cursor` if given. */
export function readRange(raw: RawSelector, reverse: boolean, cursor: string | undefined): [string, string] {
  let range: [string, string];
  if (cursor === undefined) {
    range = [rangeStart(raw), rangeEnd(raw)];
  } else {
    const resume = commonPrefix(raw) + decodeCursor(cursor);
    range = reverse ? [rangeStart(raw), resume] : [resume + "\0", rangeEnd(raw)];
    if ((raw.start !== undefined && range[0] < raw.start) || (raw.end !== undefined && range[1] > raw.end)) {
      throw new TypeError("cursor out of bounds");
    }
  }
  checkReadKey(range[0]);
  checkReadKey(range[1]);
  return range;
}

/** The cursor that resumes a listing of `raw` after the entry keyed `key` (encoded). */
export function encodeCursor(raw: RawSelector, key: string): string {
  const prefix = commonPrefix(raw);
  if (!key.startsWith(prefix)) throw new TypeError("Invalid boundary key");
  return btoa(key.slice(prefix.length)).replaceAll("+", "-").replaceAll("/", "_");
}

const CURSOR = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}==|[A-Za-z0-9_-]{3}=)?$/;

function decodeCursor(cursor: string): string {
  if (typeof cursor !== "string" || !CURSOR.test(cursor)) throw new TypeError("invalid cursor");
  return atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
}

/** Durations written as Go's time.Duration.String writes them, as the original uhaha shows them. */

/** A Go-style duration: 1h2m3.5s, 31.700387018s, 250ms. */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return "0s"; // as Go's Duration.String
  if (ns < 1_000_000_000n) {
    if (ns >= 1_000_000n) return `${trimFraction(ns, 1_000_000n)}ms`;
    if (ns >= 1_000n) return `${trimFraction(ns, 1_000n)}µs`;
    return `${ns}ns`;
  }
  const hours = ns / 3_600_000_000_000n;
  const minutes = (ns / 60_000_000_000n) % 60n;
  const seconds = trimFraction(ns % 60_000_000_000n, 1_000_000_000n);
  return (hours ? `${hours}h` : "") + (hours || minutes ? `${minutes}m` : "") + `${seconds}s`;
}

function trimFraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const fraction = String(value % unit).padStart(String(unit).length - 1, "0").replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : String(whole);
}

const UNIT_NS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * Parses a duration as Go's time.ParseDuration does (`10m`, `1h30m`, `1.5s`,
 * `250ms`; no sign), in milliseconds; or what is wrong with it.
 * @example parseGoDuration("1m30s") // 90000
 */
export function parseGoDuration(text: string): number | string {
  if (text === "0") return 0;
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let ns = 0;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const match = part.exec(text);
    if (!match) return `not a duration like 10m, 1h30m or 45s: '${text}'`;
    ns += Number(match[1]) * UNIT_NS[match[2]];
    at = part.lastIndex;
  }
  if (text === "") return "an empty duration";
  return ns / 1e6;
}

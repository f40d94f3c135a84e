/**
 * Go-style durations as bigint nanoseconds: `-5m`, `1h30m`, `1.5s`, `250ms`,
 * `10us` (or `µs`), `7ns`, plus `d` for days (24h). Formatting follows Go's
 * `time.Duration.String()`: `168h0m0s`, `1.5s`, `250ms`.
 */

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "µs": 1_000n,
  "μs": 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)/y;

/** Nanoseconds, or undefined if `text` is not a duration. */
export function parseDuration(text: string): bigint | undefined {
  let at = 0;
  let sign = 1n;
  if (text[0] === "-" || text[0] === "+") {
    sign = text[0] === "-" ? -1n : 1n;
    at = 1;
  }
  if (text.slice(at) === "0") return 0n;
  if (at === text.length) return undefined;
  let total = 0n;
  while (at < text.length) {
    PART.lastIndex = at;
    const match = PART.exec(text);
    if (!match) return undefined;
    at = PART.lastIndex;
    const [whole, fraction = ""] = match[1].split(".");
    const unit = UNITS[match[2]];
    // Exact: whole*unit + fraction*unit / 10^digits (truncated below 1 ns).
    total += BigInt(whole || "0") * unit + (BigInt(fraction || "0") * unit) / 10n ** BigInt(fraction.length);
  }
  return sign * total;
}

function fractional(value: bigint, unit: bigint, digits: number): string {
  const whole = value / unit;
  const rest = value % unit;
  if (rest === 0n) return String(whole);
  return `${whole}.${String(rest).padStart(digits, "0").replace(/0+$/, "")}`;
}

/** As Go prints a time.Duration. */
export function formatDuration(ns: bigint): string {
  if (ns === 0n) return "0s";
  const sign = ns < 0n ? "-" : "";
  const abs = ns < 0n ? -ns : ns;
  if (abs < 1_000n) return `${sign}${abs}ns`;
  if (abs < 1_000_000n) return `${sign}${fractional(abs, 1_000n, 3)}µs`;
  if (abs < 1_000_000_000n) return `${sign}${fractional(abs, 1_000_000n, 6)}ms`;
  const hours = abs / UNITS.h;
  const minutes = (abs % UNITS.h) / UNITS.m;
  const seconds = fractional(abs % UNITS.m, UNITS.s, 9);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

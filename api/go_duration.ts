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

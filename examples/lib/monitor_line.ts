/**
 * One line of MONITOR output, as Redis prints it:
 * `1700000000.123456 [0 127.0.0.1:50000] "SET" "key" "value"`.
 * Arguments are quoted with Redis' escapes (sdscatrepr), byte by byte.
 */

const ESCAPES: Record<number, string> = {
  0x5c: "\\\\",
  0x22: '\\"',
  0x0a: "\\n",
  0x0d: "\\r",
  0x09: "\\t",
  0x07: "\\a",
  0x08: "\\b",
};

/** One argument in double quotes; non-printable bytes as `\xHH`. */
export function quoteArg(bytes: Uint8Array): string {
  let out = '"';
  for (const byte of bytes) {
    const escape = ESCAPES[byte];
    if (escape) out += escape;
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return out + '"';
}

/** Unix time in ms (with fraction) as seconds with exactly 6 decimals. */
export function unixSeconds6(timeMs: number): string {
  const micros = BigInt(Math.round(timeMs * 1000));
  return `${micros / 1_000_000n}.${String(micros % 1_000_000n).padStart(6, "0")}`;
}

export function monitorLine(
  event: { readonly timeMs: number; readonly remoteAddress: string; readonly args: readonly Uint8Array[] },
): string {
  return `${unixSeconds6(event.timeMs)} [0 ${event.remoteAddress}] ${event.args.map(quoteArg).join(" ")}`;
}

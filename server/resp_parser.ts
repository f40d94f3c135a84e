/**
 * Incremental RESP2 request parser: pure, no I/O.
 *
 * `parseCommand` looks at the bytes `buf[start, end)` and returns either one
 * complete command (multibulk `*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n` or inline
 * `ECHO hi\r\n`, as telnet sends), "incomplete" with how many bytes it needs at
 * least before trying again, or a protocol error after which the connection
 * must be closed. Arguments are copied out of `buf`, so the caller may reuse
 * its buffer.
 */

/** Request size limits; the defaults are Redis's. */
export interface ParserLimits {
  /** Largest bulk argument in bytes (Redis proto-max-bulk-len). */
  readonly maxBulkBytes: number;
  /** Most arguments in one multibulk command. */
  readonly maxMultibulkLength: number;
  /** Longest inline command, and longest header line, in bytes. */
  readonly maxInlineBytes: number;
}

export const DEFAULT_PARSER_LIMITS: ParserLimits = {
  maxBulkBytes: 512 * 1024 * 1024,
  maxMultibulkLength: 1024 * 1024,
  maxInlineBytes: 64 * 1024,
};

export type ParseResult =
  /** `args` is empty for a blank inline line or `*0`, which Redis skips. */
  | { readonly kind: "command"; readonly args: Uint8Array[]; readonly consumed: number }
  /** Nothing can be parsed before `buf` holds at least `needed` bytes from `start`. */
  | { readonly kind: "incomplete"; readonly needed: number }
  | { readonly kind: "error"; readonly message: string };

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;

const encoder = new TextEncoder();

function protocolError(detail: string): ParseResult {
  return { kind: "error", message: `Protocol error: ${detail}` };
}

/** Parses one command starting at `start`. */
export function parseCommand(
  buf: Uint8Array,
  start: number,
  end: number,
  limits: ParserLimits = DEFAULT_PARSER_LIMITS,
): ParseResult {
  if (start >= end) return { kind: "incomplete", needed: 1 };
  return buf[start] === STAR
    ? parseMultibulk(buf, start, end, limits)
    : parseInline(buf, start, end, limits);
}

/** Reads a `<prefix><integer>\r\n` header line at `pos`. */
function readHeaderLine(
  buf: Uint8Array,
  pos: number,
  end: number,
  limits: ParserLimits,
  what: string,
): { value: number; next: number } | ParseResult {
  const lineEnd = buf.indexOf(LF, pos);
  if (lineEnd === -1 || lineEnd >= end) {
    if (end - pos > limits.maxInlineBytes) return protocolError(`too big ${what} count string`);
    return { kind: "incomplete", needed: end - pos + 1 };
  }
  if (lineEnd === pos || buf[lineEnd - 1] !== CR) {
    return protocolError(`expected CRLF after ${what} count`);
  }
  const value = parseDecimal(buf, pos + 1, lineEnd - 1);
  if (value === undefined) return protocolError(`invalid ${what} length`);
  return { value, next: lineEnd + 1 };
}

function parseMultibulk(
  buf: Uint8Array,
  start: number,
  end: number,
  limits: ParserLimits,
): ParseResult {
  const header = readHeaderLine(buf, start, end, limits, "multibulk");
  if ("kind" in header) return header;
  const count = header.value;
  if (count > limits.maxMultibulkLength) return protocolError("invalid multibulk length");
  // Redis skips `*0` and `*-1` (and any negative count) as empty requests.
  if (count <= 0) return { kind: "command", args: [], consumed: header.next - start };

  const args: Uint8Array[] = [];
  let pos = header.next;
  for (let i = 0; i < count; i++) {
    if (pos >= end) return { kind: "incomplete", needed: pos - start + 1 };
    if (buf[pos] !== DOLLAR) {
      return protocolError(`expected '$', got '${String.fromCharCode(buf[pos])}'`);
    }
    const bulk = readHeaderLine(buf, pos, end, limits, "bulk");
    if ("kind" in bulk) {
      return bulk.kind === "incomplete" ? { kind: "incomplete", needed: pos - start + bulk.needed } : bulk;
    }
    const length = bulk.value;
    if (length < 0 || length > limits.maxBulkBytes) return protocolError("invalid bulk length");
    const dataEnd = bulk.next + length;
    if (dataEnd + 2 > end) return { kind: "incomplete", needed: dataEnd + 2 - start };
    if (buf[dataEnd] !== CR || buf[dataEnd + 1] !== LF) {
      return protocolError("expected CRLF after bulk data");
    }
    args.push(buf.slice(bulk.next, dataEnd));
    pos = dataEnd + 2;
  }
  return { kind: "command", args, consumed: pos - start };
}

/** Parses the digits in `buf[from, to)`, allowing a leading '-'; undefined if not an integer. */
function parseDecimal(buf: Uint8Array, from: number, to: number): number | undefined {
  let i = from;
  let negative = false;
  if (i < to && buf[i] === 45 /* - */) {
    negative = true;
    i++;
  }
  if (i >= to || to - i > 15) return undefined;
  let value = 0;
  for (; i < to; i++) {
    const digit = buf[i] - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

function parseInline(
  buf: Uint8Array,
  start: number,
  end: number,
  limits: ParserLimits,
): ParseResult {
  const lineEnd = buf.indexOf(LF, start);
  if (lineEnd === -1 || lineEnd >= end) {
    if (end - start > limits.maxInlineBytes) return protocolError("too big inline request");
    return { kind: "incomplete", needed: end - start + 1 };
  }
  const textEnd = lineEnd > start && buf[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd;
  const line = new TextDecoder().decode(buf.subarray(start, textEnd));
  const words = splitInlineArgs(line);
  if (words === undefined) return protocolError("unbalanced quotes in request");
  return {
    kind: "command",
    args: words.map((word) => encoder.encode(word)),
    consumed: lineEnd + 1 - start,
  };
}

const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", b: "\b", a: "\x07" };

/**
 * Splits an inline command line like Redis's sdssplitargs: whitespace
 * separates words; "double quotes" allow escapes (\n, \xHH, \"); 'single
 * quotes' allow only \'. Returns undefined for unbalanced quotes.
 */
export function splitInlineArgs(line: string): string[] | undefined {
  const words: string[] = [];
  let i = 0;
  while (true) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) return words;
    let word = "";
    const quote = line[i] === '"' || line[i] === "'" ? line[i++] : undefined;
    let closed = quote === undefined;
    while (i < line.length) {
      const ch = line[i];
      if (quote === undefined) {
        if (/\s/.test(ch)) break;
        word += ch;
        i++;
      } else if (ch === "\\" && i + 1 < line.length) {
        const next = line[i + 1];
        const hex = quote === '"' && next === "x" ? line.slice(i + 2, i + 4) : "";
        if (/^[0-9a-fA-F]{2}$/.test(hex)) {
          word += String.fromCharCode(parseInt(hex, 16));
          i += 4;
        } else if (quote === '"' || next === "'") {
          word += quote === '"' ? (ESCAPES[next] ?? next) : next;
          i += 2;
        } else {
          word += ch;
          i++;
        }
      } else if (ch === quote) {
        i++;
        // A closing quote must be followed by a space or the end of the line.
        if (i < line.length && !/\s/.test(line[i])) return undefined;
        closed = true;
        break;
      } else {
        word += ch;
        i++;
      }
    }
    if (!closed) return undefined;
    words.push(word);
  }
}

/**
 * Appends RESP2 replies to one growing buffer (pure, no I/O): a connection
 * appends every reply of a read batch, then writes the buffer once.
 */
import {
  errorReplyText,
  replyKind,
  type ReplyValue,
  type RespInteger,
  type RespOrderedMap,
  type RespSimple,
} from "../api/reply.ts";

const encoder = new TextEncoder();
const CRLF = [13, 10] as const;
const [COLON, DOLLAR, STAR] = [":", "$", "*"].map((c) => c.charCodeAt(0));

/** A writer's buffer that grew beyond this is handed over whole by take() rather than kept. */
const KEEP_BUFFER_BYTES = 64 * 1024;

export class ReplyWriter {
  #buf: Uint8Array;
  #length = 0;
  readonly #initialCapacity: number;

  constructor(initialCapacity = 4096) {
    this.#initialCapacity = initialCapacity;
    this.#buf = new Uint8Array(initialCapacity);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /**
   * Returns the bytes written so far and empties the writer. A small buffer
   * is kept (the bytes are copied out); a large one (a big reply) is handed
   * over and replaced, so a connection does not hold the largest reply it
   * ever got for as long as it lives.
   */
  take(): Uint8Array {
    const large = this.#buf.length > KEEP_BUFFER_BYTES;
    // Handed over only when mostly used: a view would hold the whole buffer.
    const out = large && this.#length > this.#buf.length / 2
      ? this.#buf.subarray(0, this.#length)
      : this.#buf.slice(0, this.#length);
    if (large) this.#buf = new Uint8Array(this.#initialCapacity);
    this.#length = 0;
    return out;
  }

  #reserve(extra: number): void {
    const needed = this.#length + extra;
    if (needed <= this.#buf.length) return;
    // Doubling, or exactly what a big reply needs (a 1 MiB value must not take 2 MiB).
    const capacity = Math.max(this.#buf.length * 2, needed);
    const grown = new Uint8Array(capacity);
    grown.set(this.#buf.subarray(0, this.#length));
    this.#buf = grown;
  }

  #line(prefix: string, text: string): void {
    const encoded = encoder.encode(prefix + text);
    this.#reserve(encoded.length + 2);
    this.#buf.set(encoded, this.#length);
    this.#length += encoded.length;
    this.#buf[this.#length++] = CRLF[0];
    this.#buf[this.#length++] = CRLF[1];
  }

  simple(text: string): void {
    this.#line("+", oneLine(text));
  }

  /** Writes `-<text>`; `text` should already carry its code (see errorReplyText). */
  error(text: string): void {
    this.#line("-", oneLine(text));
  }

  /**
   * `<prefix><digits>\r\n` written byte by byte: lengths and counts are on
   * every reply, and encoding their text took a visible share of a
   * pipelined read's time.
   */
  #numberLine(prefix: number, value: number): void {
    const digits = String(value);
    this.#reserve(digits.length + 3);
    const buf = this.#buf;
    let at = this.#length;
    buf[at++] = prefix;
    for (let i = 0; i < digits.length; i++) buf[at++] = digits.charCodeAt(i);
    buf[at++] = CRLF[0];
    buf[at++] = CRLF[1];
    this.#length = at;
  }

  integer(value: number | bigint): void {
    if (typeof value === "bigint") return this.#line(":", value.toString());
    this.#numberLine(COLON, Math.trunc(value));
  }

  bulk(value: Uint8Array | string | null): void {
    if (value === null) return this.#numberLine(DOLLAR, -1);
    const bytes = typeof value === "string" ? encoder.encode(value) : value;
    this.#numberLine(DOLLAR, bytes.length);
    this.#reserve(bytes.length + 2);
    this.#buf.set(bytes, this.#length);
    this.#length += bytes.length;
    this.#buf[this.#length++] = CRLF[0];
    this.#buf[this.#length++] = CRLF[1];
  }

  /** An array header; `null` writes the null array. The caller writes the items. */
  arrayHeader(count: number | null): void {
    this.#numberLine(STAR, count ?? -1);
  }

  /** Writes any handler result, mapped as described in resp_values.ts. */
  value(value: ReplyValue): void {
    if (value === null || value === undefined) return this.bulk(null);
    switch (typeof value) {
      case "string":
        return this.bulk(value);
      case "number":
      case "bigint":
        return this.bulk(String(value));
      case "boolean":
        return this.bulk(value ? "1" : "0");
    }
    if (value instanceof Uint8Array) return this.bulk(value);
    if (value instanceof Error) return this.error(errorReplyText(value.message));
    switch (replyKind(value)) {
      case "integer":
        return this.integer((value as RespInteger).value);
      case "simple":
        return this.simple((value as RespSimple).text);
      case "nullArray":
        return this.arrayHeader(null);
      case "orderedMap":
        return this.#flatMap((value as RespOrderedMap).entries);
    }
    if (Array.isArray(value)) {
      this.arrayHeader(value.length);
      for (const item of value) this.value(item);
      return;
    }
    const entries = value instanceof Map
      ? [...(value as ReadonlyMap<string, ReplyValue>).entries()]
      : Object.entries(value as { readonly [key: string]: ReplyValue });
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.#flatMap(entries);
  }

  /** `k1 v1 k2 v2 …` as one array, in the order given. */
  #flatMap(entries: readonly (readonly [string, ReplyValue])[]): void {
    this.arrayHeader(entries.length * 2);
    for (const [key, item] of entries) {
      this.bulk(key);
      this.value(item);
    }
  }
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}

/** Encodes one reply value to bytes. */
export function encodeReply(value: ReplyValue): Uint8Array {
  const writer = new ReplyWriter(64);
  writer.value(value);
  return writer.take();
}

/** Encodes a command as a RESP multibulk request (what clients send). */
export function encodeCommand(args: readonly (string | Uint8Array)[]): Uint8Array {
  const writer = new ReplyWriter(64);
  writer.arrayHeader(args.length);
  for (const arg of args) writer.bulk(arg);
  return writer.take();
}

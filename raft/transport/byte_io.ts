/**
 * Small pure helpers for the transport's binary formats: a growable writer
 * and a bounds-checked reader. Integers are unsigned LEB128 varints of at
 * most 8 bytes (enough for any safe integer, 2^53 − 1); strings are a
 * varint byte length followed by UTF-8.
 *
 * The reader throws `WireFormatError` on malformed input; the decoders that
 * use it catch that at their edge and return an error value instead.
 */

/** Malformed bytes on the wire; carries what was wrong and where. */
export class WireFormatError extends Error {
  override name = "WireFormatError";
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const MAX_VARINT_BYTES = 8;

/** Appends bytes to a buffer that doubles as needed. */
export class ByteWriter {
  #bytes: Uint8Array;
  #length = 0;

  constructor(initialCapacity = 256) {
    this.#bytes = new Uint8Array(Math.max(16, initialCapacity));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  #reserve(extra: number): void {
    const needed = this.#length + extra;
    if (needed <= this.#bytes.length) return;
    let capacity = this.#bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }

  /** One byte, 0–255. */
  u8(value: number): void {
    this.#reserve(1);
    this.#bytes[this.#length++] = value & 0xff;
  }

  /** A 32-bit big-endian unsigned integer. */
  u32(value: number): void {
    this.#reserve(4);
    new DataView(this.#bytes.buffer).setUint32(this.#length, value >>> 0, false);
    this.#length += 4;
  }

  /**
   * A non-negative safe integer as an unsigned LEB128 varint.
   * @throws RangeError for a negative, fractional or unsafe number (a bug in the caller)
   */
  varint(value: number, what = "number"): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`Cannot encode ${what} ${value}: must be a non-negative safe integer`);
    }
    this.#reserve(MAX_VARINT_BYTES);
    let rest = value;
    while (rest >= 0x80) {
      this.#bytes[this.#length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.#bytes[this.#length++] = rest;
  }

  /** Overwrites 4 bytes at `at` (already written) with a big-endian u32. */
  u32At(at: number, value: number): void {
    new DataView(this.#bytes.buffer).setUint32(at, value >>> 0, false);
  }

  /**
   * Overwrites `width` bytes at `at` (already written) with `value` as a
   * zero-padded varint (LEB128 allows redundant 0x80 continuation bytes;
   * ByteReader reads them), so a count can be patched in after the fact.
   */
  paddedVarintAt(at: number, value: number, width: number): void {
    let rest = value;
    for (let i = 0; i < width; i++) {
      const low = rest % 0x80;
      rest = Math.floor(rest / 0x80);
      this.#bytes[at + i] = i === width - 1 ? low : low | 0x80;
    }
    if (rest !== 0) throw new RangeError(`Cannot pad ${value} into a ${width}-byte varint`);
  }

  /** Reserves `n` bytes (zeroed) to patch later; returns their offset. */
  skip(n: number): number {
    this.#reserve(n);
    const at = this.#length;
    this.#bytes.fill(0, at, at + n);
    this.#length += n;
    return at;
  }

  /** A boolean as one byte, 0 or 1. */
  bool(value: boolean): void {
    this.u8(value ? 1 : 0);
  }

  /** Raw bytes, no length prefix. */
  raw(bytes: Uint8Array): void {
    const n = bytes.byteLength;
    this.#reserve(n);
    const out = this.#bytes;
    const at = this.#length;
    if (n < 64) for (let i = 0; i < n; i++) out[at + i] = bytes[i];
    else out.set(bytes, at);
    this.#length += n;
  }

  /** A varint length, then the bytes. */
  bytes(bytes: Uint8Array): void {
    this.varint(bytes.byteLength, "byte length");
    this.raw(bytes);
  }

  /** A varint byte length, then UTF-8. */
  string(text: string): void {
    this.bytes(encoder.encode(text));
  }

  /** Forgets everything written after the first `length` bytes. */
  truncate(length: number): void {
    if (length < this.#length) this.#length = Math.max(0, length);
  }

  /** A view of everything written (valid until the next write). */
  view(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }

  /** A copy of everything written, sized exactly. */
  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }
}

/** Reads values in order from a byte array, checking every bound. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.#bytes.byteLength - this.#offset;
  }

  /** Current read position. */
  get offset(): number {
    return this.#offset;
  }

  #need(n: number, what: string): void {
    if (this.#bytes.byteLength - this.#offset < n) {
      throw new WireFormatError(
        `truncated ${what} at byte ${this.#offset}: needs ${n} byte(s), ${this.remaining} left`,
      );
    }
  }

  /** One byte; `what` names the field in error messages. */
  u8(what = "byte"): number {
    this.#need(1, what);
    return this.#bytes[this.#offset++];
  }

  /** A big-endian u32. */
  u32(what = "u32"): number {
    this.#need(4, what);
    const b = this.#bytes;
    const o = this.#offset;
    this.#offset += 4;
    return ((b[o] << 24) >>> 0) + (b[o + 1] << 16) + (b[o + 2] << 8) + b[o + 3];
  }

  /** An unsigned LEB128 varint of at most 8 bytes, ≤ 2^53 − 1 (redundant padding allowed). */
  varint(what = "number"): number {
    const first = this.#bytes[this.#offset];
    if (first < 0x80) {
      this.#offset++;
      return first;
    }
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const byte = this.u8(what);
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) {
          throw new WireFormatError(`${what} at byte ${this.#offset} exceeds 2^53 - 1`);
        }
        return value;
      }
      scale *= 0x80;
    }
    throw new WireFormatError(`${what} at byte ${this.#offset} is a varint longer than ${MAX_VARINT_BYTES} bytes`);
  }

  /** A flag byte that must be 0 or 1. */
  bool(what = "flag"): boolean {
    const byte = this.u8(what);
    if (byte > 1) throw new WireFormatError(`${what} at byte ${this.#offset - 1} is ${byte}, not 0 or 1`);
    return byte === 1;
  }

  /** `n` raw bytes as a view into the input. */
  raw(n: number, what = "bytes"): Uint8Array {
    this.#need(n, what);
    const out = this.#bytes.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }

  /** `n` raw bytes, copied into a plain Uint8Array. */
  copy(n: number, what = "bytes"): Uint8Array {
    return copyBytes(this.raw(n, what));
  }

  /** A varint length, then that many bytes, as a view into the input. */
  bytes(what = "bytes"): Uint8Array {
    return this.raw(this.varint(what), what);
  }

  /** A varint length, then UTF-8 (invalid UTF-8 is an error, not U+FFFD). */
  string(what = "string", maxBytes = 65_536): string {
    const n = this.varint(`${what} length`);
    if (n > maxBytes) throw new WireFormatError(`${what} is ${n} bytes, more than ${maxBytes}`);
    const raw = this.raw(n, what);
    try {
      return decoder.decode(raw);
    } catch {
      throw new WireFormatError(`${what} is not valid UTF-8`);
    }
  }

  /** Fails unless every byte was read. */
  end(what: string): void {
    if (this.remaining !== 0) {
      throw new WireFormatError(`${this.remaining} unexpected byte(s) after ${what}`);
    }
  }
}

/**
 * A copy of `bytes` as a plain Uint8Array. (`slice()` on a Node Buffer,
 * which sockets deliver, returns a view, not a copy.)
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  return out;
}

/** Outcome of a decoder: a value, or why the bytes are not valid. */
export type Decoded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

/**
 * Runs `read` over `bytes` and turns any failure into an error value
 * prefixed with `context`. Never throws.
 */
export function decodeWith<T>(context: string, bytes: Uint8Array, read: (r: ByteReader) => T): Decoded<T> {
  try {
    return { ok: true, value: read(new ByteReader(bytes)) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `${context}: ${detail}` };
  }
}

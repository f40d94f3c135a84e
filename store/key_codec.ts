/**
 * Keys as Deno KV encodes them (FoundationDB's tuple layer, limited to five
 * part types), so that byte order is key order:
 *
 *   Uint8Array  0x01 bytes (0x00 escaped as 0x00 0xff) 0x00
 *   string      0x02 UTF-8 (same escaping) 0x00
 *   bigint      0x0b..0x1d: 0x14 is zero; 0x14 ± n for n big-endian
 *               magnitude bytes (n ≤ 8, one's complement when negative);
 *               0x1d / 0x0b then a length byte for longer ones (≤ 255 bytes)
 *   number      0x21 then the IEEE-754 bits big-endian, all bits flipped
 *               when negative, else only the sign bit (so -0 < 0 and
 *               -NaN < -Infinity < … < Infinity < NaN; NaN canonicalized)
 *   false/true  0x26 / 0x27
 *
 * So parts order Uint8Array < string < bigint < number < boolean, then by
 * value; a key sorts before every longer key it prefixes. (Deno.KvKeyPart's
 * documentation lists number before bigint; Deno KV's encoding and its list
 * order put bigint first, as here: the differential test checks it.)
 *
 * An encoded key is held as a binary string (one char per byte, 0–255):
 * JavaScript compares such strings by code unit, which is byte order, and
 * they cost far less memory than a Uint8Array each.
 */
import type { KvKey, KvKeyPart } from "./types.ts";

const BYTES = 0x01;
const STRING = 0x02;
const NEG_INT_START = 0x0b;
const INT_ZERO = 0x14;
const POS_INT_END = 0x1d;
const DOUBLE = 0x21;
const FALSE = 0x26;
const TRUE = 0x27;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
const f64 = new DataView(new ArrayBuffer(8));

/** The message Deno KV gives for a key part of another type. */
export const KEY_PART_TYPE_ERROR = "expected string, number, bigint, ArrayBufferView, boolean";

/** The key being encoded: one buffer reused, so a key costs one string at the end. */
let out = new Uint8Array(256);
let length = 0;

function push(byte: number): void {
  if (length === out.length) {
    const grown = new Uint8Array(out.length * 2);
    grown.set(out);
    out = grown;
  }
  out[length++] = byte;
}

/** Encodes `key` as a binary string; throws TypeError for what is not a key. */
export function encodeKey(key: KvKey): string {
  if (!Array.isArray(key)) {
    throw new TypeError(`serde_v8 error: invalid type; expected: array, got: ${describe(key)}`);
  }
  length = 0;
  for (const part of key) encodeKeyPart(part);
  return binary(out, 0, length);
}

function describe(value: unknown): string {
  return value === null ? "null" : typeof value;
}

function encodeKeyPart(part: KvKeyPart): void {
  switch (typeof part) {
    case "string":
      push(STRING);
      encodeText(part);
      return push(0);
    case "number":
      return encodeDouble(part);
    case "bigint":
      return encodeBigint(part);
    case "boolean":
      return push(part ? TRUE : FALSE);
  }
  if (ArrayBuffer.isView(part)) {
    push(BYTES);
    escapeBytes(new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
    return push(0);
  }
  throw new TypeError(KEY_PART_TYPE_ERROR);
}

function encodeText(text: string): void {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return escapeBytes(utf8.encode(text.slice(i)));
    push(code);
    if (code === 0) push(0xff);
  }
}

function escapeBytes(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) {
    push(bytes[i]);
    if (bytes[i] === 0) push(0xff);
  }
}

/** Reused by `binary`: fromCharCode.apply on a plain array is several times faster than on a typed array. */
const scratch: number[] = [];

/** Bytes [start, end) as a binary string (in chunks within fromCharCode's argument limit). */
export function binary(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = "";
  for (let at = start; at < end; at += 8192) {
    const stop = Math.min(end, at + 8192);
    scratch.length = stop - at;
    for (let i = at; i < stop; i++) scratch[i - at] = bytes[i];
    out += String.fromCharCode.apply(null, scratch);
  }
  scratch.length = 0;
  return out;
}

/** A binary string back to bytes. */
export function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function encodeDouble(value: number): void {
  if (Number.isNaN(value)) {
    f64.setFloat64(0, value);
    const negative = (f64.getUint8(0) & 0x80) !== 0;
    f64.setUint32(0, negative ? 0xfff80000 : 0x7ff80000);
    f64.setUint32(4, 0);
  } else {
    f64.setFloat64(0, value);
  }
  const flipAll = (f64.getUint8(0) & 0x80) !== 0;
  push(DOUBLE);
  for (let i = 0; i < 8; i++) {
    const byte = f64.getUint8(i);
    push(flipAll ? byte ^ 0xff : i === 0 ? byte ^ 0x80 : byte);
  }
}

function encodeBigint(value: bigint): void {
  if (value === 0n) return push(INT_ZERO);
  const negative = value < 0n;
  let magnitude = negative ? -value : value;
  const bytes: number[] = [];
  while (magnitude > 0n) {
    bytes.push(Number(magnitude & 0xffn));
    magnitude >>= 8n;
  }
  const n = bytes.length;
  if (n > 255) throw new TypeError("BigUint requires more than 255 bytes to be represented");
  if (negative) {
    if (n <= 8) push(INT_ZERO - n);
    else {
      push(NEG_INT_START);
      push(n ^ 0xff);
    }
  } else if (n <= 8) {
    push(INT_ZERO + n);
  } else {
    push(POS_INT_END);
    push(n);
  }
  for (let i = n - 1; i >= 0; i--) push(negative ? bytes[i] ^ 0xff : bytes[i]);
}

/** Decodes a binary-string key; throws on bytes that are not one. */
export function decodeKey(encoded: string): KvKey {
  const parts: KvKeyPart[] = [];
  let pos = 0;
  const need = (n: number) => {
    if (pos + n > encoded.length) throw new RangeError("truncated key");
  };
  while (pos < encoded.length) {
    const tag = encoded.charCodeAt(pos++);
    if (tag === STRING) {
      // Fast path: ASCII with no escaped zero is its own binary string.
      const end = encoded.indexOf("\0", pos);
      let ascii = end >= 0 && encoded.charCodeAt(end + 1) !== 0xff;
      for (let i = pos; ascii && i < end; i++) ascii = encoded.charCodeAt(i) < 0x80;
      if (ascii) {
        parts.push(encoded.slice(pos, end));
        pos = end + 1;
        continue;
      }
    }
    if (tag === BYTES || tag === STRING) {
      const bytes: number[] = [];
      for (;;) {
        need(1);
        const byte = encoded.charCodeAt(pos++);
        if (byte === 0) {
          if (encoded.charCodeAt(pos) === 0xff) {
            pos++;
          } else {
            break;
          }
        }
        bytes.push(byte);
      }
      const raw = Uint8Array.from(bytes);
      parts.push(tag === STRING ? utf8Decoder.decode(raw) : raw);
    } else if (tag >= NEG_INT_START && tag <= POS_INT_END) {
      const negative = tag < INT_ZERO;
      let n: number;
      if (tag === NEG_INT_START || tag === POS_INT_END) {
        need(1);
        const length = encoded.charCodeAt(pos++);
        n = negative ? length ^ 0xff : length;
      } else {
        n = Math.abs(tag - INT_ZERO);
      }
      need(n);
      let magnitude = 0n;
      for (let i = 0; i < n; i++) {
        const byte = encoded.charCodeAt(pos++);
        magnitude = (magnitude << 8n) | BigInt(negative ? byte ^ 0xff : byte);
      }
      parts.push(negative ? -magnitude : magnitude);
    } else if (tag === DOUBLE) {
      need(8);
      const flipAll = (encoded.charCodeAt(pos) & 0x80) === 0;
      for (let i = 0; i < 8; i++) {
        const byte = encoded.charCodeAt(pos++);
        f64.setUint8(i, flipAll ? byte ^ 0xff : i === 0 ? byte ^ 0x80 : byte);
      }
      parts.push(f64.getFloat64(0));
    } else if (tag === FALSE || tag === TRUE) {
      parts.push(tag === TRUE);
    } else {
      throw new RangeError(`invalid key tag 0x${tag.toString(16)}`);
    }
  }
  return parts;
}

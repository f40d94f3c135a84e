/**
 * Values as bytes, deterministically: the same value gives the same bytes
 * on every runtime and replica (snapshots are compared and restored across
 * Node and Deno). Covers what Deno KV stores of the structured-clone types:
 * undefined, null, booleans, numbers (-0 and NaN kept), bigint, strings,
 * Uint8Array and the other typed arrays, Date, RegExp, Map, Set, arrays
 * (holes kept), plain objects (own enumerable string keys, in order; class
 * instances become plain objects, as structured clone does) and KvU64 at
 * the top (nested, it is a plain `{ value }` object, as in Deno KV).
 *
 * Not supported, unlike V8's serializer: cyclic or shared references (a
 * cycle is refused; a shared object is written twice), Error objects,
 * ArrayBuffer and DataView on their own.
 */
import { binary } from "./key_codec.ts";
import { isKvU64, KvU64 } from "./kv_u64.ts";

const enum Tag {
  Undefined = 0,
  Null = 1,
  False = 2,
  True = 3,
  Number = 4,
  BigInt = 5,
  String = 6,
  Bytes = 7,
  Date = 8,
  RegExp = 9,
  Array = 10,
  Object = 11,
  Map = 12,
  Set = 13,
  U64 = 14,
  Hole = 15,
  TypedArray = 16,
}

const TYPED_ARRAYS = [
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();
const floatView = new DataView(new ArrayBuffer(8));

class Writer {
  bytes = new Uint8Array(256);
  length = 0;
  readonly #view = new DataView(new ArrayBuffer(8));
  /** The objects being written, outermost first (a cycle is refused). */
  readonly #open: object[] = [];

  reset(): void {
    this.length = 0;
    this.#open.length = 0;
  }

  #reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(value: number): void {
    this.#reserve(1);
    this.bytes[this.length++] = value;
  }

  varint(value: number): void {
    while (value >= 0x80) {
      this.byte((value & 0x7f) | 0x80);
      value = Math.floor(value / 128);
    }
    this.byte(value);
  }

  raw(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.#reserve(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  float(value: number): void {
    // One NaN, so equal values give equal bytes whatever NaN the runtime made.
    this.#view.setFloat64(0, Number.isNaN(value) ? NaN : value);
    this.#reserve(8);
    this.bytes.set(new Uint8Array(this.#view.buffer), this.length);
    this.length += 8;
  }

  string(value: string): void {
    const n = value.length;
    let ascii = n < 128;
    for (let i = 0; ascii && i < n; i++) ascii = value.charCodeAt(i) < 0x80;
    if (!ascii) return this.raw(utf8.encode(value));
    this.byte(n);
    this.#reserve(n);
    for (let i = 0; i < n; i++) this.bytes[this.length++] = value.charCodeAt(i);
  }

  value(value: unknown, top: boolean): void {
    switch (typeof value) {
      case "undefined":
        return this.byte(Tag.Undefined);
      case "boolean":
        return this.byte(value ? Tag.True : Tag.False);
      case "number":
        this.byte(Tag.Number);
        return this.float(value);
      case "bigint":
        this.byte(Tag.BigInt);
        this.byte(value < 0n ? 1 : 0);
        return this.string((value < 0n ? -value : value).toString(16));
      case "string":
        this.byte(Tag.String);
        return this.string(value);
      case "object":
        if (value === null) return this.byte(Tag.Null);
        return this.#object(value, top);
    }
    throw new TypeError(`${String(value)} could not be cloned.`);
  }

  #object(value: object, top: boolean): void {
    if (top && isKvU64(value)) {
      this.byte(Tag.U64);
      return this.string(value.value.toString(16));
    }
    if (value instanceof Uint8Array) {
      this.byte(Tag.Bytes);
      return this.raw(value);
    }
    if (ArrayBuffer.isView(value)) {
      const kind = TYPED_ARRAYS.findIndex((type) => value instanceof type);
      if (kind < 0) throw new TypeError(`${Object.prototype.toString.call(value)} could not be cloned.`);
      this.byte(Tag.TypedArray);
      this.byte(kind);
      return this.raw(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    }
    if (value instanceof Date) {
      this.byte(Tag.Date);
      return this.float(value.getTime());
    }
    if (value instanceof RegExp) {
      this.byte(Tag.RegExp);
      this.string(value.source);
      return this.string(value.flags);
    }
    if (this.#open.includes(value)) throw new TypeError("a cyclic value could not be cloned.");
    this.#open.push(value);
    if (Array.isArray(value)) {
      this.byte(Tag.Array);
      this.varint(value.length);
      for (let i = 0; i < value.length; i++) {
        if (i in value) this.value(value[i], false);
        else this.byte(Tag.Hole);
      }
    } else if (value instanceof Map) {
      this.byte(Tag.Map);
      this.varint(value.size);
      for (const [k, v] of value) {
        this.value(k, false);
        this.value(v, false);
      }
    } else if (value instanceof Set) {
      this.byte(Tag.Set);
      this.varint(value.size);
      for (const v of value) this.value(v, false);
    } else if (Object.prototype.toString.call(value) === "[object Object]" || isKvU64(value)) {
      const keys = Object.keys(value);
      this.byte(Tag.Object);
      this.varint(keys.length);
      for (const key of keys) {
        this.string(key);
        this.value((value as Record<string, unknown>)[key], false);
      }
    } else {
      throw new TypeError(`${Object.prototype.toString.call(value)} could not be cloned.`);
    }
    this.#open.pop();
  }
}

const shared = new Writer();

/** Encodes `value`; throws TypeError for what cannot be stored. */
export function encodeValue(value: unknown): Uint8Array {
  shared.reset();
  shared.value(value, true);
  return shared.bytes.slice(0, shared.length);
}

/**
 * The size Deno KV's value limit is judged on: a Uint8Array's own length
 * and 8 for a KvU64, as Deno KV stores those raw; this encoding's length
 * for the rest (V8's serializer gives other sizes, close for ASCII text).
 */
export function limitedSize(value: unknown, encoded: Uint8Array): number {
  if (value instanceof Uint8Array) return value.length;
  if (isKvU64(value)) return 8;
  return encoded.length;
}

/** Reads an encoded value from its binary string (how the store holds it: no copy to bytes first). */
class Reader {
  pos = 0;
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  #need(n: number): void {
    if (this.pos + n > this.#text.length) throw new RangeError("truncated value");
  }

  byte(): number {
    this.#need(1);
    return this.#text.charCodeAt(this.pos++);
  }

  peek(): number {
    return this.#text.charCodeAt(this.pos);
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  }

  raw(): Uint8Array {
    const length = this.varint();
    this.#need(length);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.#text.charCodeAt(this.pos + i);
    this.pos += length;
    return out;
  }

  float(): number {
    this.#need(8);
    for (let i = 0; i < 8; i++) floatView.setUint8(i, this.#text.charCodeAt(this.pos++));
    return floatView.getFloat64(0);
  }

  string(): string {
    const start = this.pos;
    const length = this.varint();
    this.#need(length);
    let ascii = true;
    for (let i = this.pos; ascii && i < this.pos + length; i++) ascii = this.#text.charCodeAt(i) < 0x80;
    if (ascii) {
      this.pos += length;
      return this.#text.slice(this.pos - length, this.pos);
    }
    this.pos = start;
    return utf8Decoder.decode(this.raw());
  }

  value(): unknown {
    const tag = this.byte();
    switch (tag) {
      case Tag.Undefined:
        return undefined;
      case Tag.Null:
        return null;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.Number:
        return this.float();
      case Tag.BigInt: {
        const negative = this.byte() === 1;
        const magnitude = BigInt("0x" + this.string());
        return negative ? -magnitude : magnitude;
      }
      case Tag.String:
        return this.string();
      case Tag.Bytes:
        return this.raw();
      case Tag.TypedArray: {
        const type = TYPED_ARRAYS[this.byte()];
        if (!type) throw new RangeError("unknown typed array in value");
        const bytes = this.raw();
        return new type(bytes.buffer as ArrayBuffer, 0, bytes.length / type.BYTES_PER_ELEMENT);
      }
      case Tag.Date:
        return new Date(this.float());
      case Tag.RegExp: {
        const source = this.string();
        return new RegExp(source, this.string());
      }
      case Tag.U64:
        return new KvU64(BigInt("0x" + this.string()));
      case Tag.Array: {
        const length = this.varint();
        const out = new Array(length);
        for (let i = 0; i < length; i++) {
          if (this.peek() === Tag.Hole) this.pos++;
          else out[i] = this.value();
        }
        return out;
      }
      case Tag.Object: {
        const count = this.varint();
        const out: Record<string, unknown> = {};
        for (let i = 0; i < count; i++) {
          const key = this.string();
          // defineProperty: a "__proto__" key is data, not the prototype.
          Object.defineProperty(out, key, { value: this.value(), writable: true, enumerable: true, configurable: true });
        }
        return out;
      }
      case Tag.Map: {
        const count = this.varint();
        const out = new Map();
        for (let i = 0; i < count; i++) {
          const key = this.value();
          out.set(key, this.value());
        }
        return out;
      }
      case Tag.Set: {
        const count = this.varint();
        const out = new Set();
        for (let i = 0; i < count; i++) out.add(this.value());
        return out;
      }
    }
    throw new RangeError(`unknown value tag ${tag}`);
  }
}

/** Decodes bytes written by encodeValue (or their binary string); a fresh copy each time. */
export function decodeValue(encoded: Uint8Array | string): unknown {
  const text = typeof encoded === "string" ? encoded : binary(encoded);
  const reader = new Reader(text);
  const value = reader.value();
  if (reader.pos !== text.length) throw new RangeError("trailing bytes after value");
  return value;
}

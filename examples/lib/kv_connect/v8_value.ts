/**
 * V8's ValueSerializer format (the bytes of Deno's and Node's
 * `v8.serialize`; versions 13 to 16 read, 15 written), for the values Deno KV stores: KV
 * Connect sends every value that is not a Uint8Array or a KvU64 this way.
 * Written here rather than taken from `node:v8`, because Node's serializer
 * writes typed arrays as Node-only "host objects" that Deno cannot read,
 * and because the write path decodes values inside the replicated machine,
 * where every replica, on either runtime, must get the same result. Pure.
 *
 * Read: undefined, null, booleans, int32/uint32/double numbers, bigint,
 * the three string forms, Date, RegExp, plain objects, dense and sparse
 * arrays (holes kept), Map, Set, ArrayBuffer views (V8's form and Node's
 * host-object form), back-references to objects already read, padding.
 * Written: the same kinds (V8's own forms, no back-references: a shared
 * object is written twice). Refused with V8ValueError: boxed primitives,
 * Error objects, bare ArrayBuffers and anything else.
 */

/** Bytes that are not a value this codec reads, or a value it cannot write. */
export class V8ValueError extends Error {}

/** Written: the newest version Node 20's V8 reads (Deno 2.9's reads it too). */
const VERSION = 15;
/** Read: 16 is what Deno 2.9 (V8 15) writes; the tags used here are the same. */
const MAX_READ_VERSION = 16;
const MIN_READ_VERSION = 13;

/** Typed arrays by V8's ArrayBufferView subtag. */
const VIEW_TYPES: Record<string, { new (buffer: ArrayBuffer, offset: number, length: number): ArrayBufferView; BYTES_PER_ELEMENT: number }> = {
  b: Int8Array,
  B: Uint8Array,
  C: Uint8ClampedArray,
  w: Int16Array,
  W: Uint16Array,
  d: Int32Array,
  D: Uint32Array,
  f: Float32Array,
  F: Float64Array,
  q: BigInt64Array,
  Q: BigUint64Array,
};

/** Node's host-object index for each view type (9 is DataView, refused; 10 is Node's Buffer, read as a Uint8Array). */
const NODE_VIEW_TYPES = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  undefined,
  Uint8Array,
  BigInt64Array,
  BigUint64Array,
];

const REGEXP_FLAGS = "gimyusldv";
const latin1 = new TextDecoder("latin1");
const utf16 = new TextDecoder("utf-16le");
const utf8 = new TextDecoder("utf-8");
const tag = (char: string) => char.charCodeAt(0);

class Reader {
  at = 0;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  /** Objects by id, for back-references (V8 numbers every object it reads, in order). */
  readonly #objects: unknown[] = [];

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #need(n: number): void {
    if (this.at + n > this.#bytes.length) throw new V8ValueError("truncated V8 value");
  }

  byte(): number {
    this.#need(1);
    return this.#bytes[this.at++];
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw new V8ValueError("varint longer than 10 bytes");
  }

  raw(n: number): Uint8Array {
    this.#need(n);
    this.at += n;
    return this.#bytes.subarray(this.at - n, this.at);
  }

  double(): number {
    this.#need(8);
    this.at += 8;
    return this.#view.getFloat64(this.at - 8, true);
  }

  /** The next tag, padding skipped. */
  tag(): number {
    for (;;) {
      const next = this.byte();
      if (next !== 0) return next;
    }
  }

  peekTag(): number {
    const at = this.at;
    const next = this.tag();
    this.at = at;
    return next;
  }

  header(): void {
    if (this.byte() !== 0xff) throw new V8ValueError("not a V8 serialized value (no 0xFF header)");
    const version = this.varint();
    if (version < MIN_READ_VERSION || version > MAX_READ_VERSION) throw new V8ValueError(`unsupported V8 serialization version ${version}`);
  }

  #remember<T>(value: T): T {
    this.#objects.push(value);
    return value;
  }

  #string(kind: number): string {
    const length = this.varint();
    if (kind === tag('"')) return latin1.decode(this.raw(length));
    if (kind === tag("c")) {
      if (length % 2 !== 0) throw new V8ValueError("two-byte string with an odd byte length");
      return utf16.decode(this.raw(length));
    }
    return utf8.decode(this.raw(length));
  }

  #bigint(): bigint {
    const bitfield = this.varint();
    const bytes = this.raw(Math.floor(bitfield / 2));
    let magnitude = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) magnitude = (magnitude << 8n) | BigInt(bytes[i]);
    return bitfield % 2 === 1 ? -magnitude : magnitude;
  }

  /** Properties until `end`; returns how many were read, checked against the count V8 writes after it. */
  #properties(target: Record<string, unknown>, end: number): void {
    let read = 0;
    while (this.peekTag() !== end) {
      const key = this.value();
      if (typeof key !== "string" && typeof key !== "number") throw new V8ValueError("object key is not a string or number");
      Object.defineProperty(target, String(key), { value: this.value(), writable: true, enumerable: true, configurable: true });
      read++;
    }
    this.tag();
    if (this.varint() !== read) throw new V8ValueError("object property count mismatch");
  }

  #arrayBufferView(buffer: ArrayBuffer): ArrayBufferView {
    const subtag = String.fromCharCode(this.byte());
    const offset = this.varint();
    const length = this.varint();
    this.varint(); // flags (length-tracking, resizable): not meaningful for a stored value
    const type = VIEW_TYPES[subtag];
    if (!type) throw new V8ValueError(`unsupported ArrayBuffer view '${subtag}'`);
    if (offset + length > buffer.byteLength || length % type.BYTES_PER_ELEMENT !== 0) throw new V8ValueError("ArrayBuffer view out of bounds");
    return this.#remember(new type(buffer, offset, length / type.BYTES_PER_ELEMENT));
  }

  value(): unknown {
    const kind = this.tag();
    switch (String.fromCharCode(kind)) {
      case "?":
        this.varint();
        return this.value();
      case "_":
        return undefined;
      case "0":
        return null;
      case "T":
        return true;
      case "F":
        return false;
      case "I": {
        const zigzag = this.varint();
        return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
      }
      case "U":
        return this.varint();
      case "N":
        return this.double();
      case "Z":
        return this.#bigint();
      case '"':
      case "c":
      case "S":
        return this.#string(kind);
      case "^": {
        const id = this.varint();
        if (id >= this.#objects.length) throw new V8ValueError(`reference to unknown object ${id}`);
        return this.#objects[id];
      }
      case "D":
        return this.#remember(new Date(this.double()));
      case "R": {
        const source = this.#string(this.tag());
        const bits = this.varint();
        const flags = [...REGEXP_FLAGS].filter((_, i) => bits & (1 << i)).join("");
        return this.#remember(new RegExp(source, flags));
      }
      case "o": {
        const out = this.#remember({} as Record<string, unknown>);
        this.#properties(out, tag("{"));
        return out;
      }
      case "A": {
        const length = this.varint();
        const out = this.#remember(new Array(length));
        for (let i = 0; i < length; i++) {
          if (this.peekTag() === tag("-")) this.tag();
          else out[i] = this.value();
        }
        this.#arrayEnd(out, tag("$"));
        return out;
      }
      case "a": {
        const out = this.#remember(new Array(this.varint()));
        this.#arrayEnd(out, tag("@"));
        return out;
      }
      case ";": {
        const out = this.#remember(new Map());
        let read = 0;
        while (this.peekTag() !== tag(":")) {
          const key = this.value();
          out.set(key, this.value());
          read += 2;
        }
        this.tag();
        if (this.varint() !== read) throw new V8ValueError("map entry count mismatch");
        return out;
      }
      case "'": {
        const out = this.#remember(new Set());
        while (this.peekTag() !== tag(",")) out.add(this.value());
        this.tag();
        if (this.varint() !== out.size) throw new V8ValueError("set entry count mismatch");
        return out;
      }
      case "B": {
        const bytes = this.raw(this.varint());
        const buffer = this.#remember(new Uint8Array(bytes).buffer as ArrayBuffer);
        if (this.at < this.#bytes.length && this.peekTag() === tag("V")) {
          this.tag();
          return this.#arrayBufferView(buffer);
        }
        return buffer;
      }
      case "\\": {
        const type = NODE_VIEW_TYPES[this.varint()];
        const length = this.varint();
        if (!type) throw new V8ValueError("unsupported host object");
        const bytes = new Uint8Array(this.raw(length));
        if (length % type.BYTES_PER_ELEMENT !== 0) throw new V8ValueError("host object length is not a whole number of elements");
        return this.#remember(new type(bytes.buffer, 0, length / type.BYTES_PER_ELEMENT));
      }
    }
    throw new V8ValueError(`unsupported V8 value tag 0x${kind.toString(16)} ('${String.fromCharCode(kind)}')`);
  }

  #arrayEnd(out: unknown[], end: number): void {
    let read = 0;
    while (this.peekTag() !== end) {
      const key = this.value();
      if (typeof key !== "string" && typeof key !== "number") throw new V8ValueError("array key is not a string or number");
      (out as unknown as Record<string, unknown>)[String(key)] = this.value();
      read++;
    }
    this.tag();
    if (this.varint() !== read) throw new V8ValueError("array property count mismatch");
    if (this.varint() !== out.length) throw new V8ValueError("array length mismatch");
  }
}

/** Decodes V8-serialized bytes; throws V8ValueError for what it cannot read. */
export function deserializeV8(bytes: Uint8Array): unknown {
  const reader = new Reader(bytes);
  reader.header();
  const value = reader.value();
  if (reader.at !== bytes.length) throw new V8ValueError("trailing bytes after the V8 value");
  return value;
}

class Writer {
  #bytes = new Uint8Array(64);
  length = 0;
  readonly #float = new DataView(new ArrayBuffer(8));
  readonly #open: object[] = [];

  #reserve(n: number): void {
    if (this.length + n <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#bytes.subarray(0, this.length));
    this.#bytes = grown;
  }

  byte(value: number): void {
    this.#reserve(1);
    this.#bytes[this.length++] = value;
  }

  tag(char: string): void {
    this.byte(tag(char));
  }

  varint(value: number): void {
    while (value >= 0x80) {
      this.byte((value % 128) | 0x80);
      value = Math.floor(value / 128);
    }
    this.byte(value);
  }

  raw(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  double(value: number): void {
    this.#float.setFloat64(0, value, true);
    this.raw(new Uint8Array(this.#float.buffer));
  }

  string(value: string): void {
    let oneByte = true;
    for (let i = 0; oneByte && i < value.length; i++) oneByte = value.charCodeAt(i) < 0x100;
    if (oneByte) {
      this.tag('"');
      this.varint(value.length);
      this.#reserve(value.length);
      for (let i = 0; i < value.length; i++) this.#bytes[this.length++] = value.charCodeAt(i);
      return;
    }
    const byteLength = value.length * 2;
    // V8 aligns two-byte string data to an even offset with a padding tag.
    const varintLength = byteLength < 0x80 ? 1 : byteLength < 0x4000 ? 2 : byteLength < 0x200000 ? 3 : 4;
    if ((this.length + 1 + varintLength) % 2 !== 0) this.byte(0);
    this.tag("c");
    this.varint(byteLength);
    this.#reserve(byteLength);
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      this.#bytes[this.length++] = code & 0xff;
      this.#bytes[this.length++] = code >> 8;
    }
  }

  value(value: unknown): void {
    switch (typeof value) {
      case "undefined":
        return this.tag("_");
      case "boolean":
        return this.tag(value ? "T" : "F");
      case "number":
        if (Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff && !Object.is(value, -0)) {
          this.tag("I");
          return this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
        }
        this.tag("N");
        return this.double(value);
      case "bigint": {
        const negative = value < 0n;
        let magnitude = negative ? -value : value;
        const bytes: number[] = [];
        while (magnitude > 0n) {
          bytes.push(Number(magnitude & 0xffn));
          magnitude >>= 8n;
        }
        while (bytes.length % 8 !== 0) bytes.push(0);
        this.tag("Z");
        this.varint(bytes.length * 2 + (negative ? 1 : 0));
        return this.raw(Uint8Array.from(bytes));
      }
      case "string":
        return this.string(value);
      case "object":
        if (value === null) return this.tag("0");
        return this.#object(value);
    }
    throw new V8ValueError(`a ${typeof value} cannot be serialized`);
  }

  #object(value: object): void {
    if (ArrayBuffer.isView(value)) {
      const subtag = Object.keys(VIEW_TYPES).find((key) => value.constructor === VIEW_TYPES[key] || (key === "B" && value instanceof Uint8Array));
      if (!subtag) throw new V8ValueError(`${Object.prototype.toString.call(value)} cannot be serialized`);
      this.tag("B");
      this.varint(value.byteLength);
      this.raw(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      this.tag("V");
      this.tag(subtag);
      this.varint(0);
      this.varint(value.byteLength);
      return this.varint(0);
    }
    if (value instanceof Date) {
      this.tag("D");
      return this.double(value.getTime());
    }
    if (value instanceof RegExp) {
      this.tag("R");
      this.string(value.source);
      return this.varint([...value.flags].reduce((bits, flag) => bits | (1 << REGEXP_FLAGS.indexOf(flag)), 0));
    }
    if (this.#open.includes(value)) throw new V8ValueError("a cyclic value cannot be serialized");
    this.#open.push(value);
    if (Array.isArray(value)) {
      this.tag("A");
      this.varint(value.length);
      for (let i = 0; i < value.length; i++) {
        if (i in value) this.value(value[i]);
        else this.tag("-");
      }
      this.tag("$");
      this.varint(0);
      this.varint(value.length);
    } else if (value instanceof Map) {
      this.tag(";");
      for (const [k, v] of value) {
        this.value(k);
        this.value(v);
      }
      this.tag(":");
      this.varint(value.size * 2);
    } else if (value instanceof Set) {
      this.tag("'");
      for (const v of value) this.value(v);
      this.tag(",");
      this.varint(value.size);
    } else {
      const keys = Object.keys(value);
      this.tag("o");
      for (const key of keys) {
        this.string(key);
        this.value((value as Record<string, unknown>)[key]);
      }
      this.tag("{");
      this.varint(keys.length);
    }
    this.#open.pop();
  }

  finish(): Uint8Array {
    return this.#bytes.slice(0, this.length);
  }
}

/** Encodes `value` as V8's serializer would (version 15); throws V8ValueError for what it cannot write. */
export function serializeV8(value: unknown): Uint8Array {
  const writer = new Writer();
  writer.byte(0xff);
  writer.varint(VERSION);
  writer.value(value);
  return writer.finish();
}

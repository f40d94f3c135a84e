/** V8 ValueSerializer bytes to a value (see v8_value.ts for what is read). Pure. */
import { MAX_READ_VERSION, MIN_READ_VERSION, NODE_VIEW_TYPES, REGEXP_FLAGS, tag, V8ValueError, VIEW_TYPES } from "./v8_format.ts";

const latin1 = new TextDecoder("latin1");
const utf16 = new TextDecoder("utf-16le");
const utf8 = new TextDecoder("utf-8");

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


/** A value to V8 ValueSerializer bytes (see v8_value.ts for what is written). Pure. */
import { REGEXP_FLAGS, tag, V8ValueError, VERSION, VIEW_TYPES } from "./v8_format.ts";

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

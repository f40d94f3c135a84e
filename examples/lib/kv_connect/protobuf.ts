/**
 * The protobuf wire format, as far as KV Connect's messages use it:
 * varints (uint32/int32/int64/bool/enum), length-delimited fields (bytes,
 * strings, nested messages, packed repeated varints). No fixed32/fixed64
 * or zigzag: the schema has no field of those types, and an unknown field
 * of any wire type is skipped, as protobuf readers must. Pure.
 */

/** A message that is not valid protobuf (the data path answers 400 with this). */
export class ProtobufError extends Error {}

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** One field as read: its number, and a varint's value or a length-delimited field's bytes. */
export type Field =
  | { readonly number: number; readonly wireType: typeof VARINT; readonly value: bigint }
  | { readonly number: number; readonly wireType: typeof LENGTH_DELIMITED; readonly bytes: Uint8Array };

/** The fields of a message, in order (unknown fixed-width fields skipped). */
export function* readFields(bytes: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (at >= bytes.length) throw new ProtobufError("truncated varint");
      const byte = bytes[at++];
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value & 0xffffffffffffffffn;
    }
    throw new ProtobufError("varint longer than 10 bytes");
  };
  while (at < bytes.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number === 0) throw new ProtobufError("field number 0");
    switch (wireType) {
      case VARINT:
        yield { number, wireType, value: varint() };
        break;
      case LENGTH_DELIMITED: {
        const length = Number(varint());
        if (at + length > bytes.length) throw new ProtobufError(`field ${number} runs past the end of the message`);
        yield { number, wireType, bytes: bytes.subarray(at, at + length) };
        at += length;
        break;
      }
      case FIXED64:
      case FIXED32: {
        const length = wireType === FIXED64 ? 8 : 4;
        if (at + length > bytes.length) throw new ProtobufError(`field ${number} runs past the end of the message`);
        at += length;
        break;
      }
      default:
        throw new ProtobufError(`unsupported wire type ${wireType} (field ${number})`);
    }
  }
}

/** The bytes of a length-delimited field, or an error naming the field. */
export function bytesOf(field: Field, name: string): Uint8Array {
  if (field.wireType !== LENGTH_DELIMITED) throw new ProtobufError(`${name}: expected a length-delimited field`);
  return field.bytes;
}

/** A varint field's value, or an error naming the field. */
export function varintOf(field: Field, name: string): bigint {
  if (field.wireType !== VARINT) throw new ProtobufError(`${name}: expected a varint field`);
  return field.value;
}

/** A varint as a signed 64-bit integer (int64/int32 negative values are sent as 10-byte two's complement). */
export function signed64(value: bigint): bigint {
  return BigInt.asIntN(64, value);
}

/** Builds a message; fields are written in the order given (proto3 default values may be left out). */
export class ProtobufWriter {
  #bytes = new Uint8Array(64);
  #length = 0;

  #reserve(n: number): void {
    if (this.#length + n <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.#length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }

  #varint(value: bigint): void {
    // Negative int32/int64 are written as their 64-bit two's complement.
    let rest = BigInt.asUintN(64, value);
    this.#reserve(10);
    while (rest >= 0x80n) {
      this.#bytes[this.#length++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.#bytes[this.#length++] = Number(rest);
  }

  /** A varint field (uint32, int32, int64, bool, enum); skipped when zero, as proto3 does. */
  varint(number: number, value: number | bigint | boolean): this {
    const n = typeof value === "boolean" ? (value ? 1n : 0n) : BigInt(value);
    if (n === 0n) return this;
    this.#varint(BigInt(number << 3 | VARINT));
    this.#varint(n);
    return this;
  }

  /** A length-delimited field (bytes or a nested message); written even when empty (a present nested message). */
  bytes(number: number, value: Uint8Array): this {
    this.#varint(BigInt(number << 3 | LENGTH_DELIMITED));
    this.#varint(BigInt(value.length));
    this.#reserve(value.length);
    this.#bytes.set(value, this.#length);
    this.#length += value.length;
    return this;
  }

  finish(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }
}

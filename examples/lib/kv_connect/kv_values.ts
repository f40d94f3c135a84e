/**
 * A value as KV Connect carries it: a Uint8Array as its raw bytes
 * (VE_BYTES), a KvU64 as 8 little-endian bytes (VE_LE64), anything else
 * V8-serialized (VE_V8), as Deno KV does. Pure.
 */
import { KvU64, kvWire } from "../../../mod.ts";
import { type KvValue, ValueEncoding } from "./messages.ts";
import { deserializeV8, serializeV8 } from "./v8_value.ts";

export function toKvValue(value: unknown): KvValue {
  if (value instanceof Uint8Array && value.constructor === Uint8Array) return { data: value, encoding: ValueEncoding.BYTES };
  if (kvWire.isKvU64(value)) {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setBigUint64(0, value.value, true);
    return { data, encoding: ValueEncoding.LE64 };
  }
  return { data: serializeV8(value), encoding: ValueEncoding.V8 };
}

export function fromKvValue(value: KvValue): unknown {
  switch (value.encoding) {
    case ValueEncoding.BYTES:
      return new Uint8Array(value.data);
    case ValueEncoding.LE64:
      if (value.data.length !== 8) throw new Error(`a VE_LE64 value is 8 bytes, got ${value.data.length}`);
      return new KvU64(new DataView(value.data.buffer, value.data.byteOffset, 8).getBigUint64(0, true));
    case ValueEncoding.V8:
      return deserializeV8(value.data);
  }
  throw new Error(`unknown value encoding ${value.encoding}`);
}

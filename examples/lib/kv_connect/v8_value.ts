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
export { V8ValueError } from "./v8_format.ts";
export { deserializeV8 } from "./v8_deserialize.ts";
export { serializeV8 } from "./v8_serialize.ts";

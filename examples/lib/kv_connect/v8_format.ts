/** The V8 ValueSerializer format's constants, shared by the reader and the writer (see v8_value.ts). */

/** Bytes that are not a value this codec reads, or a value it cannot write. */
export class V8ValueError extends Error {}

/** Written: the newest version Node 20's V8 reads (Deno 2.9's reads it too). */
export const VERSION = 15;
/** Read: 16 is what Deno 2.9 (V8 15) writes; the tags used here are the same. */
export const MAX_READ_VERSION = 16;
export const MIN_READ_VERSION = 13;

/** Typed arrays by V8's ArrayBufferView subtag. */
export const VIEW_TYPES: Record<string, { new (buffer: ArrayBuffer, offset: number, length: number): ArrayBufferView; BYTES_PER_ELEMENT: number }> = {
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
export const NODE_VIEW_TYPES = [
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

/** RegExp flags by their bit in V8's flags field. */
export const REGEXP_FLAGS = "gimyusldv";
/** A tag's byte. */
export const tag = (char: string): number => char.charCodeAt(0);


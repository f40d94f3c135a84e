/**
 * The store as snapshot bytes, in chunks of about a MiB (never one buffer
 * or string of the whole store), and back. Byte-exact and runtime-neutral:
 * a snapshot written on Node restores on Deno and the reverse.
 *
 * Layout: "UKVS0001", then per entry in key order: varint key length, key
 * bytes, varint value length, value bytes, the versionstamp's 10 bytes, and
 * the expiry in ms as a float64 (-1: none); a key length of 0 ends it (no
 * stored key is empty).
 */
import { binary } from "./key_codec.ts";
import type { KvStore } from "./kv_store.ts";

const MAGIC = "UKVS0001";
const CHUNK_BYTES = 1 << 20;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

class ChunkWriter {
  readonly chunks: Uint8Array[] = [];
  #buffer = new Uint8Array(CHUNK_BYTES + 64);
  #length = 0;

  #room(n: number): void {
    if (this.#length + n <= this.#buffer.length) return;
    this.flush();
    if (n > this.#buffer.length) this.#buffer = new Uint8Array(n);
  }

  flush(): void {
    if (this.#length === 0) return;
    this.chunks.push(this.#buffer.slice(0, this.#length));
    this.#length = 0;
  }

  get full(): boolean {
    return this.#length >= CHUNK_BYTES;
  }

  varint(value: number): void {
    this.#room(5);
    while (value >= 0x80) {
      this.#buffer[this.#length++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.#buffer[this.#length++] = value;
  }

  /** A binary string's bytes. */
  binary(text: string): void {
    this.#room(text.length);
    for (let i = 0; i < text.length; i++) this.#buffer[this.#length++] = text.charCodeAt(i);
  }

  versionstamp(hex: string): void {
    this.#room(10);
    for (let i = 0; i < 20; i += 2) this.#buffer[this.#length++] = parseInt(hex.slice(i, i + 2), 16);
  }

  float(value: number): void {
    this.#room(8);
    new DataView(this.#buffer.buffer).setFloat64(this.#length, value);
    this.#length += 8;
  }
}

/** The store as snapshot chunks, taken now (the store may change once this returns). */
export function snapshotStore(store: KvStore): Uint8Array[] {
  const out = new ChunkWriter();
  out.binary(MAGIC);
  for (const [key, entry] of store.entries()) {
    out.varint(key.length);
    out.binary(key);
    out.varint(entry.value.length);
    out.binary(entry.value);
    out.versionstamp(entry.versionstamp);
    out.float(entry.expireAt);
    if (out.full) out.flush();
  }
  out.varint(0);
  out.flush();
  return out.chunks;
}

/**
 * Replaces the store's entries with those of snapshot bytes starting at
 * `offset`; returns the offset just past them. Throws on bytes that are
 * not a store snapshot.
 */
export function restoreStore(store: KvStore, bytes: Uint8Array, offset = 0): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = offset;
  const need = (n: number) => {
    if (pos + n > bytes.length) throw new Error("the store's snapshot is truncated");
  };
  const varint = () => {
    let value = 0;
    let shift = 0;
    for (;;) {
      need(1);
      const byte = bytes[pos++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
    }
  };
  const text = (n: number) => {
    need(n);
    pos += n;
    return binary(bytes, pos - n, pos);
  };
  if (text(MAGIC.length) !== MAGIC) throw new Error(`not a store snapshot: it does not start with ${MAGIC}`);
  store.clear();
  for (;;) {
    const keyLength = varint();
    if (keyLength === 0) return pos;
    const key = text(keyLength);
    const value = text(varint());
    need(18);
    let versionstamp = "";
    for (let i = 0; i < 10; i++) versionstamp += HEX[bytes[pos++]];
    const expireAt = view.getFloat64(pos);
    pos += 8;
    store.load(key, { value, versionstamp, expireAt });
  }
}

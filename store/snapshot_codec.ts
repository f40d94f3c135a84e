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
import { KvStore } from "./kv_store.ts";

const MAGIC = "UKVS0001";
const CHUNK_BYTES = 1 << 20;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** The value of the hex digit at `i` (versionstamps are lower-case hex). */
function nibble(hex: string, i: number): number {
  const code = hex.charCodeAt(i);
  return code <= 0x39 ? code - 0x30 : code - 0x57;
}

class ChunkWriter {
  readonly chunks: Uint8Array[] = [];
  #buffer = new Uint8Array(CHUNK_BYTES + 64);
  #view = new DataView(this.#buffer.buffer);
  #length = 0;

  #room(n: number): void {
    if (this.#length + n <= this.#buffer.length) return;
    this.flush();
    if (n > this.#buffer.length) {
      this.#buffer = new Uint8Array(n);
      this.#view = new DataView(this.#buffer.buffer);
    }
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
    for (let i = 0; i < 20; i += 2) this.#buffer[this.#length++] = (nibble(hex, i) << 4) | nibble(hex, i + 1);
  }

  float(value: number): void {
    this.#room(8);
    this.#view.setFloat64(this.#length, value);
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
 * Reads a store snapshot pushed in chunks of any size (an entry may span
 * chunks) into a new store, so a restore never holds the whole snapshot.
 */
export class StoreSnapshotReader {
  readonly store = new KvStore();
  #pending = new Uint8Array(0);
  #started = false;
  #ended = false;

  /** Takes more snapshot bytes; returns how many of them lay past the snapshot's end (0 until it ends). */
  push(chunk: Uint8Array): number {
    if (this.#ended) return chunk.length;
    let bytes = chunk;
    if (this.#pending.length > 0) {
      bytes = new Uint8Array(this.#pending.length + chunk.length);
      bytes.set(this.#pending);
      bytes.set(chunk, this.#pending.length);
    }
    const pos = this.#parse(bytes);
    if (this.#ended) return bytes.length - pos;
    this.#pending = bytes.slice(pos);
    return 0;
  }

  /** The store read; throws if the snapshot stopped before its end. */
  finish(): KvStore {
    if (!this.#ended) throw new Error("the store's snapshot is truncated");
    return this.store;
  }

  /** Reads whole entries from `bytes`; returns where the first incomplete one starts. */
  #parse(bytes: Uint8Array): number {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    if (!this.#started) {
      if (bytes.length < MAGIC.length) return 0;
      if (binary(bytes, 0, MAGIC.length) !== MAGIC) throw new Error(`not a store snapshot: it does not start with ${MAGIC}`);
      pos = MAGIC.length;
      this.#started = true;
    }
    for (;;) {
      const entryStart = pos;
      const keyLength = readVarint(bytes, pos);
      if (!keyLength) return entryStart;
      pos = keyLength.next;
      if (keyLength.value === 0) {
        this.#ended = true;
        return pos;
      }
      if (pos + keyLength.value > bytes.length) return entryStart;
      const key = binary(bytes, pos, pos + keyLength.value);
      pos += keyLength.value;
      const valueLength = readVarint(bytes, pos);
      if (!valueLength || valueLength.next + valueLength.value + 18 > bytes.length) return entryStart;
      pos = valueLength.next;
      const value = binary(bytes, pos, pos + valueLength.value);
      pos += valueLength.value;
      let versionstamp = "";
      for (let i = 0; i < 10; i++) versionstamp += HEX[bytes[pos++]];
      const expireAt = view.getFloat64(pos);
      pos += 8;
      this.store.load(key, { value, versionstamp, expireAt });
    }
  }
}

/** A varint at `pos`, or undefined when the bytes end inside it. */
function readVarint(bytes: Uint8Array, pos: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  while (pos < bytes.length) {
    const byte = bytes[pos++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, next: pos };
    scale *= 128;
  }
  return undefined;
}

/** A store from whole snapshot bytes (nothing may follow them). */
export function restoreStore(bytes: Uint8Array): KvStore {
  const reader = new StoreSnapshotReader();
  if (reader.push(bytes) !== 0) throw new Error("trailing bytes after the store in the snapshot");
  return reader.finish();
}

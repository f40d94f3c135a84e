/**
 * A kv app's snapshot data: "UKV1", the app's own data length (8 bytes,
 * little-endian) and bytes, then the store (store/snapshot_codec.ts). Data
 * without the marker is an app's from before it had a store.
 */
import { KvStore } from "../store/kv_store.ts";
import { snapshotStore, StoreSnapshotReader } from "../store/snapshot_codec.ts";

const MARKER = [0x55, 0x4b, 0x56, 0x31]; // "UKV1"
const HEAD_BYTES = 12;

export function joinStoreSnapshot(appData: Uint8Array, store: KvStore): Uint8Array[] {
  const head = new Uint8Array(HEAD_BYTES);
  head.set(MARKER, 0);
  new DataView(head.buffer).setBigUint64(4, BigInt(appData.length), true);
  return [head, appData, ...snapshotStore(store)];
}

/** Chunks as one buffer (the one chunk itself when there is one). */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Takes snapshot data in chunks of any size: the app's own data is kept
 * whole (it is the app's format), the store is read entry by entry as it
 * comes, into a new store.
 */
export class KvSnapshotSplitter {
  /** Bytes before the head is complete; then the app's data as it comes. */
  #buffered: Uint8Array[] = [];
  #bufferedBytes = 0;
  /** undefined until the head is read; -1: no marker, all of it is the app's data. */
  #appLength: number | undefined;
  #store: StoreSnapshotReader | undefined;

  push(chunk: Uint8Array): void {
    if (this.#store) {
      if (this.#store.push(chunk) !== 0) throw new Error("trailing bytes after the store in the snapshot");
      return;
    }
    this.#buffered.push(chunk);
    this.#bufferedBytes += chunk.length;
    if (this.#appLength === undefined) {
      if (this.#bufferedBytes < HEAD_BYTES) return;
      const head = concat(this.#buffered);
      this.#buffered = [head];
      this.#appLength = MARKER.every((byte, i) => head[i] === byte)
        ? Number(new DataView(head.buffer, head.byteOffset, head.byteLength).getBigUint64(4, true))
        : -1;
    }
    if (this.#appLength < 0 || this.#bufferedBytes < HEAD_BYTES + this.#appLength) return;
    const all = concat(this.#buffered);
    const appEnd = HEAD_BYTES + this.#appLength;
    this.#buffered = [all.subarray(0, appEnd)];
    this.#bufferedBytes = appEnd;
    this.#store = new StoreSnapshotReader();
    this.push(all.subarray(appEnd));
  }

  /** The app's own data, and the store (undefined when the snapshot has none). */
  finish(): { appData: Uint8Array; store: KvStore | undefined } {
    const all = concat(this.#buffered);
    if (this.#appLength === undefined || this.#appLength < 0) return { appData: all, store: undefined };
    if (!this.#store) throw new Error("the snapshot's app data is truncated");
    return { appData: all.subarray(HEAD_BYTES), store: this.#store.finish() };
  }
}

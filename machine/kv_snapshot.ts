/**
 * A kv app's snapshot data: "UKV1", the app's own data length (8 bytes,
 * little-endian) and bytes, then the store (store/snapshot_codec.ts). An
 * app's data without the marker is from before it had a store.
 */
import type { KvStore } from "../store/kv_store.ts";
import { restoreStore, snapshotStore } from "../store/snapshot_codec.ts";

const MARKER = [0x55, 0x4b, 0x56, 0x31]; // "UKV1"

export function joinStoreSnapshot(appData: Uint8Array, store: KvStore): Uint8Array[] {
  const head = new Uint8Array(12);
  head.set(MARKER, 0);
  new DataView(head.buffer).setBigUint64(4, BigInt(appData.length), true);
  return [head, appData, ...snapshotStore(store)];
}

function hasMarker(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && MARKER.every((byte, i) => bytes[i] === byte);
}

/**
 * The app's own data of a snapshot; a kv app's store (`store`) is restored
 * from the rest (emptied when the snapshot has none). Throws when a store
 * is there and the app has none.
 */
export function splitStoreSnapshot(user: Uint8Array, store: KvStore | undefined): Uint8Array {
  if (!hasMarker(user)) {
    store?.clear();
    return user;
  }
  if (!store) throw new Error("the snapshot holds a KV store: the app needs kv: true to restore it");
  const length = Number(new DataView(user.buffer, user.byteOffset, user.byteLength).getBigUint64(4, true));
  if (12 + length > user.length) throw new Error("the snapshot's app data is truncated");
  const end = restoreStore(store, user, 12 + length);
  if (end !== user.length) throw new Error("trailing bytes after the store in the snapshot");
  return user.subarray(12, 12 + length);
}

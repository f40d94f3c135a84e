/**
 * The store's byte-level face, for serving it over another protocol (the
 * kv example's KV Connect endpoint carries keys exactly as the store
 * encodes them): key and value codecs, the read limits, and the entry as
 * stored. mod.ts exports it as `kvWire`, so examples and plugins reach it
 * through the framework like everything else.
 */
export { binary, bytesOf, decodeKey } from "./key_codec.ts";
export type { KvStore, PendingCheck, PendingMutation, StoredEntry } from "./kv_store.ts";
export { isKvU64 } from "./kv_u64.ts";
export { MAX_READ_ENTRIES, MAX_READ_RANGES } from "./limits.ts";
export { decodeValue } from "./value_codec.ts";
export { storeOf } from "./sync_kv.ts";

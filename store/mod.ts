/**
 * A Deno-KV-compatible ordered key-value store: Deno KV's key order, value
 * types, limits and API, with time and versionstamps given by its owner so
 * that a replicated state machine can hold it (see `App.kv` in ../mod.ts).
 * `openKv()` gives the async Deno.Kv API over an in-process store.
 *
 * @example
 * ```ts
 * import { openKv } from "./store/mod.ts";
 * const kv = await openKv();
 * await kv.set(["users", 1n], { name: "ada" });
 * for await (const entry of kv.list({ prefix: ["users"] })) console.log(entry.key, entry.value);
 * ```
 * @module
 */
export { openKv, Kv, AsyncAtomicOperation, AsyncKvListIterator, type OpenKvOptions } from "./kv.ts";
export { SyncKv, type CommitPolicy } from "./sync_kv.ts";
export { KvStore } from "./kv_store.ts";
export { KvU64 } from "./kv_u64.ts";
export { AtomicOperation } from "./atomic_operation.ts";
export { KvListIterator } from "./list_iterator.ts";
export { decodeKey, encodeKey } from "./key_codec.ts";
export { formatVersionstamp } from "./versionstamp.ts";
export type * from "./types.ts";

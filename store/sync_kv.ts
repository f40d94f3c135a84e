/**
 * Deno.Kv's methods over a KvStore, synchronous: what a command of a
 * replicated app uses as `m.kv` (a command runs to completion inside one
 * apply, so nothing here may wait). The async facade (kv.ts) wraps it.
 */
import { AtomicOperation, COMMIT_VERSIONSTAMP, pendingSet } from "./atomic_operation.ts";
import { decodeKey, encodeKey } from "./key_codec.ts";
import type { KvStore, PendingCheck, PendingMutation, StoredEntry } from "./kv_store.ts";
import { MAX_READ_RANGES } from "./limits.ts";
import { KvListIterator } from "./list_iterator.ts";
import type { KvCommitResult, KvEntry, KvEntryMaybe, KvKey, KvListOptions, KvListSelector, KvReadOptions, KvSetKey } from "./types.ts";
import { decodeValue } from "./value_codec.ts";

/** Who decides the versionstamp of each commit, and whether writes are allowed now. */
export interface CommitPolicy {
  /** Called once per successful commit; must increase from one call to the next. */
  nextVersionstamp(): string;
  /** Throws if a write is not allowed here (a read command's view). */
  checkWritable(): void;
}

function readEntry(key: string, entry: StoredEntry): KvEntry {
  return { key: decodeKey(key), value: decodeValue(entry.value), versionstamp: entry.versionstamp };
}

let storeOfKv: (kv: SyncKv) => KvStore;

/** The store under `kv`: for the machine (time, snapshots) and byte-level readers, not for apps' commands. */
export function storeOf(kv: SyncKv): KvStore {
  return storeOfKv(kv);
}

/**
 * Deno.Kv's methods, synchronous, over one store: what commands get as
 * `m.kv`. Writes go through `policy` (a read command's refuses them).
 */
export class SyncKv {
  readonly #store: KvStore;
  readonly #policy: CommitPolicy;

  static {
    storeOfKv = (kv) => kv.#store;
  }

  /** A view of `store` whose writes `policy` allows and stamps. */
  constructor(store: KvStore, policy: CommitPolicy) {
    this.#store = store;
    this.#policy = policy;
  }

  /** The entry at `key`, or one with null value and versionstamp. */
  get<T = unknown>(key: KvKey, _options?: KvReadOptions): KvEntryMaybe<T> {
    const encoded = encodeKey(key);
    const entry = this.#store.getEncoded(encoded);
    return (entry ? readEntry(encoded, entry) : { key, value: null, versionstamp: null }) as KvEntryMaybe<T>;
  }

  /** The entries at `keys` (at most 10), in order, as `get` answers each. */
  getMany<T extends readonly unknown[]>(keys: readonly KvKey[], _options?: KvReadOptions): { [K in keyof T]: KvEntryMaybe<T[K]> } {
    if (keys.length > MAX_READ_RANGES) throw new TypeError(`Too many ranges (max ${MAX_READ_RANGES})`);
    const encoded = keys.map((key) => encodeKey(key));
    return encoded.map((key, i) => {
      const entry = this.#store.getEncoded(key);
      return entry ? readEntry(key, entry) : { key: keys[i], value: null, versionstamp: null };
    }) as { [K in keyof T]: KvEntryMaybe<T[K]> };
  }

  /** The entries `selector` picks, in key order (or reverse), as Deno.Kv's list does. */
  list(selector: KvListSelector, options: KvListOptions = {}): KvListIterator {
    return new KvListIterator(this.#store, readEntry, selector, options);
  }

  /** Writes `value` at `key` (expiring `expireIn` ms of machine time later, if given). */
  set(key: KvSetKey, value: unknown, options?: { expireIn?: number }): KvCommitResult {
    const versionstamp = this.#commit([], [pendingSet(key, value, options?.expireIn)]);
    if (versionstamp === false) throw new TypeError("Failed to set value");
    return { ok: true, versionstamp };
  }

  /** Removes the entry at `key`, if any. */
  delete(key: KvKey): void {
    this.#commit([], [{ type: "delete", key }]);
  }

  /** A key part for a set that stands for the commit's versionstamp (the key's last part only). */
  commitVersionstamp(): symbol {
    return COMMIT_VERSIONSTAMP;
  }

  /** An atomic operation: checks, then mutations, all or nothing at commit(). */
  atomic(): AtomicOperation {
    return new AtomicOperation((checks, mutations) => this.#commit(checks, mutations));
  }

  #commit(checks: readonly PendingCheck[], mutations: readonly PendingMutation[]): string | false {
    this.#policy.checkWritable();
    return this.#store.atomicWrite(checks, mutations, () => this.#policy.nextVersionstamp());
  }
}

/** The shapes of Deno KV's API, shared by the store's pure core and its facades. */
import type { KvU64 } from "./kv_u64.ts";

/** One part of a key; parts order by type first (Uint8Array < string < bigint < number < boolean), then by value. */
export type KvKeyPart = Uint8Array | string | number | bigint | boolean;
/** A key: a list of parts, compared part by part. */
export type KvKey = readonly KvKeyPart[];
/** A set's key may end with `commitVersionstamp()`: the commit's versionstamp becomes that part. */
export type KvSetKey = readonly (KvKeyPart | symbol)[];

/** A stored entry as reads return it. */
export interface KvEntry<T = unknown> {
  /** The entry's key. */
  key: KvKey;
  /** Its value, decoded. */
  value: T;
  /** 20 hex digits of the commit that wrote it (log index + position): later commits have larger ones. */
  versionstamp: string;
}

/** An entry or its absence, as `get` answers. */
export type KvEntryMaybe<T = unknown> = KvEntry<T> | { key: KvKey; value: null; versionstamp: null };

/** Which keys `list` visits: those under a prefix (optionally from `start` or before `end`), or in [start, end). */
export type KvListSelector =
  | { prefix: KvKey }
  | { prefix: KvKey; start: KvKey }
  | { prefix: KvKey; end: KvKey }
  | { start: KvKey; end: KvKey };

/** Accepted for Deno.Kv's signatures; a replicated store's reads are as consistent as the command that runs them. */
export type KvConsistencyLevel = "strong" | "eventual";

/** Options of get, getMany and list. */
export interface KvReadOptions {
  /** Accepted and ignored (see KvConsistencyLevel). */
  consistency?: KvConsistencyLevel;
}

/** Options of list, as Deno.Kv's. */
export interface KvListOptions extends KvReadOptions {
  /** At most this many entries. */
  limit?: number;
  /** Resume after the entry an earlier iterator's `cursor` named. */
  cursor?: string;
  /** Visit keys in descending order. */
  reverse?: boolean;
  /** Entries read per batch (Deno.Kv's paging; a limit on how much one read holds). */
  batchSize?: number;
}

/** An atomic operation's condition: `key` still has this versionstamp (null: is absent). */
export interface AtomicCheck {
  /** The key checked. */
  key: KvKey;
  /** The versionstamp it must have, or null for "absent". */
  versionstamp: string | null;
}

/** A commit that succeeded, with the versionstamp of its writes. */
export type KvCommitResult = { ok: true; versionstamp: string };
/** A commit whose checks failed: nothing was written. */
export type KvCommitError = { ok: false };

/** One mutation of an atomic write, as the store applies it. */
export type Mutation =
  | { type: "set"; key: KvSetKey; value: unknown; expireIn?: number }
  | { type: "delete"; key: KvKey }
  | { type: "sum" | "min" | "max"; key: KvKey; value: KvU64 | number | bigint };

/** The shapes of Deno KV's API, shared by the store's pure core and its facades. */
import type { KvU64 } from "./kv_u64.ts";

export type KvKeyPart = Uint8Array | string | number | bigint | boolean;
export type KvKey = readonly KvKeyPart[];
/** A set's key may end with `commitVersionstamp()`: the commit's versionstamp becomes that part. */
export type KvSetKey = readonly (KvKeyPart | symbol)[];

export interface KvEntry<T = unknown> {
  key: KvKey;
  value: T;
  versionstamp: string;
}

/** An entry or its absence, as `get` answers. */
export type KvEntryMaybe<T = unknown> = KvEntry<T> | { key: KvKey; value: null; versionstamp: null };

export type KvListSelector =
  | { prefix: KvKey }
  | { prefix: KvKey; start: KvKey }
  | { prefix: KvKey; end: KvKey }
  | { start: KvKey; end: KvKey };

/** Accepted for Deno.Kv's signatures; a replicated store's reads are as consistent as the command that runs them. */
export type KvConsistencyLevel = "strong" | "eventual";

export interface KvReadOptions {
  consistency?: KvConsistencyLevel;
}

export interface KvListOptions extends KvReadOptions {
  limit?: number;
  cursor?: string;
  reverse?: boolean;
  batchSize?: number;
}

export interface AtomicCheck {
  key: KvKey;
  versionstamp: string | null;
}

export type KvCommitResult = { ok: true; versionstamp: string };
export type KvCommitError = { ok: false };

/** One mutation of an atomic write, as the store applies it. */
export type Mutation =
  | { type: "set"; key: KvSetKey; value: unknown; expireIn?: number }
  | { type: "delete"; key: KvKey }
  | { type: "sum" | "min" | "max"; key: KvKey; value: KvU64 | number | bigint };

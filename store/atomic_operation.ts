/** Builds an atomic write the way Deno.AtomicOperation does, for a committer to apply. */
import { KvU64 } from "./kv_u64.ts";
import type { PendingCheck, PendingMutation } from "./kv_store.ts";
import type { AtomicCheck, KvCommitError, KvCommitResult, KvKey, KvSetKey, Mutation } from "./types.ts";
import { encodeValue, limitedSize } from "./value_codec.ts";

/** Applies a built write: a versionstamp, or false when a check failed. */
export type Committer = (checks: readonly PendingCheck[], mutations: readonly PendingMutation[]) => string | false;

/**
 * What `commitVersionstamp()` returns: as the last part of a set's key, it
 * stands for the commit's versionstamp (a string part), as in Deno KV.
 */
export const COMMIT_VERSIONSTAMP: unique symbol = Symbol("KvCommitVersionstamp");

/** A set as the store takes it; the value is serialized now, as Deno KV does, so later changes to it do not leak in. */
export function pendingSet(key: KvSetKey, value: unknown, expireIn: number | undefined): PendingMutation {
  if (expireIn !== undefined && (!Number.isInteger(expireIn) || expireIn < 0)) {
    throw new TypeError(`expireIn must be a non-negative integer: received ${expireIn}`);
  }
  const encoded = encodeValue(value);
  const size = limitedSize(value, encoded);
  if (Array.isArray(key) && key.length > 0 && key[key.length - 1] === COMMIT_VERSIONSTAMP) {
    return { type: "set", key: key.slice(0, -1) as KvKey, value: encoded, size, expireIn, versionstampSuffix: true };
  }
  // Any other symbol is refused when the key is encoded, as Deno KV refuses it.
  return { type: "set", key: key as KvKey, value: encoded, size, expireIn };
}

/** The synchronous builder; `commit()` returns the result directly. */
export class AtomicOperation {
  readonly #commit: Committer;
  readonly #checks: PendingCheck[] = [];
  readonly #mutations: PendingMutation[] = [];

  /** An operation whose `commit()` hands its checks and mutations to `commit`. */
  constructor(commit: Committer) {
    this.#commit = commit;
  }

  /** Commit only if each key still has the given versionstamp (null: is absent). */
  check(...checks: AtomicCheck[]): this {
    for (const check of checks) this.#checks.push({ key: check.key, versionstamp: check.versionstamp });
    return this;
  }

  /** Adds mutations given as objects, as Deno.Kv's `mutate` takes them. */
  mutate(...mutations: Mutation[]): this {
    for (const mutation of mutations) {
      switch (mutation.type) {
        case "delete":
          if ((mutation as { value?: unknown }).value) throw new TypeError("Invalid mutation 'delete' with value");
          this.#mutations.push({ type: "delete", key: mutation.key });
          break;
        case "set":
          if (!Object.hasOwn(mutation, "value")) throw new TypeError("Invalid mutation 'set' without value");
          this.#mutations.push(pendingSet(mutation.key, mutation.value, typeof mutation.expireIn === "number" ? mutation.expireIn : undefined));
          break;
        case "sum":
        case "min":
        case "max":
          if (!Object.hasOwn(mutation, "value")) throw new TypeError(`Invalid mutation '${mutation.type}' without value`);
          // Judged when applied, as Deno KV does: KvU64 for all three, also a number or bigint for sum.
          this.#mutations.push({ type: mutation.type, key: mutation.key, value: mutation.value });
          break;
        default:
          throw new TypeError("Invalid mutation type");
      }
    }
    return this;
  }

  /** Adds `n` to the KvU64 at `key` (modulo 2^64; an absent key counts as 0). */
  sum(key: KvKey, n: bigint): this {
    this.#mutations.push({ type: "sum", key, value: new KvU64(n) });
    return this;
  }

  /** Sets the KvU64 at `key` to the smaller of it and `n` (`n` if absent). */
  min(key: KvKey, n: bigint): this {
    this.#mutations.push({ type: "min", key, value: new KvU64(n) });
    return this;
  }

  /** Sets the KvU64 at `key` to the larger of it and `n` (`n` if absent). */
  max(key: KvKey, n: bigint): this {
    this.#mutations.push({ type: "max", key, value: new KvU64(n) });
    return this;
  }

  /** Writes `value` at `key` (expiring `expireIn` ms of machine time later, if given). */
  set(key: KvSetKey, value: unknown, options?: { expireIn?: number }): this {
    this.#mutations.push(pendingSet(key, value, options?.expireIn));
    return this;
  }

  /** Removes the entry at `key`, if any. */
  delete(key: KvKey): this {
    this.#mutations.push({ type: "delete", key });
    return this;
  }

  /** Runs the checks, then, if all hold, every mutation under one versionstamp. */
  commit(): KvCommitResult | KvCommitError {
    const versionstamp = this.#commit(this.#checks, this.#mutations);
    return versionstamp === false ? { ok: false } : { ok: true, versionstamp };
  }
}

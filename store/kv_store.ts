/**
 * The store's state and its two primitives, a range read and an atomic
 * write, with Deno KV's semantics. No clock and no counter of its own: the
 * owner says what time it is (`now`, ms) and hands each successful commit
 * its versionstamp, so every replica that applies the same log holds the
 * same entries with the same versionstamps, and entries whose expireIn has
 * run out vanish at the same log position everywhere.
 */
import { BTree } from "./btree.ts";
import { binary, encodeKey } from "./key_codec.ts";
import { isKvU64, KvU64, U64_MASK } from "./kv_u64.ts";
import {
  checkReadKey,
  checkValueSize,
  checkWriteKey,
  MAX_CHECKS,
  MAX_MUTATIONS,
  MAX_TOTAL_KEY_BYTES,
  MAX_TOTAL_MUTATION_BYTES,
} from "./limits.ts";
import type { KvKey } from "./types.ts";
import { decodeValue, encodeValue } from "./value_codec.ts";

/** A stored entry: the value's bytes as a binary string, its versionstamp, its expiry (ms) or -1. */
export interface StoredEntry {
  readonly value: string;
  readonly versionstamp: string;
  readonly expireAt: number;
}

/** A write as it reaches the store: keys unencoded, values encoded (Deno KV serializes when the op is built). */
export type PendingMutation =
  | {
    readonly type: "set";
    readonly key: KvKey;
    readonly value: Uint8Array;
    readonly size: number;
    readonly expireIn?: number;
    /** The key ends with the commit's versionstamp (a string part); `key` is what comes before it. */
    readonly versionstampSuffix?: boolean;
  }
  | { readonly type: "delete"; readonly key: KvKey }
  /** A KvU64 operand, or (sum through mutate()) a number or bigint, or whatever was given: refused when applied. */
  | { readonly type: "sum" | "min" | "max"; readonly key: KvKey; readonly value: unknown };

export interface PendingCheck {
  readonly key: KvKey;
  readonly versionstamp: string | null;
}

const VERSIONSTAMP = /^[0-9a-f]{20}$/;
/** The first byte of an encoded KvU64 (value_codec's tag). */
const U64_TAG = 14;

export class KvStore {
  #entries = new BTree<StoredEntry>();
  /** Entries that expire, keyed by expiry (16 hex digits) then key, for purging in order. */
  #expiries = new BTree<string>();
  #now = 0;

  /** Machine time in ms; reads judge expiry by it, and moving it purges what expired. */
  get now(): number {
    return this.#now;
  }

  set now(ms: number) {
    // Whole ms: expiry keys are fixed-width hex of whole numbers.
    this.#now = Math.floor(ms);
    this.#purgeExpired();
  }

  /** Number of entries held (expired ones not yet purged included). */
  get size(): number {
    return this.#entries.size;
  }

  #purgeExpired(): void {
    const limit = expiryKey(this.#now + 1, "");
    for (;;) {
      const due = this.#expiries.first("", limit);
      if (!due) return;
      this.#expiries.delete(due[0]);
      this.#entries.delete(due[1]);
    }
  }

  #live(entry: StoredEntry | undefined): StoredEntry | undefined {
    return entry && (entry.expireAt < 0 || entry.expireAt > this.#now) ? entry : undefined;
  }

  /** The live entry at an encoded key (checked against the read limit, as Deno KV's point read). */
  getEncoded(key: string): StoredEntry | undefined {
    // A point read is the range [key, key + 0x00): its end is one byte longer.
    checkReadKey(key.length + 1);
    return this.#live(this.#entries.get(key));
  }

  /** Up to `limit` live entries with start ≤ key < end, in key order (reversed if asked). */
  readRange(start: string, end: string, limit: number, reverse: boolean): [string, StoredEntry][] {
    const out: [string, StoredEntry][] = [];
    if (limit <= 0) return out;
    this.#entries.scan(start, end, reverse, (key, entry) => {
      if (this.#live(entry)) out.push([key, entry]);
      return out.length < limit;
    });
    return out;
  }

  /**
   * Applies checks then mutations, all or nothing. Returns false when a
   * check fails (nothing written), else the versionstamp `nextVersionstamp`
   * gave. Throws TypeError for a write Deno KV refuses; nothing is written
   * then either.
   */
  atomicWrite(checks: readonly PendingCheck[], mutations: readonly PendingMutation[], nextVersionstamp: () => string): string | false {
    if (checks.length > MAX_CHECKS) throw new TypeError(`Too many checks (max ${MAX_CHECKS})`);
    if (mutations.length > MAX_MUTATIONS) throw new TypeError(`Too many mutations (max ${MAX_MUTATIONS})`);
    const checkKeys = checks.map((check) => {
      if (check.versionstamp !== null && (typeof check.versionstamp !== "string" || !VERSIONSTAMP.test(check.versionstamp))) {
        throw new TypeError("Invalid check");
      }
      return encodeKey(check.key);
    });
    const mutationKeys = mutations.map((mutation) => encodeKey(mutation.key));
    let totalBytes = 0;
    let totalKeyBytes = 0;
    for (const key of [...checkKeys, ...mutationKeys]) {
      if (key.length === 0) throw new TypeError("key cannot be empty");
      totalBytes += checkWriteKey(key);
    }
    mutations.forEach((mutation, i) => {
      if (mutation.type === "delete") return;
      const size = mutation.type === "set" ? mutation.size : isKvU64(mutation.value) ? 8 : encodeValue(mutation.value).length;
      totalBytes += checkValueSize(size) + mutationKeys[i].length;
      totalKeyBytes += mutationKeys[i].length;
    });
    if (totalBytes > MAX_TOTAL_MUTATION_BYTES) {
      throw new TypeError(`Total mutation size too large (max ${MAX_TOTAL_MUTATION_BYTES} bytes)`);
    }
    if (totalKeyBytes > MAX_TOTAL_KEY_BYTES) throw new TypeError(`Total key size too large (max ${MAX_TOTAL_KEY_BYTES} bytes)`);

    for (let i = 0; i < checks.length; i++) {
      const current = this.#live(this.#entries.get(checkKeys[i]));
      if ((current?.versionstamp ?? null) !== checks[i].versionstamp) return false;
    }
    // Work out every new entry before touching the store, so a refused
    // sum/min/max leaves nothing half-written (Deno KV keeps the mutations
    // before the failing one: see the differential test's notes).
    const staged = new Map<string, StoredEntry | null>();
    const current = (key: string) => staged.has(key) ? staged.get(key) ?? undefined : this.#live(this.#entries.get(key));
    const writes: [string | ((versionstamp: string) => string), StoredEntry | null][] = [];
    mutations.forEach((mutation, i) => {
      const key = mutationKeys[i];
      if (mutation.type === "set" && mutation.versionstampSuffix) {
        const expireAt = mutation.expireIn === undefined ? -1 : this.#now + mutation.expireIn;
        writes.push([(versionstamp) => key + "\x02" + versionstamp + "\0", { value: binary(mutation.value), versionstamp: "", expireAt }]);
        return;
      }
      let next: StoredEntry | null;
      if (mutation.type === "delete") {
        next = null;
      } else if (mutation.type === "set") {
        const expireAt = mutation.expireIn === undefined ? -1 : this.#now + mutation.expireIn;
        next = { value: binary(mutation.value), versionstamp: "", expireAt };
      } else {
        next = { value: binary(encodeValue(combine(mutation.type, current(key), mutation.value))), versionstamp: "", expireAt: -1 };
      }
      staged.set(key, next);
      writes.push([key, next]);
    });
    const committed = nextVersionstamp();
    for (const [target, next] of writes) {
      const key = typeof target === "string" ? target : target(committed);
      this.#remove(key);
      if (next) this.#put(key, { ...next, versionstamp: committed });
    }
    return committed;
  }

  #remove(key: string): void {
    const old = this.#entries.get(key);
    if (!old) return;
    this.#entries.delete(key);
    if (old.expireAt >= 0) this.#expiries.delete(expiryKey(old.expireAt, key));
  }

  #put(key: string, entry: StoredEntry): void {
    this.#entries.set(key, entry);
    if (entry.expireAt >= 0) this.#expiries.set(expiryKey(entry.expireAt, key), key);
  }

  /** Every entry held, in key order (for snapshots). */
  *entries(): Generator<[string, StoredEntry]> {
    let after = "";
    for (;;) {
      const batch = this.#rawRange(after, 1024);
      if (batch.length === 0) return;
      yield* batch;
      after = batch[batch.length - 1][0] + "\0";
    }
  }

  #rawRange(start: string, limit: number): [string, StoredEntry][] {
    const out: [string, StoredEntry][] = [];
    this.#entries.scan(start, "\uffff", false, (key, entry) => {
      out.push([key, entry]);
      return out.length < limit;
    });
    return out;
  }

  /** Empties the store. */
  clear(): void {
    this.#entries.clear();
    this.#expiries.clear();
  }

  /** Takes over `other`'s entries (a store restored on the side), in one step; `other` is not to be used after. */
  replaceWith(other: KvStore): void {
    this.#entries = other.#entries;
    this.#expiries = other.#expiries;
    this.#purgeExpired();
  }

  /** Adds an entry as a snapshot holds it. */
  load(key: string, entry: StoredEntry): void {
    this.#put(key, entry);
  }
}

function expiryKey(expireAt: number, key: string): string {
  return expireAt.toString(16).padStart(16, "0") + key;
}

/**
 * The value a sum, min or max leaves, as Deno KV computes it: on KvU64s
 * (wrapping at 2^64), or for sum also on numbers or bigints (a bigint onto
 * a KvU64 stays a KvU64 while it fits); absent, the operand itself.
 */
function combine(type: "sum" | "min" | "max", old: StoredEntry | undefined, operand: unknown): unknown {
  if (isKvU64(operand)) {
    if (!old) return new KvU64(operand.value);
    if (old.value.charCodeAt(0) !== U64_TAG) {
      throw new TypeError(`Failed to perform '${type}' mutation on a non-U64 value in the database`);
    }
    const was = (decodeValue(old.value) as KvU64).value;
    const by = operand.value;
    return new KvU64(type === "sum" ? (was + by) & U64_MASK : type === "min" ? (was < by ? was : by) : (was > by ? was : by));
  }
  if (type !== "sum") throw new TypeError(`Failed to perform '${type}' mutation on a non-U64 operand`);
  if (typeof operand !== "number" && typeof operand !== "bigint") throw new TypeError("Some of the parameters are not valid V8 values");
  if (!old) return operand;
  const was = decodeValue(old.value);
  if (isKvU64(was)) {
    if (typeof operand === "bigint" && operand >= 0n && operand <= U64_MASK) return new KvU64((was.value + operand) & U64_MASK);
    throw new TypeError(`Cannot sum KvU64 with ${operandName(operand)}`);
  }
  if (typeof was !== "number" && typeof was !== "bigint") throw new TypeError("unsupported value type");
  if (typeof was !== typeof operand) throw new TypeError(`Cannot sum ${operandName(was)} with ${operandName(operand)}`);
  return typeof was === "number" ? was + (operand as number) : was + (operand as bigint);
}

function operandName(value: number | bigint): string {
  return typeof value === "number" ? "Number" : "BigInt";
}

/**
 * Deno.Kv's API (async) over an in-process store: for tests and for apps
 * that want the store without replication. Time is the host clock unless
 * a clock is given; versionstamps count commits.
 */
import { type AtomicOperation, COMMIT_VERSIONSTAMP } from "./atomic_operation.ts";
import { KvStore } from "./kv_store.ts";
import type { KvListIterator } from "./list_iterator.ts";
import { storeOf, SyncKv } from "./sync_kv.ts";
import type {
  AtomicCheck,
  KvCommitError,
  KvCommitResult,
  KvEntry,
  KvEntryMaybe,
  KvKey,
  KvListOptions,
  KvListSelector,
  KvReadOptions,
  KvSetKey,
  Mutation,
} from "./types.ts";
import { formatVersionstamp } from "./versionstamp.ts";

export interface OpenKvOptions {
  /** Milliseconds since the epoch; expiry is judged by it. Default: Date.now. */
  clock?: () => number;
}

/** Opens an empty in-memory store with Deno.Kv's methods. */
export function openKv(options: OpenKvOptions = {}): Promise<Kv> {
  return Promise.resolve(new Kv(options.clock ?? Date.now));
}

export class Kv {
  readonly #sync: SyncKv;
  readonly #clock: () => number;
  #commits = 0;

  constructor(clock: () => number) {
    this.#clock = clock;
    this.#sync = new SyncKv(new KvStore(), {
      nextVersionstamp: () => formatVersionstamp(++this.#commits, 0),
      checkWritable: () => {},
    });
  }

  /** The synchronous API over the same store (with the clock read now). */
  #now(): SyncKv {
    storeOf(this.#sync).now = this.#clock();
    return this.#sync;
  }

  get<T = unknown>(key: KvKey, _options?: KvReadOptions): Promise<KvEntryMaybe<T>> {
    return attempt(() => this.#now().get<T>(key));
  }

  getMany<T extends readonly unknown[]>(keys: readonly KvKey[], _options?: KvReadOptions): Promise<{ [K in keyof T]: KvEntryMaybe<T[K]> }> {
    return attempt(() => this.#now().getMany<T>(keys));
  }

  set(key: KvSetKey, value: unknown, options?: { expireIn?: number }): Promise<KvCommitResult> {
    return attempt(() => this.#now().set(key, value, options));
  }

  delete(key: KvKey): Promise<void> {
    return attempt(() => this.#now().delete(key));
  }

  /** Throws at once for bad arguments (as Deno does); read errors come from the first next(). */
  list<T = unknown>(selector: KvListSelector, options?: KvListOptions): AsyncKvListIterator<T> {
    return new AsyncKvListIterator<T>(this.#sync.list(selector, options), () => this.#now());
  }

  /** A key part for a set that stands for the commit's versionstamp (the key's last part only). */
  commitVersionstamp(): typeof COMMIT_VERSIONSTAMP {
    return COMMIT_VERSIONSTAMP;
  }

  atomic(): AsyncAtomicOperation {
    return new AsyncAtomicOperation(this.#sync.atomic(), () => this.#now());
  }

  close(): void {}
}

function attempt<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error);
  }
}

export class AsyncKvListIterator<T = unknown> implements AsyncIterableIterator<KvEntry<T>> {
  readonly #inner: KvListIterator;
  readonly #tick: () => void;

  constructor(inner: KvListIterator, tick: () => void) {
    this.#inner = inner;
    this.#tick = tick;
  }

  get cursor(): string {
    return this.#inner.cursor;
  }

  next(): Promise<IteratorResult<KvEntry<T>, undefined>> {
    return attempt(() => {
      this.#tick();
      return this.#inner.next() as IteratorResult<KvEntry<T>, undefined>;
    });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export class AsyncAtomicOperation {
  readonly #inner: AtomicOperation;
  readonly #tick: () => void;

  constructor(inner: AtomicOperation, tick: () => void) {
    this.#inner = inner;
    this.#tick = tick;
  }

  check(...checks: AtomicCheck[]): this {
    this.#inner.check(...checks);
    return this;
  }

  mutate(...mutations: Mutation[]): this {
    this.#inner.mutate(...mutations);
    return this;
  }

  sum(key: KvKey, n: bigint): this {
    this.#inner.sum(key, n);
    return this;
  }

  min(key: KvKey, n: bigint): this {
    this.#inner.min(key, n);
    return this;
  }

  max(key: KvKey, n: bigint): this {
    this.#inner.max(key, n);
    return this;
  }

  set(key: KvSetKey, value: unknown, options?: { expireIn?: number }): this {
    this.#inner.set(key, value, options);
    return this;
  }

  delete(key: KvKey): this {
    this.#inner.delete(key);
    return this;
  }

  commit(): Promise<KvCommitResult | KvCommitError> {
    return attempt(() => {
      this.#tick();
      return this.#inner.commit();
    });
  }

  /** Awaiting the operation itself, not its commit(), is a mistake Deno KV reports; so does this. */
  then(): never {
    throw new TypeError("'Deno.AtomicOperation' is not a promise: did you forget to call 'commit()'");
  }
}

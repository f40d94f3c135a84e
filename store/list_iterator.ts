/**
 * A listing, pulled in batches exactly as Deno's KvListIterator pulls them,
 * so limits, batch sizes and cursors behave the same: the cursor is the
 * last entry returned, "" once the listing ran out, and reading it before
 * the first entry is an error.
 */
import type { KvStore, StoredEntry } from "./kv_store.ts";
import { MAX_READ_ENTRIES } from "./limits.ts";
import { encodeCursor, type RawSelector, rawSelector, readRange, type SelectorKeys, selectorKeys } from "./list_range.ts";
import type { KvEntry, KvListOptions, KvListSelector } from "./types.ts";

/** Turns a stored entry into what reads return (a fresh value each time). */
export type EntryReader = (key: string, entry: StoredEntry) => KvEntry;

/** list()'s own argument checks, made when it is called (Deno throws them synchronously). */
export function batchSizeOf(options: KvListOptions): number {
  if (options.limit !== undefined && options.limit <= 0) {
    throw new Error(`Limit must be a positive integer: received ${options.limit}`);
  }
  let batchSize = options.batchSize ?? options.limit ?? 100;
  if (batchSize <= 0) throw new Error("batchSize must be positive");
  if (options.batchSize === undefined && batchSize > 500) batchSize = 500;
  return batchSize;
}

/** The entries a `list` picks, read from the store in batches as they are iterated (Deno.KvListIterator's twin). */
export class KvListIterator implements IterableIterator<KvEntry> {
  readonly #store: KvStore;
  readonly #read: EntryReader;
  readonly #selector: SelectorKeys;
  #raw: RawSelector | undefined;
  readonly #limit: number | undefined;
  readonly #reverse: boolean;
  readonly #batchSize: number;
  #entries: [string, StoredEntry][] = [];
  #cursor: (() => string) | null;
  #done = false;
  #lastBatch = false;
  #count = 0;

  /** A listing of `selector` in `store`; `read` turns a stored entry into what it yields. */
  constructor(store: KvStore, read: EntryReader, selector: KvListSelector, options: KvListOptions = {}) {
    this.#store = store;
    this.#read = read;
    this.#batchSize = batchSizeOf(options);
    this.#selector = selectorKeys(selector);
    this.#limit = options.limit;
    this.#reverse = options.reverse ?? false;
    const cursor = options.cursor;
    this.#cursor = cursor ? () => cursor : null;
  }

  /** Where a later listing with the same selector resumes. */
  get cursor(): string {
    if (this.#cursor === null) throw new Error("Cannot get cursor before first iteration");
    return this.#cursor();
  }

  /** The next entry, reading the next batch when this one is used up. */
  next(): IteratorResult<KvEntry, undefined> {
    if (this.#done || (this.#limit !== undefined && this.#count >= this.#limit)) {
      return { done: true, value: undefined };
    }
    if (this.#entries.length === 0 && !this.#lastBatch) {
      this.#raw ??= rawSelector(this.#selector);
      const [start, end] = readRange(this.#raw, this.#reverse, this.#cursor ? this.#cursor() : undefined);
      if (this.#batchSize > MAX_READ_ENTRIES) throw new TypeError(`Too many entries (max ${MAX_READ_ENTRIES})`);
      this.#entries = this.#store.readRange(start, end, this.#batchSize, this.#reverse).reverse();
      if (this.#entries.length < this.#batchSize) this.#lastBatch = true;
    }
    const next = this.#entries.pop();
    if (!next) {
      this.#done = true;
      this.#cursor = () => "";
      return { done: true, value: undefined };
    }
    const raw = this.#raw!;
    this.#cursor = () => encodeCursor(raw, next[0]);
    this.#count++;
    return { done: false, value: this.#read(next[0], next[1]) };
  }

  /** Itself: a listing is iterated once. */
  [Symbol.iterator](): this {
    return this;
  }
}

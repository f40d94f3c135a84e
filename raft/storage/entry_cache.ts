/**
 * The newest entries of the file log, kept in memory so that reads of the
 * recent past (followers catching up, the apply loop) need no disk: a
 * contiguous run of entries that ends at the log's last index. Once full
 * it holds between `limit` and 2 × `limit` entries (trimmed in one go, not
 * on every append).
 */
import type { LogEntry } from "../log_entry.ts";

export class EntryCache {
  /** #entries[i] has index #start + i. */
  #entries: LogEntry[] = [];
  #start = 1;
  readonly limit: number;

  /** `limit`: how many entries to keep at least (≥ 1). */
  constructor(limit: number) {
    this.limit = Math.max(1, limit);
  }

  /** Index of the first cached entry; the cache ends at the log's last index (it may be empty). */
  get start(): number {
    return this.#start;
  }

  /** Replaces the contents: `entries`, the first at index `start`, the last the log's last. */
  fill(entries: LogEntry[], start: number): void {
    this.#entries = entries;
    this.#start = start;
  }

  /** Entries [lo, hi), where start ≤ lo and hi is at most one past the log's last index. */
  slice(lo: number, hi: number): LogEntry[] {
    return this.#entries.slice(lo - this.#start, hi - this.#start);
  }

  /** Adds entries just appended to the log (they continue it). */
  append(entries: readonly LogEntry[]): void {
    for (const entry of entries) this.#entries.push(entry);
    if (this.#entries.length > 2 * this.limit) {
      const drop = this.#entries.length - this.limit;
      this.#entries = this.#entries.slice(drop);
      this.#start += drop;
    }
  }

  /** The log was cut from `index` on (truncateSuffix). */
  truncateFrom(index: number): void {
    if (index <= this.#start) this.clear(index);
    else this.#entries.length = Math.min(this.#entries.length, index - this.#start);
  }

  /** The log now starts at `first` (compactPrefix): nothing before it is kept. */
  dropBefore(first: number): void {
    if (this.#start >= first) return;
    this.#entries = this.#entries.slice(Math.min(this.#entries.length, first - this.#start));
    this.#start = first;
  }

  /** Empty; the log's next entry is `next` (reset, or a cut below the cache). */
  clear(next: number): void {
    this.#entries = [];
    this.#start = next;
  }
}

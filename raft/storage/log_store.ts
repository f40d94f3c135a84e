/**
 * The Raft log seam. Two implementations pass one conformance suite:
 * `MemoryLogStore` (tests, simulation) and `FileLogStore` (production).
 */
import type { LogEntry } from "../log_entry.ts";

/**
 * An ordered, contiguous run of log entries [firstIndex, lastIndex].
 *
 * Mutations (`append`, `truncateSuffix`, `compactPrefix`, `reset`) run in
 * the order they are called; each one's effect becomes visible to the
 * readers (`firstIndex`, `lastIndex`, `term`, `entries`) when its promise
 * resolves, and by then it is durable (unless the store was opened with
 * `nosync`). So a reader only ever sees durable entries; the caller keeps
 * its own copy of entries it has handed to `append` until they resolve.
 * A store may keep (and hand out again) the entries it was given rather
 * than copies: nobody mutates an entry's data once appended.
 *
 * Indexes and terms start at 1. An empty log has lastIndex = firstIndex - 1.
 */
export interface LogStore {
  /** Index of the first entry held; lastIndex() + 1 when the log is empty. */
  firstIndex(): number;
  /** Index of the last entry held; firstIndex() - 1 when empty (0 for a new log). */
  lastIndex(): number;
  /**
   * Term of the entry at `index`, for firstIndex()-1 <= index <= lastIndex().
   * At firstIndex()-1 it is the term of the compaction / snapshot point
   * (0 for a new log). Throws RangeError outside that range.
   */
  term(index: number): number;
  /**
   * Entries with lo <= index < hi. Requires firstIndex() <= lo <= hi <= lastIndex()+1,
   * else rejects with RangeError. With `maxBytes`, stops before the entry
   * that would take the total data size over it (but returns at least one).
   * Recent entries are served from memory. The returned data arrays are
   * shared: do not mutate them.
   */
  entries(lo: number, hi: number, maxBytes?: number): Promise<LogEntry[]>;
  /**
   * Appends a contiguous batch starting at lastIndex()+1 (as of when the
   * batch runs), with terms never going down. Resolves once the batch is
   * on disk. Batches arriving while a sync is in flight share the next
   * write and sync (group commit).
   */
  append(entries: readonly LogEntry[]): Promise<void>;
  /** Removes every entry with index >= fromIndex (no-op past the end). fromIndex must be >= firstIndex(). */
  truncateSuffix(fromIndex: number): Promise<void>;
  /** Drops entries with index <= uptoIndex (no-op below firstIndex). uptoIndex must be <= lastIndex(). */
  compactPrefix(uptoIndex: number): Promise<void>;
  /**
   * Discards the whole log: it restarts empty after (prevIndex, prevTerm),
   * i.e. firstIndex() = prevIndex + 1 and term(prevIndex) = prevTerm.
   * Used after installing a snapshot that the log does not cover.
   */
  reset(prevIndex: number, prevTerm: number): Promise<void>;
  /**
   * After a write failed (ENOSPC, EIO: the store then refuses writes),
   * reopens the store in place: verifies what is on disk again, cuts a tail
   * the failed write may have torn, and accepts writes again. What the
   * readers see afterwards is exactly what is durable. Rejects, still
   * refusing writes, while the storage keeps failing. No-op when healthy.
   */
  recover(): Promise<void>;
  /** Waits for queued work, then releases files. Later calls reject. */
  close(): Promise<void>;
}

/** Checks that `batch` may follow (lastIndex, lastTerm); returns the problem or null. */
export function appendProblem(batch: readonly LogEntry[], lastIndex: number, lastTerm: number): string | null {
  let index = lastIndex;
  let term = lastTerm;
  for (const e of batch) {
    if (e.index !== index + 1) {
      return `append out of order: expected index ${index + 1}, got ${e.index}`;
    }
    if (!Number.isSafeInteger(e.term) || e.term < term || e.term < 1) {
      return `append at index ${e.index}: term ${e.term} is invalid or lower than the previous term ${term}`;
    }
    if (e.kind !== 0 && e.kind !== 1 && e.kind !== 2) return `append at index ${e.index}: unknown kind ${e.kind}`;
    index = e.index;
    term = e.term;
  }
  return null;
}

/** RangeError for entries(lo, hi) outside what is held. */
export function rangeError(lo: number, hi: number, first: number, last: number): RangeError {
  return new RangeError(`entries(${lo}, ${hi}) is outside the log, which holds [${first}, ${last}]`);
}

/** The longest prefix of `entries` whose data totals at most maxBytes (at least one entry). */
export function limitBytes(entries: LogEntry[], maxBytes: number): LogEntry[] {
  if (!Number.isFinite(maxBytes)) return entries;
  let total = 0;
  for (let i = 0; i < entries.length; i++) {
    total += entries[i].data.byteLength;
    if (total > maxBytes && i > 0) return entries.slice(0, i);
  }
  return entries;
}

/**
 * The in-memory view of one server's log: a snapshot (everything ≤
 * snapshot.index, compacted) followed by entries. Tracks what the driver
 * has persisted (`stable`), the commit index and the applied index.
 */
import { EntryKind, type LogEntry } from "../log_entry.ts";
import { decodeConfig } from "./membership.ts";
import type { MembershipConfig, SnapshotMeta } from "./types.ts";

/** Thrown when an invariant of the protocol would be broken (a bug). */
export class RaftInvariantError extends Error {
  override name = "RaftInvariantError";
}

/** Snapshot metadata plus the entries after it, with stable/commit/applied marks. */
export class RaftLog {
  /** Everything ≤ snapshot.index is compacted into this snapshot. */
  snapshot: SnapshotMeta;
  /** entries[k].index === snapshot.index + 1 + k. */
  entries: LogEntry[];
  committed: number;
  applied: number;
  /** Last index the driver has persisted. */
  stable: number;
  /** A snapshot received from the leader, not yet handed to the driver. */
  pendingSnapshot: SnapshotMeta | undefined;
  /** Indexes of Config entries in `entries`, ascending. */
  private configIndexes: number[] = [];

  constructor(snapshot: SnapshotMeta, entries: readonly LogEntry[], commit: number, applied: number) {
    this.snapshot = snapshot;
    this.entries = [];
    let expect = snapshot.index + 1;
    for (const e of entries) {
      if (e.index < expect) continue; // already covered by the snapshot
      if (e.index !== expect) {
        throw new RangeError(`log entries not contiguous: expected index ${expect}, got ${e.index}`);
      }
      this.entries.push(e);
      if (e.kind === EntryKind.Config) this.configIndexes.push(e.index);
      expect++;
    }
    this.stable = this.lastIndex();
    this.committed = Math.min(Math.max(commit, snapshot.index), this.lastIndex());
    this.applied = Math.min(Math.max(applied, snapshot.index), this.committed);
  }

  firstIndex(): number {
    return this.snapshot.index + 1;
  }

  lastIndex(): number {
    return this.snapshot.index + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** Term of the entry at `index`; undefined if compacted away or past the end. */
  term(index: number): number | undefined {
    if (index === this.snapshot.index) return this.snapshot.term;
    if (index < this.snapshot.index || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshot.index - 1].term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Election restriction (Raft §5.4.1): is (lastIndex, lastTerm) at least as up to date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi), which must not be compacted. */
  slice(lo: number, hi: number): LogEntry[] {
    if (lo <= this.snapshot.index) throw new RaftInvariantError(`slice(${lo}) below first index`);
    const base = this.snapshot.index + 1;
    return this.entries.slice(lo - base, Math.min(hi, this.lastIndex() + 1) - base);
  }

  /**
   * Appends entries, truncating any conflicting suffix first (Raft §5.3).
   * Returns the new last index.
   */
  append(entries: readonly LogEntry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const first = entries[0].index;
    if (first <= this.committed) {
      throw new RaftInvariantError(`append at ${first} would overwrite committed ${this.committed}`);
    }
    if (first > this.lastIndex() + 1) {
      throw new RaftInvariantError(`append at ${first} leaves a gap after ${this.lastIndex()}`);
    }
    this.truncateFrom(first);
    for (const e of entries) {
      this.entries.push(e);
      if (e.kind === EntryKind.Config) this.configIndexes.push(e.index);
    }
    return this.lastIndex();
  }

  private truncateFrom(index: number): void {
    if (index > this.lastIndex()) return;
    this.entries.length = index - this.snapshot.index - 1;
    while (this.configIndexes.length > 0 && this.configIndexes[this.configIndexes.length - 1] >= index) {
      this.configIndexes.pop();
    }
    this.stable = Math.min(this.stable, index - 1);
  }

  /**
   * Follower side of AppendEntries: if (prevIndex, prevTerm) matches, append
   * what is new and return the index of the last new entry; else undefined.
   */
  maybeAppend(prevIndex: number, prevTerm: number, entries: readonly LogEntry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) this.append(entries.slice(conflict - entries[0].index));
    return prevIndex + entries.length;
  }

  /** First index whose term differs from ours or that we lack; 0 if we have them all. */
  findConflict(entries: readonly LogEntry[]): number {
    for (const e of entries) {
      if (e.index <= this.snapshot.index) continue;
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Fast backtracking: the largest index ≤ `index` whose term is ≤ `term`,
   * with that term (0 when unknown because compacted).
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    for (let i = Math.min(index, this.lastIndex()); i >= this.snapshot.index; i--) {
      const t = this.term(i)!;
      if (t <= term) return { index: i, term: t };
    }
    return { index: this.snapshot.index, term: 0 };
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    if (index > this.lastIndex()) {
      throw new RaftInvariantError(`commit ${index} is past the last index ${this.lastIndex()}`);
    }
    this.committed = index;
  }

  /** Entries not yet persisted. */
  unstableEntries(): LogEntry[] {
    return this.slice(Math.max(this.stable, this.snapshot.index) + 1, this.lastIndex() + 1);
  }

  /** The driver persisted up to (index, term); ignored if the log changed since. */
  stableTo(index: number, term: number): void {
    if (index > this.stable && this.matchTerm(index, term)) this.stable = index;
  }

  /** Replaces the log with a snapshot from the leader (Raft §7). */
  restore(snapshot: SnapshotMeta): void {
    this.snapshot = snapshot;
    this.entries = [];
    this.configIndexes = [];
    this.committed = snapshot.index;
    this.stable = snapshot.index;
    this.pendingSnapshot = snapshot;
  }

  /** Drops entries ≤ index, recording `snapshot` (at `index`) in their place. */
  compact(snapshot: SnapshotMeta): void {
    const drop = snapshot.index - this.snapshot.index;
    if (drop <= 0) return;
    this.entries.splice(0, drop);
    this.snapshot = snapshot;
    while (this.configIndexes.length > 0 && this.configIndexes[0] <= snapshot.index) {
      this.configIndexes.shift();
    }
  }

  /** The configuration in effect at `index` (configs take effect when appended). */
  configAt(index: number): MembershipConfig {
    for (let k = this.configIndexes.length - 1; k >= 0; k--) {
      const i = this.configIndexes[k];
      if (i <= index) return decodeConfig(this.entries[i - this.snapshot.index - 1].data);
    }
    return this.snapshot.config;
  }

  /** Index of the last Config entry in the log (0 if only the snapshot's). */
  lastConfigIndex(): number {
    return this.configIndexes.length > 0 ? this.configIndexes[this.configIndexes.length - 1] : 0;
  }
}

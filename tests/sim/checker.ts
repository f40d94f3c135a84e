/**
 * Raft safety properties (Raft §5.2–5.4, Figure 3), checked incrementally
 * after every simulator step. Each method throws SafetyViolation.
 */
import { EntryKind, type LogEntry } from "../../raft/log_entry.ts";
import type { RaftNode } from "../../raft/core/mod.ts";

export class SafetyViolation extends Error {
  override name = "SafetyViolation";
}

/** A stable description of an entry's content, for comparisons. */
export function entryKey(e: LogEntry): string {
  let key = keys.get(e);
  if (key === undefined) {
    key = `${e.term}/${e.kind}/${e.kind === EntryKind.Noop ? "" : e.data.join(",")}`;
    keys.set(e, key);
  }
  return key;
}

/** Entry objects are shared between simulated servers: compute each key once. */
const keys = new WeakMap<LogEntry, string>();

export interface CheckedServer {
  readonly id: number;
  readonly core: RaftNode;
}

/** The log of a server that may still take part in elections (running or crashed). */
export interface LogView {
  readonly id: number;
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly snapshotIndex: number;
  /** Voters of the server's latest configuration. */
  readonly voters: readonly number[];
  termAt(index: number): number | undefined;
}

export class SafetyChecker {
  /** term → leader id (election safety). */
  private readonly leaders = new Map<number, number>();
  /** "index:term" → previous term and content of every entry ever persisted (log matching). */
  private readonly entries = new Map<string, { prevTerm: number | undefined; content: string }>();
  /** index → content key of every committed entry (never lost, never changed). */
  private readonly committed = new Map<number, string>();
  private readonly committedTerm = new Map<number, number>();
  private maxCommitted = 0;
  /** term → highest index first seen committed by a server in that term. */
  private readonly committedInTerm = new Map<number, number>();
  /** index → content key of every applied entry (state machine safety). */
  private readonly applied = new Map<number, string>();
  /** server id → commit index already recorded. */
  private readonly seenCommit = new Map<number, number>();
  /** server id → last applied index in this incarnation. */
  private readonly lastApplied = new Map<number, number>();

  /** A server was (re)started: its applied index restarts at its snapshot. */
  onStart(id: number, appliedIndex: number): void {
    this.lastApplied.set(id, appliedIndex);
    this.seenCommit.set(id, 0);
  }

  /** Entries a server persisted; `prevTerm` is the term before the first one. */
  onPersist(id: number, entries: readonly LogEntry[], prevTerm: number | undefined): void {
    let prev = prevTerm;
    for (const e of entries) {
      const key = `${e.index}:${e.term}`;
      const content = entryKey(e);
      const known = this.entries.get(key);
      if (known === undefined) this.entries.set(key, { prevTerm: prev, content });
      else {
        if (known.content !== content) {
          throw new SafetyViolation(
            `log matching: server ${id} has ${content} at ${key}, another server ${known.content}`,
          );
        }
        if (prev !== undefined && known.prevTerm !== undefined && known.prevTerm !== prev) {
          throw new SafetyViolation(
            `log matching: server ${id} has term ${prev} before ${key}, another server ${known.prevTerm}`,
          );
        }
        if (known.prevTerm === undefined) known.prevTerm = prev;
      }
      prev = e.term;
    }
  }

  onApply(id: number, entry: LogEntry): void {
    const last = this.lastApplied.get(id) ?? 0;
    if (entry.index !== last + 1) {
      throw new SafetyViolation(`applied index of server ${id} went from ${last} to ${entry.index}`);
    }
    this.lastApplied.set(id, entry.index);
    const key = entryKey(entry);
    const other = this.applied.get(entry.index);
    if (other === undefined) this.applied.set(entry.index, key);
    else if (other !== key) {
      throw new SafetyViolation(
        `state machine safety: server ${id} applied ${key} at ${entry.index}, another server ${other}`,
      );
    }
  }

  onRestoreSnapshot(id: number, index: number): void {
    const last = this.lastApplied.get(id) ?? 0;
    if (index <= last) {
      throw new SafetyViolation(`server ${id} restored snapshot ${index} at or below applied ${last}`);
    }
    this.lastApplied.set(id, index);
  }

  /** Checks every property that depends on the current state of the live servers. */
  afterStep(servers: readonly CheckedServer[], views?: () => LogView[]): void {
    const before = this.maxCommitted;
    for (const s of servers) this.recordCommits(s);
    if (views && this.maxCommitted > before) {
      this.checkNoElectableServerLacks(this.maxCommitted, this.committedTerm.get(this.maxCommitted)!, views());
    }
    for (const s of servers) {
      if (s.core.role !== "leader") continue;
      const term = s.core.term;
      const known = this.leaders.get(term);
      if (known === undefined) this.leaders.set(term, s.id);
      else if (known !== s.id) {
        throw new SafetyViolation(`election safety: servers ${known} and ${s.id} both lead term ${term}`);
      }
      this.checkLeaderCompleteness(s);
    }
  }

  private recordCommits(s: CheckedServer): void {
    const core = s.core;
    const from = Math.max(this.seenCommit.get(s.id) ?? 0, core.snapshotMeta.index) + 1;
    const to = core.commitIndex;
    if (to < from) return;
    for (const e of core.entries(from, to + 1)) {
      const key = entryKey(e);
      const other = this.committed.get(e.index);
      if (other === undefined) {
        this.committed.set(e.index, key);
        this.committedTerm.set(e.index, e.term);
      } else if (other !== key) {
        throw new SafetyViolation(
          `committed entry changed: server ${s.id} has ${key} committed at ${e.index}, earlier ${other}`,
        );
      }
    }
    this.seenCommit.set(s.id, to);
    if (to > this.maxCommitted) {
      this.maxCommitted = to;
      this.committedInTerm.set(core.term, Math.max(this.committedInTerm.get(core.term) ?? 0, to));
    }
  }

  /**
   * An entry just became committed: no server lacking it may be able to win
   * an election, i.e. gather votes from a majority of the voters of its own
   * configuration whose logs are not more up to date than its own (§5.4.1).
   * Otherwise some schedule lets that server lead and drop the entry. This
   * flags unsafe commits at once, without waiting for that schedule.
   */
  private checkNoElectableServerLacks(index: number, term: number, views: readonly LogView[]): void {
    const byId = new Map(views.map((v) => [v.id, v]));
    for (const s of views) {
      if (index <= s.snapshotIndex || s.termAt(index) === term || !s.voters.includes(s.id)) continue;
      const grant = s.voters.filter((id) => {
        const v = byId.get(id);
        return v !== undefined &&
          (s.lastTerm > v.lastTerm || (s.lastTerm === v.lastTerm && s.lastIndex >= v.lastIndex));
      });
      if (grant.length * 2 > s.voters.length) {
        throw new SafetyViolation(
          `entry ${index} (term ${term}) is committed, but server ${s.id} (last ${s.lastIndex}/${s.lastTerm}) ` +
            `lacks it and could be elected by {${grant}} of voters {${s.voters}}`,
        );
      }
    }
  }

  /**
   * Leader completeness (§5.4): a leader of term T holds every entry that
   * was committed in a term before T. (A deposed leader that has not heard
   * of its successor yet may lack entries committed later.)
   */
  private checkLeaderCompleteness(s: CheckedServer): void {
    const core = s.core;
    let m = 0;
    for (const [term, index] of this.committedInTerm) if (term < core.term && index > m) m = index;
    if (m === 0 || m <= core.snapshotMeta.index) return;
    const want = this.committedTerm.get(m);
    const have = core.termAt(m);
    if (have !== want) {
      throw new SafetyViolation(
        `leader completeness: leader ${s.id} of term ${core.term} has term ${have} at committed index ${m} (want ${want})`,
      );
    }
  }

  /** The committed prefix, for the final durability check. */
  committedCount(): number {
    return this.maxCommitted;
  }

  /** Committed entries must still be in `core`'s log or snapshot (never lost). */
  checkHolds(s: CheckedServer): void {
    const core = s.core;
    for (let i = core.snapshotMeta.index + 1; i <= Math.min(this.maxCommitted, core.lastIndex); i++) {
      const want = this.committed.get(i);
      if (want === undefined) continue;
      const [e] = core.entries(i, i + 1);
      if (entryKey(e) !== want) {
        throw new SafetyViolation(`committed entry ${i} lost on server ${s.id}: has ${entryKey(e)}, want ${want}`);
      }
    }
  }
}

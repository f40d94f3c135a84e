/**
 * ReadIndex bookkeeping on the leader (dissertation §6.4): each read
 * records the commit index when it arrived and joins a heartbeat round
 * whose heartbeats are sent after it arrived; once a quorum answers that
 * round (or a later one), every read in it is safe.
 */
import type { ReadState } from "./types.ts";

interface Round {
  readonly seq: number;
  readonly reads: ReadState[];
  readonly acks: Set<number>;
}

/** Pending ReadIndex rounds of a leader, oldest first. */
export class ReadIndexTracker {
  private rounds: Round[] = [];
  private nextSeq = 1;
  /** A round whose heartbeats have not left the node yet: new reads may join it. */
  private open: Round | undefined;

  /**
   * Adds a read; returns the round's sequence number if a new round was
   * started (the caller must broadcast heartbeats carrying it), else 0.
   */
  add(read: ReadState, selfId: number): number {
    if (this.open) {
      this.open.reads.push(read);
      return 0;
    }
    const round: Round = { seq: this.nextSeq++, reads: [read], acks: new Set([selfId]) };
    this.rounds.push(round);
    this.open = round;
    return round.seq;
  }

  /** The heartbeats of the open round are being handed out: close it to newcomers. */
  closeOpenRound(): void {
    this.open = undefined;
  }

  /**
   * Records that `from` answered a heartbeat carrying `context`: it
   * acknowledges every round ≤ context. Returns the reads that became safe.
   */
  ack(from: number, context: number, hasQuorum: (acks: ReadonlySet<number>) => boolean): ReadState[] {
    let safeUpTo = -1;
    for (let k = 0; k < this.rounds.length; k++) {
      const round = this.rounds[k];
      if (round.seq > context) break;
      round.acks.add(from);
      if (hasQuorum(round.acks)) safeUpTo = k;
    }
    if (safeUpTo < 0) return [];
    const released = this.rounds.splice(0, safeUpTo + 1);
    if (this.open && !this.rounds.includes(this.open)) this.open = undefined;
    return released.flatMap((r) => r.reads);
  }

  /** Drops everything (leadership lost); returns the request ids dropped. */
  dropAll(): number[] {
    const ids = this.rounds.flatMap((r) => r.reads.map((s) => s.requestId));
    this.rounds = [];
    this.open = undefined;
    return ids;
  }

  /** Sequence of the newest pending round (0 if none): periodic heartbeats carry it. */
  latestSeq(): number {
    return this.rounds.length > 0 ? this.rounds[this.rounds.length - 1].seq : 0;
  }

  get pendingCount(): number {
    return this.rounds.reduce((n, r) => n + r.reads.length, 0);
  }
}

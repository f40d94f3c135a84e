/**
 * ReadIndex bookkeeping on the leader (dissertation §6.4): each read
 * records the commit index when it arrived and joins a heartbeat round
 * whose heartbeats are sent after it arrived; once a quorum answers that
 * round (or a later one), every read in it is safe.
 *
 * At most one round is in flight: reads that arrive while one is gather in
 * the next, which is sent when the first is answered (or with the next
 * periodic heartbeat). Under load that is one round per round trip, not one
 * per batch of reads, and every round still leaves after its reads arrived.
 */
import type { ReadState } from "./types.ts";

interface Round {
  readonly seq: number;
  readonly reads: ReadState[];
  readonly acks: Set<number>;
  /** Its heartbeats were broadcast (they leave with the next Ready). */
  sent: boolean;
}

/** Pending ReadIndex rounds of a leader, oldest first. */
export class ReadIndexTracker {
  private rounds: Round[] = [];
  private nextSeq = 1;
  /** The round new reads join: its heartbeats have not left the node yet. */
  private open: Round | undefined;

  /**
   * Adds a read; returns the sequence number of a round whose heartbeats the
   * caller must broadcast now (a new round with none in flight), else 0.
   */
  add(read: ReadState, selfId: number): number {
    if (this.open) {
      this.open.reads.push(read);
      return 0;
    }
    const round: Round = { seq: this.nextSeq++, reads: [read], acks: new Set([selfId]), sent: false };
    this.rounds.push(round);
    this.open = round;
    if (this.rounds.length > 1) return 0; // waits for the round in flight
    round.sent = true;
    return round.seq;
  }

  /** Heartbeats carrying `seq` are being broadcast: every round ≤ seq is in flight. */
  markSent(seq: number): void {
    for (const round of this.rounds) if (round.seq <= seq) round.sent = true;
  }

  /** The Ready with the broadcast heartbeats is being handed out: a sent round takes no newcomers. */
  closeOpenRound(): void {
    if (this.open?.sent) this.open = undefined;
  }

  /**
   * Records that `from` answered a heartbeat carrying `context`: it
   * acknowledges every round ≤ context. Returns the reads that became safe,
   * and the round to broadcast next (0: none) when the answered one frees
   * the way for a waiting round.
   */
  ack(
    from: number,
    context: number,
    hasQuorum: (acks: ReadonlySet<number>) => boolean,
  ): { readonly safe: ReadState[]; readonly sendNext: number } {
    let safeUpTo = -1;
    for (let k = 0; k < this.rounds.length; k++) {
      const round = this.rounds[k];
      if (round.seq > context) break;
      round.acks.add(from);
      if (hasQuorum(round.acks)) safeUpTo = k;
    }
    if (safeUpTo < 0) return { safe: [], sendNext: 0 };
    const released = this.rounds.splice(0, safeUpTo + 1);
    if (this.open && !this.rounds.includes(this.open)) this.open = undefined;
    const next = this.rounds[0];
    let sendNext = 0;
    if (next && !next.sent) {
      next.sent = true;
      sendNext = next.seq;
    }
    return { safe: released.flatMap((r) => r.reads), sendNext };
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

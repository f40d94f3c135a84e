/**
 * The simulated network: per-seed loss, duplication, delay (and so
 * reordering), symmetric and one-way partitions. Counts every fault it
 * injects.
 */
import type { Message } from "../../raft/core/mod.ts";
import type { Rng } from "./rng.ts";
import type { StoredSnapshot } from "./server.ts";

/** Every kind of fault or disturbance the simulator injects, for the campaign's counts. */
export const faultKinds = [
  "loss",
  "duplicate",
  "reorder",
  "delay",
  "partition",
  "oneWayPartition",
  "crash",
  "restart",
  "addVoter",
  "addLearner",
  "promote",
  "demote",
  "remove",
  "removeLeader",
  "transfer",
  "compaction",
  "snapshotSent",
] as const;
export type FaultKind = typeof faultKinds[number];
export type FaultCounts = Record<FaultKind, number>;

export function emptyCounts(): FaultCounts {
  return Object.fromEntries(faultKinds.map((k) => [k, 0])) as FaultCounts;
}

/** A message in flight with the sender's incarnation and, for snapshots, the data. */
export interface Envelope {
  readonly message: Message;
  readonly senderIncarnation: number;
  readonly snapshot: StoredSnapshot | undefined;
}

export interface NetworkParams {
  lossRate: number;
  duplicateRate: number;
  longDelayRate: number;
  maxDelay: number;
}

export class Network {
  params: NetworkParams;
  readonly counts: FaultCounts;
  /** Directed links that drop everything: "from>to". */
  private readonly blocked = new Map<string, number>();
  private readonly lastArrival = new Map<string, number>();
  private readonly rng: Rng;

  constructor(rng: Rng, counts: FaultCounts) {
    this.rng = rng;
    this.counts = counts;
    this.params = {
      lossRate: rng.chance(0.7) ? rng.next() * 0.15 : 0,
      duplicateRate: rng.chance(0.6) ? rng.next() * 0.1 : 0,
      longDelayRate: rng.chance(0.6) ? rng.next() * 0.1 : 0,
      maxDelay: rng.int(2, 12),
    };
  }

  /** Delivery times for a message sent at `now` (empty if lost, two if duplicated). */
  schedule(now: number, from: number, to: number): number[] {
    const p = this.params;
    if (this.rng.chance(p.lossRate)) {
      this.counts.loss++;
      return [];
    }
    const times = [this.arrival(now, from, to)];
    if (this.rng.chance(p.duplicateRate)) {
      this.counts.duplicate++;
      times.push(this.arrival(now, from, to));
    }
    return times;
  }

  private arrival(now: number, from: number, to: number): number {
    let delay = this.rng.int(1, this.params.maxDelay);
    if (this.rng.chance(this.params.longDelayRate)) {
      this.counts.delay++;
      delay += this.rng.int(10, 80);
    }
    const at = now + delay;
    const link = `${from}>${to}`;
    const last = this.lastArrival.get(link) ?? 0;
    if (at < last) this.counts.reorder++;
    else this.lastArrival.set(link, at);
    return at;
  }

  /** True when the link from → to is cut (checked at delivery time). */
  isBlocked(from: number, to: number): boolean {
    return (this.blocked.get(`${from}>${to}`) ?? 0) > 0;
  }

  /** Cuts from → to (reference counted, so overlapping partitions compose). */
  block(from: number, to: number): void {
    const key = `${from}>${to}`;
    this.blocked.set(key, (this.blocked.get(key) ?? 0) + 1);
  }

  unblock(from: number, to: number): void {
    const key = `${from}>${to}`;
    const n = (this.blocked.get(key) ?? 0) - 1;
    if (n <= 0) this.blocked.delete(key);
    else this.blocked.set(key, n);
  }

  /** Heals everything and stops random loss, duplication and long delays. */
  calm(): void {
    this.blocked.clear();
    this.params = { ...this.params, lossRate: 0, duplicateRate: 0, longDelayRate: 0 };
  }
}

/** One line describing a message, for traces. */
export function describe(m: Message): string {
  const head = `${m.from}→${m.to} ${m.type} t${m.term}`;
  switch (m.type) {
    case "append":
      return `${head} prev=${m.prevIndex}/${m.prevTerm} n=${m.entries.length}` +
        (m.entries.length ? ` [${m.entries[0].index}..${m.entries[m.entries.length - 1].index}]` : "") +
        ` commit=${m.commit}`;
    case "appendResponse":
      return `${head} ${m.reject ? `REJECT ${m.index} hint=${m.hintIndex}/${m.hintTerm}` : `ok ${m.index}`}`;
    case "vote":
    case "preVote":
      return `${head} last=${m.lastIndex}/${m.lastTerm}${m.transfer ? " transfer" : ""}`;
    case "voteResponse":
    case "preVoteResponse":
      return `${head} ${m.granted ? "granted" : "rejected"}`;
    case "heartbeat":
      return `${head} commit=${m.commit} ctx=${m.context}`;
    case "heartbeatResponse":
      return `${head} ctx=${m.context}`;
    case "snapshot":
      return `${head} at ${m.snapshot.index}/${m.snapshot.term}`;
    case "timeoutNow":
      return head;
  }
}

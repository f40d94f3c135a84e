/**
 * A write load for cluster tests that measures what clients live through:
 * `clients` loops, each sending `SET <key> <key>` (a new key per write, so
 * every acknowledged write can be looked for afterwards) to the node it
 * believes leads. A client follows MOVED at once, retries TRYAGAIN and
 * CLUSTERDOWN (no leader to take the write) after 2 ms, and moves
 * to the next node when its connection fails. Every attempt is timed, so
 * the test can tell how long writes failed for want of a leader.
 */
import { RawClient } from "../helpers/raw_client.ts";
import type { Reply } from "../../server/resp_reply_parser.ts";

/** Why a write attempt failed: no leader to take it, a redirect, a dead connection, or anything else. */
export type FailureKind = "noLeader" | "redirect" | "connection" | "other";

/** One write's failures before it was acknowledged: when the first one came, and whether any was for want of a leader. */
export interface FailureStreak {
  readonly clientIndex: number;
  readonly firstFailureAt: number;
  readonly ackedAt: number;
  readonly noLeader: boolean;
  readonly samples: readonly string[];
}

/** How long one write is retried before the load gives up on it. */
const GIVE_UP_MS = 20_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The first word of an error reply says why it failed. */
function classify(text: string): FailureKind {
  if (/^(MOVED|TRY) /.test(text)) return "redirect";
  if (/^(CLUSTERDOWN|TRYAGAIN)/.test(text)) return "noLeader";
  if (/^SHUTDOWN/.test(text)) return "connection";
  return "other";
}

export class WriteLoad {
  readonly #ports: readonly number[];
  readonly #prefix: string;
  #running = false;
  #done: Promise<void>[] = [];
  /** Keys whose SET was acknowledged. */
  readonly acked = new Set<string>();
  /** Acknowledgement times (performance.now()), in order per client. */
  readonly ackTimes: number[] = [];
  /** Per acknowledged write: when it was first sent and how long it took to be acknowledged, retries included. */
  readonly latencies: { readonly sentAt: number; readonly ms: number }[] = [];
  /** Writes that needed retries. */
  readonly streaks: FailureStreak[] = [];
  /** Failed attempts by kind. */
  readonly failures = new Map<FailureKind, number>();
  /** Writes given up on after GIVE_UP_MS of failures (a test may want none). */
  readonly unacknowledged: string[] = [];
  /** Error replies of kind "other" (a test may want none). */
  readonly otherErrors: string[] = [];

  readonly #pauseMs: number;

  /**
   * `ports`: every node's client port (the load finds the leader by
   * redirects); `pauseMs`: each client's pause after an acknowledged write.
   */
  constructor(ports: readonly number[], options: { readonly prefix?: string; readonly pauseMs?: number } = {}) {
    this.#ports = ports;
    this.#prefix = options.prefix ?? "w";
    this.#pauseMs = options.pauseMs ?? 0;
  }

  start(clients: number): void {
    this.#running = true;
    this.#done = Array.from({ length: clients }, (_, i) => this.#client(i));
  }

  /** Stops after each client's current write and waits for them. */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#done);
  }

  /** The longest time from a write's first failure to its acknowledgement, among writes that failed for want of a leader (0 if none did). */
  longestNoLeaderGapMs(): number {
    return this.streaks.reduce((longest, s) => s.noLeader ? Math.max(longest, s.ackedAt - s.firstFailureAt) : longest, 0);
  }

  /** The slowest write (first sent to acknowledged, retries included) among those acknowledged within [from, to]. */
  slowestWriteMs(from: number, to: number): number {
    return this.latencies.reduce((slowest, l) => l.sentAt + l.ms >= from && l.sentAt + l.ms <= to ? Math.max(slowest, l.ms) : slowest, 0);
  }

  /** The longest interval between two acknowledgements (of any clients) within [from, to]. */
  longestAckGapMs(from: number, to: number): number {
    const times = this.ackTimes.filter((t) => t >= from && t <= to).sort((a, b) => a - b);
    let longest = 0;
    for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i] - times[i - 1]);
    return longest;
  }

  async #client(index: number): Promise<void> {
    const conns = new Map<number, RawClient>();
    let target = this.#ports[index % this.#ports.length];
    let n = 0;
    try {
      while (this.#running) {
        const key = `${this.#prefix}${index}:${n++}`;
        let streak: { firstFailureAt: number; noLeader: boolean; samples: string[] } | undefined;
        // A write once begun is retried until acknowledged (SET is idempotent), so that none is left with an unknown outcome.
        const sentAt = performance.now();
        const giveUpAt = sentAt + GIVE_UP_MS;
        while (true) {
          if (performance.now() > giveUpAt) {
            this.unacknowledged.push(key);
            break;
          }
          let reply: Reply | undefined;
          let failure: FailureKind | undefined;
          let text = "";
          try {
            let conn = conns.get(target);
            if (!conn || conn.closed) {
              conn = await RawClient.connect(target);
              conns.set(target, conn);
            }
            reply = await conn.call("SET", key, key);
          } catch (error) {
            failure = "connection";
            text = (error as Error).message;
          }
          if (reply && reply.type !== "error") {
            const at = performance.now();
            this.acked.add(key);
            this.ackTimes.push(at);
            this.latencies.push({ sentAt, ms: at - sentAt });
            if (streak) this.streaks.push({ clientIndex: index, firstFailureAt: streak.firstFailureAt, ackedAt: at, noLeader: streak.noLeader, samples: streak.samples });
            if (this.#pauseMs > 0) await sleep(this.#pauseMs);
            break;
          }
          if (reply?.type === "error") {
            text = reply.text;
            failure = classify(text);
          }
          this.failures.set(failure!, (this.failures.get(failure!) ?? 0) + 1);
          if (failure === "other") this.otherErrors.push(text);
          streak ??= { firstFailureAt: performance.now(), noLeader: false, samples: [] };
          if (failure === "noLeader") streak.noLeader = true;
          if (streak.samples.length < 5) streak.samples.push(`${failure}: ${text}`);
          const moved = /^(?:MOVED \d+|TRY) 127\.0\.0\.1:(\d+)/.exec(text);
          if (moved) {
            target = Number(moved[1]);
          } else if (failure === "connection") {
            conns.get(target)?.close();
            conns.delete(target);
            target = this.#ports[(this.#ports.indexOf(target) + 1) % this.#ports.length];
            await sleep(1);
          } else {
            await sleep(2);
          }
        }
      }
    } finally {
      for (const conn of conns.values()) conn.close();
    }
  }
}

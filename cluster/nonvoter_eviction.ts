/**
 * `--evict-nonvoter-after d`: the leader removes a non-voter it has not
 * heard from for `d`. A non-voter is never needed for a quorum, so a dead
 * one only costs the leader its retries and snapshots; voters are never
 * removed automatically (that is an operator's call about fault tolerance).
 *
 * `NonVoterWatch` is the pure part: fed, now and then, how many messages
 * each non-voter has sent so far, it says which have been silent too long.
 * Silence is counted from when this node (as leader) first watched the
 * non-voter, so a new leader gives every non-voter the whole time again.
 */
import type { RaftDriver } from "../raft/driver.ts";
import type { Logger } from "../raft/logger.ts";
import { goDuration } from "../api/go_duration.ts";

export class NonVoterWatch {
  readonly #afterMs: number;
  /** Per non-voter: messages received at the last change, and when that was. */
  #seen = new Map<number, { count: number; at: number }>();

  constructor(afterMs: number) {
    this.#afterMs = afterMs;
  }

  /** Forgets everything (this node stopped leading). */
  reset(): void {
    this.#seen.clear();
  }

  /**
   * `received`: messages received so far, by sender id. Returns the
   * non-voters among `nonVoters` silent for at least the limit at `now` (ms).
   */
  silent(now: number, nonVoters: readonly number[], received: ReadonlyMap<number, number>): number[] {
    const next = new Map<number, { count: number; at: number }>();
    const silent: number[] = [];
    for (const id of nonVoters) {
      const count = received.get(id) ?? 0;
      const last = this.#seen.get(id);
      const entry = last && last.count === count ? last : { count, at: now };
      next.set(id, entry);
      if (now - entry.at >= this.#afterMs) silent.push(id);
    }
    this.#seen = next;
    return silent;
  }
}

/** Runs a NonVoterWatch on this node while it leads, removing the silent non-voters. Returns a stop function. */
export function startNonVoterEviction(
  driver: RaftDriver,
  received: () => ReadonlyMap<number, number>,
  afterMs: number,
  log: Logger,
): () => void {
  const watch = new NonVoterWatch(afterMs);
  const pending = new Set<number>();
  const timer = setInterval(() => {
    if (driver.status.role !== "leader") return watch.reset();
    const nonVoters = driver.status.config.members.filter((m) => !m.voter && m.id !== driver.id).map((m) => m.id);
    for (const id of watch.silent(performance.now(), nonVoters, received())) {
      if (pending.has(id)) continue;
      pending.add(id);
      driver.changeMembership({ type: "remove", id }).then(
        () => log.info(`removed non-voter ${id}: not heard from for ${goDuration(BigInt(afterMs) * 1_000_000n)}`),
        (error: Error) => log.debug(`removing silent non-voter ${id}: ${error.message} (will retry)`),
      ).finally(() => pending.delete(id));
    }
  }, Math.min(1_000, Math.max(100, afterMs / 4)));
  return () => clearInterval(timer);
}

/**
 * Catch-up progress on the leader: a follower far behind (a new node, one
 * back after a long absence) is reported once a second with how much of
 * the log it has (`logs progress: …%`) and how fast it is coming, until it
 * has caught up. `CatchUpProgress` is the pure part, fed samples.
 */
import type { RaftDriver } from "../raft/driver.ts";
import type { Logger } from "../raft/logger.ts";

/** A follower this many entries behind is catching up (below it, ordinary replication lag). */
export const CATCH_UP_MIN_BEHIND = 1_000;
/** …and has caught up once fewer than this are missing. */
const CAUGHT_UP_BEHIND = 100;

export class CatchUpProgress {
  readonly #behind = new Map<number, { readonly match: number; readonly at: number }>();

  /** One sample (at `now`, in ms): the leader's last index and each follower's match. Returns the lines to log. */
  sample(now: number, lastIndex: number, followers: readonly { readonly id: number; readonly match: number }[]): string[] {
    const lines: string[] = [];
    const present = new Set<number>();
    for (const { id, match } of followers) {
      present.add(id);
      const behind = lastIndex - match;
      const start = this.#behind.get(id);
      if (!start) {
        if (behind >= CATCH_UP_MIN_BEHIND) this.#behind.set(id, { match, at: now });
        continue;
      }
      const seconds = Math.max(1e-3, (now - start.at) / 1000);
      const rate = Math.round(Math.max(0, match - start.match) / seconds);
      if (behind < CAUGHT_UP_BEHIND) {
        this.#behind.delete(id);
        lines.push(`node ${id} caught up: ${Math.max(0, match - start.match)} entries in ${seconds.toFixed(1)} s, ${rate} entries/s`);
      } else {
        const percent = lastIndex === 0 ? 100 : (match / lastIndex) * 100;
        lines.push(`node ${id} catch-up: logs progress: ${percent.toFixed(1)}% (index ${match} of ${lastIndex}, ${behind} behind), ${rate} entries/s`);
      }
    }
    for (const id of this.#behind.keys()) if (!present.has(id)) this.#behind.delete(id);
    return lines;
  }
}

/** Samples the leader's view of its followers once a second while this node leads. Returns a stop function. */
export function startCatchUpProgress(driver: RaftDriver, log: Logger): () => void {
  let progress = new CatchUpProgress();
  const timer = setInterval(() => {
    const status = driver.status;
    if (status.role !== "leader") {
      progress = new CatchUpProgress();
      return;
    }
    const followers = status.progress().filter((p) => p.id !== driver.id);
    for (const line of progress.sample(performance.now(), status.lastIndex, followers)) log.info(line);
  }, 1_000);
  return () => clearInterval(timer);
}

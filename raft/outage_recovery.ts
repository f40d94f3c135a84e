/**
 * The driver through a storage outage (a full disk, an I/O error): it
 * pauses the node when a write fails, tries to resume by itself with
 * backoff, and says so in the log — once when it starts, once per log
 * interval while it lasts, once when it ends. storage_outage.ts keeps the
 * timing; the driver does the pausing and the rebuilding (OutageHost).
 */
import type { Logger } from "./logger.ts";
import type { LogStore } from "./storage/log_store.ts";
import type { StableStore } from "./storage/stable_store.ts";
import { StorageFailedError } from "./storage/errors.ts";
import { StorageOutage } from "./storage_outage.ts";

/** What the recovery asks of the driver. */
export interface OutageHost {
  /** True once the driver is closed or stopped for good: nothing left to recover. */
  closed(): boolean;
  /**
   * Take no part until resumed: step down, drop peer messages, stop ticking,
   * and fail what waits (the outcome of proposals is unknown: their entries
   * may be on other nodes already and may yet commit there).
   */
  pause(error: StorageFailedError): void;
  /** Resolves once no snapshot is being written. */
  snapshotIdle(): Promise<void>;
  /**
   * Rebuilds the core from the durable state, as a restart would (the
   * machine keeps its state). Resolves with the new core's last index and
   * term, or undefined if the driver closed meanwhile.
   */
  rebuild(): Promise<{ readonly lastIndex: number; readonly term: number } | undefined>;
  /** Taking part again: wake up (peers, state, election timer, Ready loop). */
  resumed(): void;
  /** A failure that waiting does not fix (a corrupt file): stop for good. */
  stop(error: unknown): void;
}

/** The stores to try again, where to say so, and how often (DriverOptions fit). */
export interface OutageRecoveryParts {
  readonly log: LogStore;
  readonly stable: StableStore;
  readonly logger: Logger;
  /** Longest wait between attempts to resume, ms. */
  readonly storageRetryMaxMs: number;
  /** At most one "still failing" line per this many ms. */
  readonly storageRetryLogMs: number;
}

export class OutageRecovery {
  readonly #host: OutageHost;
  readonly #o: OutageRecoveryParts;
  /** Set while the node cannot persist: it takes no part in the cluster until it can again. */
  #outage: StorageOutage | undefined;
  /** The last outage, until a write succeeds after resuming: failing again at once continues it, and its backoff. */
  #recent: StorageOutage | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #attempt: Promise<void> = Promise.resolve();

  constructor(parts: OutageRecoveryParts, host: OutageHost) {
    this.#o = parts;
    this.#host = host;
  }

  /** The storage failure the node is paused by, or undefined while it takes part. */
  get failure(): StorageFailedError | undefined {
    return this.#outage?.error;
  }

  /** Something was persisted: a failure from now on starts a new outage, and a new backoff. */
  persisted(): void {
    this.#recent = undefined;
  }

  /**
   * A write failed. This node can no longer promise anything it has not
   * persisted, so it pauses — it neither acknowledges, votes nor campaigns
   * — until an attempt to resume finds the disk writable again.
   */
  failed(error: StorageFailedError, wasLeader: boolean): void {
    const now = Date.now();
    const continuing = this.#recent;
    const outage = continuing ?? new StorageOutage(error, now, { maxDelayMs: this.#o.storageRetryMaxMs, logIntervalMs: this.#o.storageRetryLogMs });
    this.#outage = this.#recent = outage;
    if (continuing) {
      this.#reportStillFailing(outage, error, now);
    } else {
      this.#o.logger.warn(
        `storage write failed (${error.code}): ${wasLeader ? "stepping down as leader and " : ""}` +
          `pausing Raft until the disk takes writes again; this node retries by itself. ${error.message}`,
      );
    }
    this.#host.pause(error);
    this.#schedule(outage);
  }

  /** Cancels the next attempt (the driver stopped for good). */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Cancels the next attempt and waits for one under way. */
  async close(): Promise<void> {
    this.cancel();
    await this.#attempt;
  }

  /** One line per log interval while the storage keeps failing, not one per attempt. */
  #reportStillFailing(outage: StorageOutage, error: StorageFailedError, now: number): void {
    const failures = outage.failed(error, now);
    if (failures === 0) return;
    const seconds = ((now - outage.since) / 1000).toFixed(1);
    this.#o.logger.warn(
      `storage still failing (${error.code}) ${seconds} s after the first failure, ` +
        `${failures} more failures since the last report; still retrying: ${error.message}`,
    );
  }

  #schedule(outage: StorageOutage): void {
    if (this.#host.closed()) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#attempt = this.#resume(outage).catch((error) => this.#host.stop(error));
    }, outage.nextDelayMs());
  }

  /**
   * One attempt to take part again. The disk must take a small write (the
   * term/vote file, saved again unchanged); the log store reopens itself,
   * verifying its files and cutting a tail the failed append may have torn;
   * then the core is rebuilt from what is durable — exactly the core a
   * restart would build, except that the machine keeps its state (it has
   * applied only committed entries, all of them durable here, so the new
   * core starts with them committed and applied).
   *
   * Why this is safe: Raft's persistent state — currentTerm, votedFor and
   * the log — must be on stable storage before the server responds to RPCs
   * (Raft §5, Figure 2), and the driver sends the messages of a Ready only
   * after persisting it. So everything a peer ever heard from this node
   * (votes, acknowledgements, entries) is covered by what is durable, and
   * restarting from durable state is the crash-recovery case Raft handles
   * at any moment (§5.5). What failed to persist goes with the old core:
   * those entries were never acknowledged (a follower answers only after
   * persisting), never counted in the leader's own match index (the leader
   * counts itself in advance(), which a failed Ready never reaches), and a
   * term or vote that was not saved was never sent. Keeping the old core
   * and retrying instead would keep in-memory state derived from entries
   * that are not on disk (its stable mark, a commit index learned over
   * them), which is what the rebuild rules out. The new core is a follower
   * with a fresh election timer.
   */
  async #resume(outage: StorageOutage): Promise<void> {
    const host = this.#host;
    const { log, stable, logger } = this.#o;
    if (host.closed() || this.#outage !== outage) return;
    outage.attempts++;
    let rebuilt: { readonly lastIndex: number; readonly term: number } | undefined;
    try {
      await host.snapshotIdle();
      await stable.save(stable.get());
      await log.recover();
      rebuilt = await host.rebuild();
      if (!rebuilt) return;
      this.#outage = undefined;
    } catch (error) {
      if (host.closed()) return;
      // Anything but a failed write (a corrupt file, say) is not fixed by waiting.
      if (!(error instanceof StorageFailedError)) throw error;
      this.#reportStillFailing(outage, error, Date.now());
      this.#schedule(outage);
      return;
    }
    const seconds = ((Date.now() - outage.since) / 1000).toFixed(1);
    logger.info(
      `storage takes writes again, ${seconds} s after it failed (${outage.attempts} attempts to resume): ` +
        `rejoining as a follower from the durable state (last index ${rebuilt.lastIndex}, term ${rebuilt.term})`,
    );
    host.resumed();
  }
}

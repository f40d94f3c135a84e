/**
 * "logs loaded": a node that restarts replays its log before its state is
 * current. Until it has applied what its log held at start-up it logs its
 * progress, and --openreads answers LOADING instead of stale data.
 */
import type { Logger } from "../raft/logger.ts";

const PROGRESS_LOG_INTERVAL_MS = 1_000;

export class StartupProgress {
  /** Index of the last entry in the log when the node started. */
  readonly startupLastIndex: number;
  readonly #log: Logger;
  #loaded = false;
  #lastProgressLog = 0;

  /**
   * A node with an empty log is loaded at once, unless it is joining: then it
   * has nothing until the leader sends it the cluster's state.
   */
  constructor(startupLastIndex: number, joining: boolean, log: Logger) {
    this.startupLastIndex = startupLastIndex;
    this.#log = log;
    if (startupLastIndex === 0 && !joining) this.#markLoaded();
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  /** The driver applied up to `applied`. */
  onApplied(applied: number): void {
    if (this.#loaded) return;
    if (applied >= this.startupLastIndex) return this.#markLoaded();
    if (Date.now() - this.#lastProgressLog < PROGRESS_LOG_INTERVAL_MS) return;
    this.#lastProgressLog = Date.now();
    const percent = ((applied / this.startupLastIndex) * 100).toFixed(1);
    this.#log.info(`logs progress: ${percent}%, remaining=${this.startupLastIndex - applied}`);
  }

  #markLoaded(): void {
    this.#loaded = true;
    this.#log.info("logs loaded: ready for commands");
  }
}

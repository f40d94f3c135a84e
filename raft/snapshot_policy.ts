/**
 * When to take a snapshot: once `thresholdEntries` entries, or entries
 * holding `thresholdBytes` bytes — or as many bytes as the state itself
 * held in the last snapshot, up to 4 × `thresholdBytes` — were applied
 * since the last one. The log since the last two snapshots is what a node
 * holds in memory, so the threshold is small; but a snapshot costs about
 * the state's size, so a large state is not written out for every few MB
 * of commands. And every
 * `intervalMs` when anything at all was, so
 * a quiet node's log and restart replay stay short too. It only decides;
 * the Snapshotter takes them. Driven by the driver's notifications of what
 * is applied, plus its own interval timer.
 */
import type { Logger } from "./logger.ts";
import type { Snapshotter } from "./snapshotter.ts";

/** The policy's settings (DriverOptions fit). */
export interface SnapshotPolicyOptions {
  /** Take one once this many entries were applied since the last. */
  readonly snapshotThresholdEntries: number;
  /** Take one once entries holding this many bytes (or the last snapshot's state size, up to 4 times this) were applied since the last. */
  readonly snapshotThresholdBytes: number;
  /** Take one this often, in ms, when anything was applied since the last. */
  readonly snapshotIntervalMs: number;
  readonly logger: Logger;
}

export class SnapshotPolicy {
  readonly #o: SnapshotPolicyOptions;
  readonly #snapshotter: Pick<Snapshotter, "lastIndex" | "lastStateBytes" | "busy" | "take">;
  readonly #mayTake: () => boolean;
  #appliedIndex = 0;
  #appliedBytes = 0;
  /** appliedBytes as of the newest snapshot, and that snapshot's index. */
  #bytesAtSnapshot = 0;
  #seenSnapshotIndex: number;
  /** appliedBytes when this policy last asked for a snapshot (what it will hold). */
  #bytesAtRequest: number | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `mayTake` is false while the node may not write (closed, or paused by a storage failure). */
  constructor(options: SnapshotPolicyOptions, snapshotter: Pick<Snapshotter, "lastIndex" | "lastStateBytes" | "busy" | "take">, mayTake: () => boolean) {
    this.#o = options;
    this.#snapshotter = snapshotter;
    this.#mayTake = mayTake;
    this.#seenSnapshotIndex = snapshotter.lastIndex;
  }

  /** Starts the interval timer. */
  start(): void {
    this.#timer ??= setInterval(() => this.#consider(1), this.#o.snapshotIntervalMs);
  }

  /** Entries up to `appliedIndex` are applied, and the core knows it; `appliedBytes` counts their data since start. */
  applied(appliedIndex: number, appliedBytes: number): void {
    this.#appliedIndex = appliedIndex;
    this.#appliedBytes = appliedBytes;
    if (this.#snapshotter.lastIndex !== this.#seenSnapshotIndex) {
      // A new snapshot: ours holds what was applied when we asked; another (RAFT SNAPSHOT NOW) about what is now.
      this.#seenSnapshotIndex = this.#snapshotter.lastIndex;
      this.#bytesAtSnapshot = this.#bytesAtRequest ?? appliedBytes;
      this.#bytesAtRequest = undefined;
    }
    const least = this.#o.snapshotThresholdBytes;
    const threshold = Math.max(least, Math.min(this.#snapshotter.lastStateBytes, 4 * least));
    const bytesReached = appliedBytes - this.#bytesAtSnapshot >= threshold;
    this.#consider(bytesReached ? 1 : this.#o.snapshotThresholdEntries);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Takes a snapshot if at least `entries` were applied since the last one. */
  #consider(entries: number): void {
    const snapshotter = this.#snapshotter;
    if (snapshotter.busy || !this.#mayTake()) return;
    if (this.#appliedIndex - snapshotter.lastIndex < entries) return;
    this.#bytesAtRequest = this.#appliedBytes;
    snapshotter.take().catch((error) => this.#o.logger.warn(`automatic snapshot failed: ${error.message}`));
  }
}

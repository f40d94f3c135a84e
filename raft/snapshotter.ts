/**
 * Takes snapshots, one at a time: the machine's state at the index it has
 * applied, stored with the configuration in effect there; then the log is
 * compacted up to the previous snapshot — keeping the entries between the
 * two, so a follower a little behind catches up from the log instead of
 * needing a snapshot (and cannot loop between the two). When to take one
 * is snapshot_policy.ts's business.
 */
import type { RaftNode } from "./core/raft_node.ts";
import type { Applier } from "./driver_seams.ts";
import type { Logger } from "./logger.ts";
import type { LogStore } from "./storage/log_store.ts";
import { ProgressLog } from "./progress_log.ts";
import type { SnapshotInfo, SnapshotStore } from "./storage/snapshot_store.ts";

/** What a snapshot is taken of: the driver's state, read when it is taken. */
export interface SnapshotSource {
  /** The current core (the driver replaces it when it resumes after a storage failure). */
  core(): RaftNode;
  /** Index of the last entry the machine applied. */
  machineIndex(): number;
}

export interface SnapshotterParts {
  readonly applier: Applier;
  readonly snapshots: SnapshotStore;
  readonly log: LogStore;
  readonly logger: Logger;
}

/** The machine's bytes go to the store this much at a time. */
const WRITE_CHUNK_BYTES = 4 << 20;

export class Snapshotter {
  readonly #source: SnapshotSource;
  readonly #parts: SnapshotterParts;
  #lastIndex: number;
  #lastStateBytes = 0;
  #taking: Promise<SnapshotInfo> | undefined;

  /** `lastIndex`: the index of the newest snapshot in the store (0: none). */
  constructor(source: SnapshotSource, parts: SnapshotterParts, lastIndex: number) {
    this.#source = source;
    this.#parts = parts;
    this.#lastIndex = lastIndex;
  }

  /** Index of the newest snapshot: taken here, installed from a leader, or found on disk. */
  get lastIndex(): number {
    return this.#lastIndex;
  }

  /** Size of the machine's state (uncompressed) in the newest snapshot taken here; 0 before the first. */
  get lastStateBytes(): number {
    return this.#lastStateBytes;
  }

  /** True while a snapshot is being taken. */
  get busy(): boolean {
    return this.#taking !== undefined;
  }

  /** A snapshot at `index` is in place without being taken here (installed from a leader, found on resuming). */
  noteSnapshot(index: number): void {
    this.#lastIndex = index;
  }

  /** Takes a snapshot now; while one is being taken, that one. */
  take(): Promise<SnapshotInfo> {
    this.#taking ??= this.#take().finally(() => (this.#taking = undefined));
    return this.#taking;
  }

  /** Resolves once no snapshot is being taken (whether it succeeded or not). */
  async idle(): Promise<void> {
    await this.#taking?.catch(() => {});
  }

  async #take(): Promise<SnapshotInfo> {
    const { applier, snapshots, log, logger } = this.#parts;
    // The machine may be ahead of the core's applied index (entries applied
    // before their Ready is advance()d), never of its commit index. No await
    // from here to the machine's snapshot: it must be the state at `index`.
    const index = this.#source.machineIndex();
    // The configuration in effect at `index`, not the latest appended one
    // (a membership change may still be in flight).
    const { term, config } = this.#source.core().snapshotMetaAt(index);
    const taken = applier.snapshot();
    const chunks = taken instanceof Uint8Array ? [taken] : taken;
    const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    const header = applier.snapshotHeader();
    const progress = new ProgressLog((line) => logger.info(line), `writing snapshot at index ${index}`, { total });
    const sink = await snapshots.create({ index, term, config, time: header.time, seed: header.seed });
    // In pieces, so a large machine's snapshot reports its progress.
    let written = 0;
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.byteLength; at += WRITE_CHUNK_BYTES) {
        const piece = chunk.subarray(at, at + WRITE_CHUNK_BYTES);
        await sink.write(piece);
        written += piece.byteLength;
        progress.set(written);
      }
    }
    const info = await sink.commit();
    progress.finish();
    const previous = this.#lastIndex;
    this.#lastIndex = index;
    this.#lastStateBytes = total;
    const core = this.#source.core();
    if (previous > 0 && previous <= Math.min(index, core.appliedIndex)) {
      const meta = core.compact(previous);
      if (meta.index > log.firstIndex() - 1 && meta.index <= log.lastIndex()) await log.compactPrefix(meta.index);
    }
    logger.info(`snapshot ${info.id} taken (${info.size} bytes)`);
    return info;
  }
}

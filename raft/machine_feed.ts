/**
 * Feeds the machine what the core committed, in order: Command entries to
 * apply (each result goes to its proposer) and snapshots to restore from.
 * It knows how far the machine has got, and tells a failure of the machine
 * (the applier threw: a bug) from a failure to read a stored snapshot.
 */
import { EntryKind, type LogEntry } from "./log_entry.ts";
import type { Ready, SnapshotMeta } from "./core/types.ts";
import type { Applier } from "./driver_seams.ts";
import { NodeStoppedError } from "./errors.ts";
import type { PendingProposals } from "./pending_requests.ts";
import { findSnapshot, restoreFromSnapshot, SnapshotReadError } from "./snapshot_io.ts";
import type { SnapshotInfo, SnapshotStore } from "./storage/snapshot_store.ts";

export class MachineFeed {
  readonly #applier: Applier;
  readonly #snapshots: SnapshotStore;
  readonly #proposals: PendingProposals;
  /** Index of the last entry applied to the machine (or of the snapshot it was restored from). */
  #index: number;

  constructor(applier: Applier, snapshots: SnapshotStore, proposals: PendingProposals, index: number) {
    this.#applier = applier;
    this.#snapshots = snapshots;
    this.#proposals = proposals;
    this.#index = index;
  }

  /** Index of the last entry the machine applied (or of the snapshot it was restored from). */
  get index(): number {
    return this.#index;
  }

  /** Bytes of entry data applied since this node started (the snapshot policy's measure). */
  get appliedBytes(): number {
    return this.#appliedBytes;
  }
  #appliedBytes = 0;

  /** The machine holds the state up to `index` already (restored by loadDurableState). */
  rebase(index: number): void {
    this.#index = index;
  }

  /**
   * Applies committed entries, in order, skipping those the machine holds
   * already; each proposer learns its entry's result. Throws
   * NodeStoppedError ("applier") if the machine throws: the entry stays
   * unapplied and nothing after it may be applied.
   */
  apply(entries: readonly LogEntry[]): void {
    for (const entry of entries) {
      if (entry.index <= this.#index) continue;
      let result: unknown = undefined;
      if (entry.kind === EntryKind.Command) {
        try {
          result = this.#applier.apply(entry.data, entry.index);
        } catch (error) {
          throw NodeStoppedError.applier(`applying entry ${entry.index}`, entry.index, error);
        }
      }
      this.#index = entry.index;
      this.#appliedBytes += entry.data.length;
      this.#proposals.applied(entry.index, entry.term, result);
    }
  }

  /**
   * Applies those of `ready`'s committed entries that are on disk here
   * already (below its first new entry), before its own writes: their
   * results need not wait for the Ready's fsync (etcd-io/raft allows the
   * same). The rest are applied after the Ready is persisted.
   */
  applyDurable(ready: Ready): void {
    if (ready.snapshot || ready.committedEntries.length === 0) return;
    const firstNew = ready.entries.length > 0 ? ready.entries[0].index : Infinity;
    this.apply(ready.committedEntries.filter((entry) => entry.index < firstNew));
  }

  /**
   * Restores the machine from the stored snapshot `meta` names (receiveSnapshot
   * stored it). Throws NodeStoppedError: "storage" if it cannot be read,
   * "applier" if the machine refuses it.
   */
  async restore(meta: SnapshotMeta): Promise<SnapshotInfo> {
    let info: SnapshotInfo;
    try {
      info = await findSnapshot(this.#snapshots, meta.index, meta.term);
    } catch (error) {
      throw NodeStoppedError.storage(error);
    }
    try {
      await restoreFromSnapshot(this.#snapshots, info, this.#applier);
    } catch (error) {
      if (error instanceof SnapshotReadError) throw NodeStoppedError.storage(error.cause);
      throw NodeStoppedError.applier(`restoring the snapshot at index ${meta.index}`, meta.index, error);
    }
    this.#index = meta.index;
    return info;
  }
}

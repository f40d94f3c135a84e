/**
 * What a Raft core starts from, read back from disk: the newest snapshot,
 * the log after it, and the term and vote. The driver builds its core from
 * this when it opens, and again when it resumes after a storage failure —
 * so a resumed core is exactly the core a restart would build.
 */
import type { PersistedState } from "./core/raft.ts";
import type { MembershipConfig, SnapshotMeta } from "./core/types.ts";
import type { LogStore } from "./storage/log_store.ts";
import type { SnapshotStore } from "./storage/snapshot_store.ts";
import type { StableStore } from "./storage/stable_store.ts";
import { restoreFromSnapshot } from "./snapshot_io.ts";

export interface DurableSources {
  readonly log: LogStore;
  readonly stable: StableStore;
  readonly snapshots: SnapshotStore;
  /** Where a snapshot's data goes when the machine must be restored from it. */
  readonly applier: { restore(bytes: Uint8Array): void; restoreChunks?(chunks: AsyncIterable<Uint8Array>): Promise<void> };
  /** The configuration of a brand-new cluster (no snapshot yet). */
  readonly initialConfig: MembershipConfig;
}

export interface DurableState {
  /** For the RaftNode constructor. */
  readonly persisted: PersistedState;
  /** Index the machine has applied now (moved up if it was restored from the snapshot). */
  readonly machineIndex: number;
}

/**
 * Reads the durable state. `machineIndex` is what the machine has applied
 * already (undefined when opening: the machine is empty); the newest
 * snapshot is restored into the machine only when it is ahead of that. The
 * core learns that everything up to `machineIndex` is committed and
 * applied (only committed entries are ever applied), so nothing is applied
 * twice.
 */
export async function loadDurableState(sources: DurableSources, machineIndex: number | undefined): Promise<DurableState> {
  const { log, snapshots } = sources;
  const latest = (await snapshots.list())[0];
  const snapshot: SnapshotMeta = latest
    ? { index: latest.index, term: latest.term, config: latest.config }
    : { index: 0, term: 0, config: sources.initialConfig };
  const continues = log.lastIndex() >= snapshot.index && log.firstIndex() <= snapshot.index + 1 &&
    log.term(snapshot.index) === snapshot.term;
  if (!continues) {
    // The log does not continue the snapshot (a crash, or a storage failure,
    // between installing a snapshot and resetting the log): the snapshot
    // wins. Entries after a different entry at snapshot.index conflict with
    // a committed one, so none of them can be committed (Raft §5.3, §5.4).
    await log.reset(snapshot.index, snapshot.term);
  }
  const entries = await log.entries(snapshot.index + 1, log.lastIndex() + 1);
  let applied = machineIndex ?? -1;
  if (latest && latest.index > applied) {
    await restoreFromSnapshot(snapshots, latest, sources.applier);
    applied = latest.index;
  }
  const lastIndex = entries.at(-1)?.index ?? snapshot.index;
  if (applied > lastIndex) {
    throw new Error(`the machine has applied index ${applied} but the durable log ends at ${lastIndex}: cannot resume`);
  }
  const stable = sources.stable.get();
  // A snapshot from --restore, or a log append that reached the disk when
  // the term/vote write after it did not, may carry a term above the stored
  // one: the current term never trails the log, or new entries would go
  // backwards. The vote is dropped then: a vote in that term was never
  // durable, so (persist before send) it was never sent either.
  const lastTerm = entries.at(-1)?.term ?? snapshot.term;
  const termRaised = lastTerm > stable.currentTerm;
  return {
    persisted: {
      hardState: {
        term: termRaised ? lastTerm : stable.currentTerm,
        vote: termRaised || stable.votedFor === null ? 0 : stable.votedFor,
        commit: Math.max(applied, snapshot.index),
      },
      snapshot,
      entries,
      applied: Math.max(applied, snapshot.index),
    },
    machineIndex: Math.max(applied, snapshot.index),
  };
}

/**
 * What the layers above may read of the consensus core (RAFT INFO, CLUSTER
 * NODES, redirects): a read-only view, not the core itself, so nothing
 * above the driver can tick, step or propose behind its back. The view
 * reads through to whichever core is current (the driver builds a new one
 * when it resumes after a storage failure), so one view serves for the
 * driver's whole life.
 */
import type { RaftNode } from "./core/raft_node.ts";
import type { MembershipConfig, PeerProgress, RoleKind, SnapshotMeta } from "./core/types.ts";

export interface RaftStatus {
  readonly role: RoleKind;
  readonly term: number;
  /** The leader of the current term, 0 if unknown. */
  readonly leaderId: number;
  readonly commitIndex: number;
  /** Highest index applied to the machine and advanced in the core. */
  readonly appliedIndex: number;
  /** Index of the last log entry. */
  readonly lastIndex: number;
  /** The latest configuration (in effect as soon as appended). */
  readonly config: MembershipConfig;
  /** Index of the entry holding `config`. */
  readonly configIndex: number;
  /** The snapshot the log starts after. */
  readonly snapshotMeta: SnapshotMeta;
  /** Term of the entry at `index`, undefined if compacted or absent. */
  termAt(index: number): number | undefined;
  /** Leader only: the target of a leadership transfer in progress, 0 if none. */
  readonly transferee: number;
  /** Leader only: replication state per member (empty on other roles). */
  progress(): PeerProgress[];
}

/** A frozen view of `core()` (called on every read). */
export function statusView(core: () => RaftNode): RaftStatus {
  return Object.freeze({
    get role() {
      return core().role;
    },
    get term() {
      return core().term;
    },
    get leaderId() {
      return core().leaderId;
    },
    get commitIndex() {
      return core().commitIndex;
    },
    get appliedIndex() {
      return core().appliedIndex;
    },
    get lastIndex() {
      return core().lastIndex;
    },
    get config() {
      return core().config;
    },
    get configIndex() {
      return core().configIndex;
    },
    get snapshotMeta() {
      return core().snapshotMeta;
    },
    get transferee() {
      return core().transferee;
    },
    termAt: (index: number) => core().termAt(index),
    progress: () => core().progress(),
  });
}

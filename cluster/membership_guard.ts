/**
 * Keeps a removed node from disturbing its cluster (membership_record.ts
 * says how a node learns it was removed; start_node.ts refuses to start
 * one whose record says so): keeps the record up to date as committed
 * configurations are applied, refuses peer connections from removed ids,
 * and stops this node when it learns of its own removal.
 */
import type { RaftStatus } from "../raft/driver.ts";
import type { Logger } from "../raft/logger.ts";
import {
  type MembershipRecord,
  type MembershipRecordFile,
  observeConfig,
  removalIndexIn,
  removalRefusal,
  removedMessage,
} from "./membership_record.ts";

export interface MembershipGuardHooks {
  /** Called once, when this node learns it was removed: it should stop. */
  readonly onRemoved: (message: string) => void;
  /**
   * Called when another node is removed: close its connections to this
   * node, so that it dials again and is told (a connection it opened before
   * its removal was admitted then).
   */
  readonly dropPeer: (id: number) => void;
}

export class MembershipGuard {
  readonly #file: MembershipRecordFile;
  readonly #selfId: number;
  readonly #dir: string;
  readonly #log: Logger;
  readonly #hooks: MembershipGuardHooks;
  #removedReported = false;

  constructor(file: MembershipRecordFile, selfId: number, dir: string, log: Logger, hooks: MembershipGuardHooks) {
    this.#file = file;
    this.#selfId = selfId;
    this.#dir = dir;
    this.#log = log;
    this.#hooks = hooks;
  }

  /** The driver applied entries up to `appliedIndex`: record the configuration once it is committed. */
  applied(status: RaftStatus, appliedIndex: number): void {
    if (status.configIndex > appliedIndex) return;
    const before = this.#file.record.removed;
    const next = observeConfig(this.#file.record, this.#selfId, status.config, status.configIndex);
    if (!next) return;
    this.#save(next);
    for (const id of Object.keys(next.removed)) if (!(id in before) && Number(id) !== this.#selfId) this.#hooks.dropPeer(Number(id));
  }

  /** The transport's `admit`: a refusal for a peer this node saw removed (the transport logs it). */
  admit(status: RaftStatus, peerId: number): string | undefined {
    return removalRefusal(this.#file.record, status.config, peerId);
  }

  /** The transport's `onRefused`: a member says this node was removed, by a configuration newer than any it knows. */
  refused(status: RaftStatus, peerId: number, reason: string): void {
    const index = removalIndexIn(reason, this.#selfId);
    if (index === undefined || status.configIndex >= index || this.#file.record.selfRemoved) return;
    this.#save({ ...this.#file.record, selfRemoved: { index, how: `node ${peerId} refused it as removed` } });
  }

  /** This node had itself removed (--leave-on-exit): it must not come back on this data either. */
  left(status: RaftStatus): void {
    if (this.#file.record.selfRemoved) return;
    this.#save({ ...this.#file.record, selfRemoved: { index: status.configIndex, how: "it left the cluster (--leave-on-exit)" } });
  }

  /** Resolves once the record is on disk. */
  flushed(): Promise<void> {
    return this.#file.flushed();
  }

  #save(next: MembershipRecord): void {
    this.#file.set(next).catch((error: Error) => this.#log.warn(`cannot save the membership record: ${error.message}`));
    const removal = next.selfRemoved;
    if (removal && !this.#removedReported) {
      this.#removedReported = true;
      this.#hooks.onRemoved(removedMessage(this.#selfId, removal, this.#dir));
    }
  }
}

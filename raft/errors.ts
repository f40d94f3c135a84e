/**
 * Errors the Raft driver gives its callers, as types that carry their data.
 * They know nothing of the client protocol: commands/client_errors.ts
 * turns them into what a Redis client is sent (MOVED, TRYAGAIN, …).
 */
import type { RejectReason } from "./core/types.ts";

/**
 * This node is not the leader. `leaderId` is the leader it knows of (0:
 * none); `leaderAddress` is where a client should go instead — the known
 * leader's, or the node a joining node asked to add it — or undefined when
 * no leader is known.
 */
export class NotLeaderError extends Error {
  /** The leader this node knows of; 0 when none. */
  readonly leaderId: number;
  /** Where a client should go instead, when known. */
  readonly leaderAddress: string | undefined;
  /** An error naming the known leader (0: none) and where to go instead. */
  constructor(leaderId: number, leaderAddress: string | undefined) {
    super(leaderAddress ? `this node is not the leader; the leader is at ${leaderAddress}` : "this node is not the leader, and knows no leader");
    this.leaderId = leaderId;
    this.leaderAddress = leaderAddress;
    this.name = "NotLeaderError";
  }
}

/**
 * A write was appended but this node could not learn whether it committed
 * (leadership changed, its storage failed, or it took too long). It may or
 * may not have taken effect: the client must check before retrying a
 * non-idempotent write. `reason` says why the outcome is unknown.
 */
export class OutcomeUnknownError extends Error {
  /** Why the outcome is unknown. */
  readonly reason: string;
  /** An error saying why the outcome is unknown. */
  constructor(reason: string) {
    super(`write outcome unknown: ${reason}; it may or may not have been applied`);
    this.reason = reason;
    this.name = "OutcomeUnknownError";
  }
}

/** A write was definitely not applied: its log slot `index` went to another entry. Safe to retry. */
export class WriteDroppedError extends Error {
  /** The log slot the write had, now another entry's. */
  readonly index: number;
  /** An error naming the log slot the write had. */
  constructor(index: number) {
    super(`write not applied: log slot ${index} was taken by a new leader; safe to retry`);
    this.index = index;
    this.name = "WriteDroppedError";
  }
}

/**
 * This leader is handing leadership over (a transfer is under way, Raft
 * §3.10, as on a graceful stop): the write was not appended. Safe to retry
 * in a moment, when the new leader is known.
 */
export class LeadershipTransferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LeadershipTransferError";
  }
}

/** The error for a request the core refused for `reason` other than "notLeader", with the core's `message`. */
export function refusalError(reason: RejectReason, message: string): Error {
  return reason === "transferring" ? new LeadershipTransferError(message) : new Error(message);
}

/** The node is shutting down: the request was not served. */
export class ShutdownError extends Error {
  constructor() {
    super("node is shutting down");
    this.name = "ShutdownError";
  }
}

/** What stopped a node for good: its storage, its machine (the applier), or a bug in Raft itself. */
export type NodeStopKind = "storage" | "applier" | "internal";

/**
 * The node met a failure that neither a retry nor waiting fixes, and stopped
 * applying entries and serving requests. `kind` says what failed, `index`
 * which entry (or snapshot) the machine could not apply, `cause` the error
 * itself. A full disk is not one of these: the node pauses and resumes by
 * itself (raft/outage_recovery.ts).
 */
export class NodeStoppedError extends Error {
  readonly kind: NodeStopKind;
  /** For "applier": the index of the entry or snapshot the machine failed on. */
  readonly index: number | undefined;
  /** Why the proposals that were waiting have an unknown outcome (OutcomeUnknownError's reason). */
  readonly reason: string;

  private constructor(kind: NodeStopKind, message: string, reason: string, cause: unknown, index?: number) {
    super(message, { cause });
    this.kind = kind;
    this.index = index;
    this.reason = reason;
    this.name = "NodeStoppedError";
  }

  /** A storage failure no retry fixes: a corrupt file, an error other than a refused write. */
  static storage(cause: unknown): NodeStoppedError {
    const what = messageOf(cause);
    return new NodeStoppedError("storage", `storage failure, node stopped taking writes: ${what}`, what, cause);
  }

  /**
   * The machine threw while `doing` ("applying entry 12", "restoring the
   * snapshot at index 40"). Replicas must apply every committed entry, in
   * order, so this node cannot go on past it; a restart applies it again.
   */
  static applier(doing: string, index: number, cause: unknown): NodeStoppedError {
    return new NodeStoppedError(
      "applier",
      `the state machine failed ${doing}, a bug in the machine (not a storage failure): ${messageOf(cause)}. ` +
        `The node stopped applying entries and serving requests; a restart applies the entry again`,
      `the node stopped: the state machine failed ${doing}`,
      cause,
      index,
    );
  }

  /** Anything else: a bug in the driver or the core. */
  static internal(cause: unknown): NodeStoppedError {
    return new NodeStoppedError(
      "internal",
      `internal error (a bug in Raft), node stopped taking writes: ${messageOf(cause)}`,
      `the node stopped: internal error`,
      cause,
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Errors the Raft driver gives its callers, as types that carry their data.
 * They know nothing of the client protocol: commands/client_errors.ts
 * turns them into what a Redis client is sent (MOVED, TRYAGAIN, …).
 */

/**
 * This node is not the leader. `leaderId` is the leader it knows of (0:
 * none); `leaderAddress` is where a client should go instead — the known
 * leader's, or the node a joining node asked to add it — or undefined when
 * no leader is known.
 */
export class NotLeaderError extends Error {
  readonly leaderId: number;
  readonly leaderAddress: string | undefined;
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
  readonly reason: string;
  constructor(reason: string) {
    super(`write outcome unknown: ${reason}; it may or may not have been applied`);
    this.reason = reason;
    this.name = "OutcomeUnknownError";
  }
}

/** A write was definitely not applied: its log slot `index` went to another entry. Safe to retry. */
export class WriteDroppedError extends Error {
  readonly index: number;
  constructor(index: number) {
    super(`write not applied: log slot ${index} was taken by a new leader; safe to retry`);
    this.index = index;
    this.name = "WriteDroppedError";
  }
}

/** The node is shutting down: the request was not served. */
export class ShutdownError extends Error {
  constructor() {
    super("node is shutting down");
    this.name = "ShutdownError";
  }
}

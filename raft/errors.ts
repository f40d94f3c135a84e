/**
 * Errors the Raft driver gives its callers. Their messages start with the
 * code a Redis client understands, so the RESP layer can send them as is.
 */

/** This node is not the leader; `leaderId` is the one it knows of (0: none). */
export class NotLeaderError extends Error {
  readonly leaderId: number;
  readonly leaderAddress: string | undefined;
  constructor(leaderId: number, leaderAddress: string | undefined) {
    super(leaderAddress ? `MOVED 0 ${leaderAddress}` : "CLUSTERDOWN node is not the leader");
    this.leaderId = leaderId;
    this.leaderAddress = leaderAddress;
    this.name = "NotLeaderError";
  }
}

/**
 * A write was appended but this node could not learn whether it committed
 * (leadership changed, or it took too long). It may or may not have taken
 * effect: the client must check before retrying a non-idempotent write.
 */
export class OutcomeUnknownError extends Error {
  constructor(reason: string) {
    super(`TRYAGAIN write outcome unknown: ${reason}; it may or may not have been applied`);
    this.name = "OutcomeUnknownError";
  }
}

/** A write was definitely not applied (its log slot went to another entry): safe to retry. */
export class WriteDroppedError extends Error {
  constructor(index: number) {
    super(`TRYAGAIN write not applied: log slot ${index} was taken by a new leader; safe to retry`);
    this.name = "WriteDroppedError";
  }
}

/** The node is shutting down. */
export class ShutdownError extends Error {
  constructor() {
    super("SHUTDOWN node is shutting down");
    this.name = "ShutdownError";
  }
}

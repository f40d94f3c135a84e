/**
 * What a client is told when the Raft layer refuses or loses its request:
 * the one place where raft/errors.ts's typed errors become the error
 * replies of the wire protocol (uhaha's and Redis Cluster's codes).
 *
 *   NotLeaderError        -MOVED 0 <leader>   (-TRY <leader> with --try-errors)
 *                         -CLUSTERDOWN node is not the leader   (no leader known)
 *   OutcomeUnknownError   -TRYAGAIN write outcome unknown: <reason>; it may or may not have been applied
 *   WriteDroppedError     -TRYAGAIN write not applied: log slot <n> was taken by a new leader; safe to retry
 *   ShutdownError         -SHUTDOWN node is shutting down
 *   LeadershipTransferError  -TRYAGAIN leadership is being transferred to <id>; retry shortly
 *
 * Anything else keeps its message, and the reply writer adds `ERR ` unless
 * it starts with a code: NodeStoppedError's (`-ERR storage failure, node
 * stopped taking writes: …`, or what else stopped the node), a refused
 * membership change's.
 */
import { asError } from "../api/errors.ts";
import { LeadershipTransferError, NotLeaderError, OutcomeUnknownError, ShutdownError, WriteDroppedError } from "../raft/errors.ts";
import type { ReplyValue } from "../api/reply.ts";
import type { Client } from "../server/client_connection.ts";
import type { NodeContext } from "./node_context.ts";

export interface ClientErrorOptions {
  /** Redirect with `TRY addr` instead of `MOVED 0 addr` (`--try-errors`). */
  readonly tryErrors: boolean;
}

/**
 * The error reply for `error`, a rejection from the Raft driver (or anything
 * else a command caught).
 * @example toClientError(new NotLeaderError(2, "10.0.0.2:11001"), { tryErrors: false }).message // "MOVED 0 10.0.0.2:11001"
 */
export function toClientError(error: unknown, options: ClientErrorOptions): Error {
  if (error instanceof NotLeaderError) {
    if (!error.leaderAddress) return new Error("CLUSTERDOWN node is not the leader");
    return new Error(options.tryErrors ? `TRY ${error.leaderAddress}` : `MOVED 0 ${error.leaderAddress}`);
  }
  if (error instanceof OutcomeUnknownError) {
    return new Error(`TRYAGAIN write outcome unknown: ${error.reason}; it may or may not have been applied`);
  }
  if (error instanceof WriteDroppedError) {
    return new Error(`TRYAGAIN write not applied: log slot ${error.index} was taken by a new leader; safe to retry`);
  }
  if (error instanceof ShutdownError) return new Error("SHUTDOWN node is shutting down");
  if (error instanceof LeadershipTransferError) return new Error(`TRYAGAIN ${error.message}; retry shortly`);
  return asError(error);
}

/**
 * For a request only the leader may serve: undefined when this node leads,
 * else the redirect to the leader it knows of (or CLUSTERDOWN).
 */
export function leaderRedirect(node: NodeContext): Error | undefined {
  const driver = node.driver;
  if (driver.status.role === "leader") return undefined;
  return toClientError(new NotLeaderError(driver.status.leaderId, driver.leaderAddress()), node);
}

/**
 * For a write only the leader may run: undefined when this node leads; else
 * the leader's reply through the proxy (--proxy), or the redirect.
 */
export function writeElsewhere(node: NodeContext, conn: Client, args: readonly Uint8Array[]): ReplyValue | Promise<ReplyValue> | undefined {
  const redirect = leaderRedirect(node);
  if (!redirect) return undefined;
  return node.proxy?.forward(conn, args, true) ?? redirect;
}

/**
 * Where a client must go when this node cannot serve it: `-MOVED 0 addr`
 * (or `-TRY addr`) to the leader, or `-CLUSTERDOWN` when none is known.
 */
import { NotLeaderError } from "../raft/errors.ts";
import type { NodeContext } from "./node_context.ts";

/** The redirect error for a request that needs the leader, or undefined when this node is it. */
export function leaderRedirect(node: NodeContext): Error | undefined {
  const driver = node.driver;
  if (driver.status.role === "leader") return undefined;
  return redirectTo(node, driver.leaderAddress());
}

export function redirectTo(node: NodeContext, leaderAddress: string | undefined): Error {
  if (!leaderAddress) return new Error("CLUSTERDOWN node is not the leader");
  return new Error(node.tryErrors ? `TRY ${leaderAddress}` : `MOVED 0 ${leaderAddress}`);
}

/** Maps driver errors to what the client should see (MOVED/TRY/CLUSTERDOWN for NotLeaderError). */
export function clientError(node: NodeContext, error: unknown): Error {
  if (error instanceof NotLeaderError) return redirectTo(node, error.leaderAddress);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * `-j addr`: asks a cluster member to add this node, following MOVED/TRY
 * redirects to the leader and retrying (with backoff) until it is added.
 * The node it is asking is its best guess at the leader until the leader
 * reaches it (`hintLeader`): a client that sees this node in the leader's
 * configuration and writes to it at once is redirected there.
 */
import type { Logger } from "../raft/logger.ts";
import { DUPLICATE_ID_CODE } from "../commands/raft_commands.ts";
import type { PeerTls } from "../raft/transport/peer_tls.ts";
import { respRequest } from "./resp_request.ts";

export interface JoinOptions {
  readonly joinAddress: string;
  readonly nodeId: number;
  readonly advertise: string;
  readonly nonVoter: boolean;
  /** Verified TLS, as between peers (the join carries the password). */
  readonly tls: PeerTls | undefined;
  readonly password: string | undefined;
  readonly log: Logger;
  /** Stop trying when this returns true (the node was added, or is shutting down). */
  readonly done: () => boolean;
  /** The cluster refused this node for good (its id belongs to another node): no retry. */
  readonly refused: (reason: string) => void;
  /** The node now being asked (the leader, or it will say where the leader is); undefined: none. */
  readonly hintLeader?: (address: string | undefined) => void;
}

export async function joinCluster(options: JoinOptions): Promise<void> {
  const { log } = options;
  log.info(`joining existing cluster at ${options.joinAddress} as ${options.nonVoter ? "nonvoter" : "voter"}`);
  let target = options.joinAddress;
  let delayMs = 100;
  const args = ["RAFT", "SERVER", "ADD", String(options.nodeId), options.advertise, ...(options.nonVoter ? ["NONVOTER"] : [])];
  while (!options.done()) {
    // Asked first, so the hint is in place before the leader can list this node.
    options.hintLeader?.(target);
    try {
      const reply = await respRequest({ address: target, tls: options.tls, password: options.password, timeoutMs: 10_000 }, args);
      if (reply.type !== "error") {
        log.info(`join accepted by ${target}`);
        return;
      }
      const redirect = /^(?:MOVED \d+|TRY) (\S+)/.exec(reply.text);
      if (redirect) {
        target = redirect[1];
        delayMs = 100;
        continue;
      }
      if (reply.text.startsWith(DUPLICATE_ID_CODE)) {
        options.hintLeader?.(undefined);
        return options.refused(`join refused by ${target}: ${reply.text.slice(DUPLICATE_ID_CODE.length + 1)}`);
      }
      log.warn(`join via ${target}: ${reply.text}`);
      if (/^CLUSTERDOWN/.test(reply.text)) {
        target = options.joinAddress;
        options.hintLeader?.(undefined); // it knows no leader either
      }
    } catch (error) {
      log.warn(`join: ${(error as Error).message}`);
      target = options.joinAddress;
      options.hintLeader?.(undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs + Math.random() * delayMs));
    delayMs = Math.min(delayMs * 2, 2_000);
  }
}

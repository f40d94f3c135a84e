/**
 * The leader proxy (--proxy): a follower runs the commands that need the
 * leader there and answers with the leader's reply, so clients that do not
 * follow MOVED work against any node.
 *
 * Why one RESP connection to the leader per client, and not the peer link:
 * the leader's own client connection already gives a pipelined stream of
 * commands exactly the order guarantees a client has (command_sequencer.ts),
 * AUTH with the cluster's secret, and back-pressure, so a client's commands
 * forwarded over its own connection keep their order and their pipelining
 * with no new protocol in the Raft transport. One connection shared by
 * several clients would keep each one's order too, but a slow command of one
 * (a read waiting for its heartbeat round) would hold back everyone else's.
 * The connection opens with the client's first forwarded command and closes
 * when the client goes; a client that never needs the leader costs nothing.
 *
 * When the leader changes, a client's next command goes over a new
 * connection while earlier ones may still be in flight on the old one. That
 * cannot reorder them: the old leader can commit nothing once a newer term
 * has a leader, and what it appended before is in the new leader's log
 * ahead of anything new, or never committed (Raft §5.4). Commands that get
 * no answer are errors, never guesses: a write that may have reached the
 * leader is "outcome unknown", one that cannot have is "not applied".
 */
import { resp, type ReplyValue } from "../api/reply.ts";
import type { RaftStatus } from "../raft/driver.ts";
import type { Logger } from "../raft/logger.ts";
import type { PeerTls } from "../raft/transport/peer_tls.ts";
import type { Client } from "../server/client_connection.ts";
import type { Reply } from "../server/resp_reply_parser.ts";
import { LeaderLink, LinkLostError } from "./leader_link.ts";

export interface LeaderProxyOptions {
  readonly status: RaftStatus;
  /** Where the leader is, if known (RaftDriver.leaderAddress). */
  readonly leaderAddress: () => string | undefined;
  /** The cluster's TLS material: the leader is verified as a peer is (and sees this node's certificate). */
  readonly tls: PeerTls | undefined;
  readonly password: string | undefined;
  readonly log: Logger;
}

/** How long a replaced connection may keep waiting for its replies before they are given up. */
const RETIRE_GRACE_MS = 10_000;

export class LeaderProxy {
  readonly #options: LeaderProxyOptions;
  readonly #links = new Map<number, LeaderLink>();

  constructor(options: LeaderProxyOptions) {
    this.#options = options;
  }

  /**
   * The leader's reply to `args` sent by `conn`, or undefined when the
   * command should run here: this node leads, no leader is known (the caller
   * answers CLUSTERDOWN), or `conn` is itself another node's proxy.
   * `write`: the command may change state (its lost reply is "outcome unknown").
   */
  forward(conn: Client, args: readonly Uint8Array[], write: boolean): Promise<ReplyValue> | undefined {
    const status = this.#options.status;
    if (conn.fromProxy || status.role === "leader") return undefined;
    const address = this.#options.leaderAddress();
    if (address === undefined) return undefined;
    const link = this.#linkFor(conn, address);
    return link.send(args).then(
      (reply) => this.#answer(conn, link, reply),
      (error: LinkLostError) => lostReply(error, write),
    );
  }

  /** Closes every connection to the leader (the node is stopping). */
  closeAll(): void {
    for (const link of this.#links.values()) link.close("node stopping");
    this.#links.clear();
  }

  #linkFor(conn: Client, address: string): LeaderLink {
    const current = this.#links.get(conn.id);
    if (current && current.usable && current.address === address) return current;
    if (current) retire(current);
    const link = new LeaderLink({ address, tls: this.#options.tls, password: this.#options.password });
    if (!current) {
      void conn.gone.then(() => {
        retire(this.#links.get(conn.id));
        this.#links.delete(conn.id);
      });
    }
    this.#links.set(conn.id, link);
    this.#options.log.debug(`proxy: client ${conn.remoteAddress} forwards to the leader at ${address}`);
    return link;
  }

  /** The reply as this node sends it; a redirect means that node no longer leads. */
  #answer(conn: Client, link: LeaderLink, reply: Reply): ReplyValue {
    if (reply.type === "error") {
      const moved = /^(?:MOVED \d+|TRY) (\S+)/.exec(reply.text);
      if (moved) {
        // Redirects are answered before a command runs: nothing was applied.
        if (this.#links.get(conn.id) === link) link.retire();
        return new Error(`TRYAGAIN the leader changed (now ${moved[1]}) while forwarding; not applied, safe to retry`);
      }
    }
    return toReplyValue(reply);
  }
}

/** Sends nothing more on `link`; what it still waits for is given up after a grace period. */
function retire(link: LeaderLink | undefined): void {
  if (!link) return;
  link.retire();
  if (link.inFlight > 0) setTimeout(() => link.close("no reply after the leader changed"), RETIRE_GRACE_MS).unref?.();
}

function lostReply(error: LinkLostError, write: boolean): Error {
  if (!error.delivered) return new Error(`TRYAGAIN cannot forward to the leader: ${error.message}; not applied, safe to retry`);
  if (write) return new Error(`TRYAGAIN write outcome unknown: ${error.message}; it may or may not have been applied`);
  return new Error(`TRYAGAIN no reply from the leader: ${error.message}; a read, safe to retry`);
}

/** A parsed reply as the value that encodes back to the same bytes. */
export function toReplyValue(reply: Reply): ReplyValue {
  switch (reply.type) {
    case "simple":
      return resp.simple(reply.text);
    case "error":
      return new Error(reply.text);
    case "integer":
      return resp.int(reply.value);
    case "bulk":
      return reply.value;
    case "array":
      return reply.items === null ? resp.nullArray : reply.items.map(toReplyValue);
  }
}

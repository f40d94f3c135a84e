/**
 * A clean leave, done before a node stops serving. A leader first hands
 * leadership to its most up-to-date voter (TimeoutNow, Raft dissertation
 * §3.10: the target campaigns at once, without waiting for an election
 * timeout) and waits until it no longer leads, so clients see a new leader
 * within a round trip or two instead of an election gap. With
 * --leave-on-exit the node then has the leader remove it from the
 * configuration.
 */
import type { RaftDriver, RaftStatus } from "../raft/driver.ts";
import { LeadershipTransferError, NotLeaderError } from "../raft/errors.ts";
import type { Logger } from "../raft/logger.ts";
import type { PeerTls } from "../raft/transport/peer_tls.ts";
import { respRequest } from "./resp_request.ts";

/**
 * The voter (other than `selfId`) with the most of the leader's log, or
 * undefined when there is none: the one that can win an election at once.
 * Ties go to the lower id, so the choice is stable.
 */
export function handoverTarget(status: Pick<RaftStatus, "progress">, selfId: number): number | undefined {
  let best: { id: number; match: number } | undefined;
  for (const peer of status.progress()) {
    if (peer.id === selfId || !peer.voter) continue;
    if (!best || peer.match > best.match || (peer.match === best.match && peer.id < best.id)) best = peer;
  }
  return best?.id;
}

/** How often the handover looks at the driver: a few ms matter to the clients waiting. */
const POLL_MS = 1;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * While this node leads, transfers leadership (again, to the then best
 * voter, should a transfer be abandoned); then waits until it knows the new
 * leader, so that the clients it still serves are sent there. Gives up
 * after `timeoutMs`. Resolves whether this node no longer leads.
 */
export async function handOverLeadership(driver: RaftDriver, log: Logger, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let announced = false;
  while (driver.status.role === "leader") {
    if (performance.now() >= deadline) {
      log.warn(`leadership handover did not finish within ${timeoutMs} ms; stopping as leader`);
      return false;
    }
    if (driver.status.transferee === 0) {
      const target = handoverTarget(driver.status, driver.id);
      if (target === undefined) {
        log.verb("no other voter to hand leadership to");
        return false;
      }
      try {
        driver.transferLeadership(target);
        if (!announced) log.info(`handing leadership over to node ${target}`);
        announced = true;
      } catch (error) {
        log.debug(`leadership transfer to ${target}: ${(error as Error).message}`);
      }
    }
    await sleep(POLL_MS);
  }
  if (!announced) return true;
  while (driver.status.leaderId === 0 && performance.now() < deadline) await sleep(POLL_MS);
  log.info(`leadership handed over (leader now: ${driver.status.leaderId || "unknown"})`);
  return true;
}

/**
 * `driver.propose`, except that a proposal refused because a leadership
 * transfer is under way waits for the transfer to settle (at most
 * `timeoutMs`) instead of failing: then it is proposed again if this node
 * still leads, else refused with NotLeaderError naming the new leader (the
 * client's MOVED). So during a handover clients wait a moment and are sent
 * on, instead of retrying into a node that cannot take their writes.
 */
export function proposeAcrossHandover(driver: RaftDriver, timeoutMs: number): (payload: Uint8Array) => Promise<unknown> {
  let settling: Promise<void> | undefined;
  const settled = () =>
    settling ??= (async () => {
      const deadline = performance.now() + timeoutMs;
      const status = driver.status; // a live view
      // A transfer under way, or this leader's own removal or demotion appended (the core hands over once it commits).
      const transferring = () =>
        status.role === "leader" && (status.transferee !== 0 || !status.config.members.some((m) => m.id === driver.id && m.voter));
      const leaderless = () => status.role !== "leader" && driver.leaderAddress() === undefined;
      while ((transferring() || leaderless()) && performance.now() < deadline) await sleep(POLL_MS);
    })().finally(() => (settling = undefined));
  return async (payload) => {
    const deadline = performance.now() + timeoutMs;
    while (true) {
      try {
        return await driver.propose(payload);
      } catch (error) {
        if (!(error instanceof LeadershipTransferError) || performance.now() >= deadline) throw error;
      }
      await settled();
      if (driver.status.role !== "leader") throw new NotLeaderError(driver.status.leaderId, driver.leaderAddress());
    }
  };
}

export interface LeaveOptions {
  /** The cluster's TLS material: the leader is dialed as a peer would (verified, with this node's certificate). */
  readonly tls: PeerTls | undefined;
  readonly password: string | undefined;
  readonly timeoutMs: number;
}

/**
 * Has the leader remove this node from the configuration (`RAFT SERVER
 * REMOVE`), retrying, as the leader may be changing, until it answers OK
 * or `timeoutMs` pass. A leader removes itself through its own driver
 * (the core hands over to a caught-up voter once the removal commits).
 * Resolves whether the node was removed.
 */
export async function leaveCluster(driver: RaftDriver, log: Logger, options: LeaveOptions): Promise<boolean> {
  const deadline = performance.now() + options.timeoutMs;
  const self = driver.id;
  let problem = "";
  while (performance.now() < deadline) {
    problem = await askToLeave(driver, options, deadline);
    if (problem === "") {
      log.info(`left the cluster: node ${self} is no longer a member`);
      return true;
    }
    await sleep(50);
  }
  log.warn(`could not leave the cluster within ${options.timeoutMs} ms (${problem}); it may still list this node`);
  return false;
}

/** One attempt: "" once this node is no longer a member, else why not yet. */
async function askToLeave(driver: RaftDriver, options: LeaveOptions, deadline: number): Promise<string> {
  const self = driver.id;
  if (!driver.status.config.members.some((m) => m.id === self)) return "";
  try {
    if (driver.status.role === "leader") {
      await driver.changeMembership({ type: "remove", id: self });
      return "";
    }
    const leader = driver.leaderAddress();
    if (leader === undefined) return "no leader known";
    const timeoutMs = Math.max(1, Math.min(2_000, deadline - performance.now()));
    const args = ["RAFT", "SERVER", "REMOVE", String(self)];
    const reply = await respRequest({ address: leader, tls: options.tls, password: options.password, timeoutMs }, args);
    // The leader may have removed it already: a removed node does not hear of its own removal.
    if (reply.type !== "error" || reply.text.startsWith(`ERR unknown server id '${self}'`)) return "";
    return `${leader} answered: ${reply.text}`;
  } catch (error) {
    return (error as Error).message;
  }
}

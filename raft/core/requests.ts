/**
 * Requests from the local application: proposals, linearizable reads,
 * membership changes and leadership transfer. Each is accepted only by a
 * leader; elsewhere it is refused with the id of the known leader.
 */
import { EntryKind } from "../log_entry.ts";
import { applyConfChange, encodeConfig, isVoter } from "./membership.ts";
import { bcastAppend, sendAppend, sendTimeoutNow, startRead } from "./leader.ts";
import type { Raft } from "./raft.ts";
import type { ConfChange, ProposeResult, RequestResult, RejectReason } from "./types.ts";

function refuse(r: Raft, reason: RejectReason, message: string): ProposeResult & { accepted: false } {
  return { accepted: false, reason, leaderId: r.leaderId, message };
}

function notLeader(r: Raft): ProposeResult & { accepted: false } {
  return refuse(r, "notLeader", `node ${r.id} is not the leader (leader: ${r.leaderId || "unknown"})`);
}

/** Appends application data as a Command entry. */
export function propose(r: Raft, data: Uint8Array): ProposeResult {
  const leader = r.role;
  if (leader.kind !== "leader") return notLeader(r);
  if (leader.transferee !== 0) {
    return refuse(r, "transferring", `leadership is being transferred to ${leader.transferee}`);
  }
  if (!isVoter(r.config, r.id)) {
    // Its own removal or demotion is appended: no entry may follow it, so
    // that once it commits the voters that hold it are up to date and one
    // can take over at once (TimeoutNow, see afterCommit in leader.ts)
    // rather than after an election timeout.
    return refuse(r, "transferring", "this leader is leaving the voters; leadership moves once that change commits");
  }
  const entry = r.appendEntry(EntryKind.Command, data);
  bcastAppend(r);
  return { accepted: true, index: entry.index, term: entry.term };
}

/**
 * Proposes a one-server membership change. Refused while another change is
 * uncommitted, and until the leader has committed an entry of its own term
 * (the fix for the single-server change bug, Ongaro's raft-dev post of 2015).
 */
export function proposeConfChange(r: Raft, change: ConfChange): ProposeResult {
  const leader = r.role;
  if (leader.kind !== "leader") return notLeader(r);
  if (leader.transferee !== 0) {
    return refuse(r, "transferring", `leadership is being transferred to ${leader.transferee}`);
  }
  if (r.log.lastConfigIndex() > r.log.committed) {
    return refuse(r, "configChangePending", "another membership change is not committed yet");
  }
  if (r.log.term(r.log.committed) !== r.term) {
    return refuse(r, "configChangePending", "the new leader has not committed an entry of its term yet");
  }
  const next = applyConfChange(r.config, change);
  if (typeof next === "string") return refuse(r, "invalidConfChange", next);
  const entry = r.appendEntry(EntryKind.Config, encodeConfig(next));
  bcastAppend(r);
  return { accepted: true, index: entry.index, term: entry.term };
}

/**
 * Starts a linearizable read (ReadIndex, dissertation §6.4). The read
 * becomes a ReadState in a later Ready once a quorum has confirmed this
 * leader by a heartbeat round sent after the read arrived.
 */
export function readIndex(r: Raft, requestId: number): RequestResult {
  const leader = r.role;
  if (leader.kind !== "leader") {
    return { accepted: false, reason: "notLeader", leaderId: r.leaderId };
  }
  if (r.log.term(r.log.committed) !== r.term) {
    // Until an entry of this term commits, our commit index may be behind.
    leader.waitingReads.push(requestId);
  } else {
    startRead(r, leader, requestId);
  }
  return { accepted: true };
}

/** Hands leadership to `target` once its log is caught up (dissertation §3.10). */
export function transferLeadership(r: Raft, target: number): RequestResult {
  const leader = r.role;
  if (leader.kind !== "leader") {
    return { accepted: false, reason: "notLeader", leaderId: r.leaderId };
  }
  if (target === r.id) return { accepted: true };
  if (!isVoter(r.config, target)) {
    return { accepted: false, reason: "invalidConfChange", leaderId: r.id };
  }
  leader.transferee = target;
  r.electionElapsed = 0; // the transfer has one election timeout to finish
  const pr = leader.progress.get(target)!;
  if (pr.match === r.log.lastIndex()) sendTimeoutNow(r, target);
  else sendAppend(r, target);
  return { accepted: true };
}

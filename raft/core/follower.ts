/**
 * Step and tick functions of the follower, pre-candidate and candidate
 * roles, and the follower side of replication (AppendEntries, heartbeats,
 * InstallSnapshot).
 */
import { voteOutcome } from "./quorum.ts";
import type { Raft } from "./raft.ts";
import type { AppendMessage, HeartbeatMessage, Message, SnapshotMessage } from "./types.ts";

/** Follower, pre-candidate and candidate tick: count down to an election (§5.2). */
export function tickElection(r: Raft): void {
  r.electionElapsed++;
  if (r.promotable() && r.electionElapsed >= r.randomizedElectionTimeout) {
    r.electionElapsed = 0;
    r.campaign("preElection");
  }
}

/** Follower step: accept the leader's appends, heartbeats, snapshots and TimeoutNow. */
export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case "append":
      r.electionElapsed = 0;
      r.leaderId = m.from;
      handleAppend(r, m);
      return;
    case "heartbeat":
      r.electionElapsed = 0;
      r.leaderId = m.from;
      handleHeartbeat(r, m);
      return;
    case "snapshot":
      r.electionElapsed = 0;
      r.leaderId = m.from;
      handleSnapshot(r, m);
      return;
    case "timeoutNow":
      // Leadership transfer (dissertation §3.10): campaign at once, no pre-vote.
      r.campaign("transfer");
      return;
    default:
      return;
  }
}

/** Shared by pre-candidates and candidates. */
export function stepCandidate(r: Raft, m: Message): void {
  switch (m.type) {
    case "append":
    case "heartbeat":
    case "snapshot":
      // A leader exists for our term (or a later one): follow it (§5.2).
      r.becomeFollower(m.term, m.from);
      stepFollower(r, m);
      return;
    case "voteResponse":
    case "preVoteResponse": {
      const role = r.role;
      if (role.kind !== "candidate" && role.kind !== "preCandidate") return;
      const wanted = role.kind === "candidate" ? "voteResponse" : "preVoteResponse";
      if (m.type !== wanted) return;
      role.votes.set(m.from, m.granted);
      switch (voteOutcome(r.voters, role.votes)) {
        case "won":
          if (role.kind === "preCandidate") r.campaign("election");
          else r.becomeLeader();
          return;
        case "lost":
          r.becomeFollower(r.term, 0);
          return;
        case "pending":
          return;
      }
      return;
    }
    default:
      return;
  }
}

function respond(r: Raft, m: Message, index: number, reject = false, hintIndex = 0, hintTerm = 0): void {
  r.send({
    type: "appendResponse", from: r.id, to: m.from, term: r.term,
    reject, index, hintIndex, hintTerm,
  });
}

/** AppendEntries receiver (Raft §5.3, Figure 2). */
export function handleAppend(r: Raft, m: AppendMessage): void {
  if (m.prevIndex < r.log.committed) {
    respond(r, m, r.log.committed);
    return;
  }
  const last = r.log.maybeAppend(m.prevIndex, m.prevTerm, m.entries);
  if (last !== undefined) {
    r.log.commitTo(Math.min(m.commit, last));
    r.refreshConfig();
    respond(r, m, last);
    return;
  }
  // Fast backtracking: point the leader at the last entry of ours whose
  // term is ≤ prevTerm, so it skips a whole conflicting term at once.
  const hint = r.log.findConflictByTerm(Math.min(m.prevIndex, r.log.lastIndex()), m.prevTerm);
  respond(r, m, m.prevIndex, true, hint.index, hint.term);
}

/** Heartbeat receiver: learn the commit index, echo the ReadIndex context. */
export function handleHeartbeat(r: Raft, m: HeartbeatMessage): void {
  r.log.commitTo(Math.min(m.commit, r.log.lastIndex()));
  r.send({ type: "heartbeatResponse", from: r.id, to: m.from, term: r.term, context: m.context });
}

/** InstallSnapshot receiver (Raft §7). The driver already holds the bytes. */
export function handleSnapshot(r: Raft, m: SnapshotMessage): void {
  const s = m.snapshot;
  if (s.index <= r.log.committed) {
    respond(r, m, r.log.committed);
    return;
  }
  if (r.log.matchTerm(s.index, s.term)) {
    // We already have that prefix: just learn that it is committed.
    r.log.commitTo(s.index);
    respond(r, m, r.log.committed);
    return;
  }
  r.log.restore(s);
  r.refreshConfig(true);
  respond(r, m, s.index);
}

/**
 * The leader role: its step and tick functions, and log replication
 * (probe/replicate with a bounded in-flight window, fast backtracking,
 * snapshots for followers behind the compaction point, commit rule).
 */
import type { LogEntry } from "../log_entry.ts";
import { isVoter } from "./membership.ts";
import { committedIndex, hasQuorum } from "./quorum.ts";
import type { LeaderState, Raft } from "./raft.ts";
import type { AppendResponseMessage, HeartbeatResponseMessage, Message } from "./types.ts";

/** Narrows the role; a bug if called on a non-leader. */
export function leaderState(r: Raft): LeaderState {
  if (r.role.kind !== "leader") throw new Error(`node ${r.id} is not the leader`);
  return r.role;
}

/** Leader tick: heartbeats, check-quorum and transfer timeout every election timeout. */
export function tickHeartbeat(r: Raft): void {
  const leader = leaderState(r);
  r.heartbeatElapsed++;
  r.electionElapsed++;
  if (r.electionElapsed >= r.options.electionTicks) {
    r.electionElapsed = 0;
    if (r.options.checkQuorum) {
      // Check-quorum (dissertation §6.2): step down without a live majority.
      const active = hasQuorum(
        r.voters,
        (id) => id === r.id || leader.progress.get(id)?.recentActive === true,
      );
      for (const [id, pr] of leader.progress) if (id !== r.id) pr.recentActive = false;
      if (!active) {
        r.becomeFollower(r.term, 0);
        return;
      }
    }
    // A transfer that did not finish within an election timeout is abandoned.
    leader.transferee = 0;
  }
  if (r.heartbeatElapsed >= r.options.heartbeatTicks) {
    r.heartbeatElapsed = 0;
    bcastHeartbeat(r, leader.reads.latestSeq());
  }
}

/** Leader step: acknowledgements of appends and heartbeats from members. */
export function stepLeader(r: Raft, m: Message): void {
  const leader = leaderState(r);
  const pr = leader.progress.get(m.from);
  if (!pr || m.from === r.id) return;
  switch (m.type) {
    case "appendResponse":
      pr.recentActive = true;
      handleAppendResponse(r, leader, m);
      return;
    case "heartbeatResponse":
      pr.recentActive = true;
      handleHeartbeatResponse(r, leader, m);
      return;
    default:
      // Appends/heartbeats/snapshots cannot come from another leader of our
      // term (election safety); stale vote answers are irrelevant now.
      return;
  }
}

function handleAppendResponse(r: Raft, leader: LeaderState, m: AppendResponseMessage): void {
  const pr = leader.progress.get(m.from)!;
  if (m.reject) {
    let probe = m.hintIndex;
    if (m.hintTerm > 0) probe = r.log.findConflictByTerm(m.hintIndex, m.hintTerm).index;
    if (pr.maybeDecrTo(m.index, probe)) {
      if (pr.state === "replicate") pr.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  if (!pr.maybeUpdate(m.index)) return;
  switch (pr.state) {
    case "probe":
      pr.becomeReplicate();
      break;
    case "snapshot":
      if (pr.match + 1 >= r.log.firstIndex()) {
        pr.becomeProbe();
        pr.becomeReplicate();
      }
      break;
    case "replicate":
      pr.inflights.freeTo(m.index);
      break;
  }
  if (maybeCommit(r)) {
    if (r.role.kind === "leader") bcastAppend(r);
  } else if (wasPaused) {
    sendAppend(r, m.from);
  }
  if (r.role.kind !== "leader") return;
  // Pipelining: keep the window full while there is more to send.
  while (sendAppend(r, m.from, false));
  if (m.from === leader.transferee && pr.match === r.log.lastIndex()) sendTimeoutNow(r, m.from);
}

function handleHeartbeatResponse(r: Raft, leader: LeaderState, m: HeartbeatResponseMessage): void {
  const pr = leader.progress.get(m.from)!;
  pr.probeSent = false;
  if (pr.state === "replicate" && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.match < r.log.lastIndex()) sendAppend(r, m.from);
  if (m.context > 0) {
    const voters = r.voters;
    const { safe, sendNext } = leader.reads.ack(m.from, m.context, (acks) => hasQuorum(voters, (id) => acks.has(id)));
    r.readStates.push(...safe);
    if (sendNext !== 0) bcastHeartbeat(r, sendNext);
  }
}

/** Tells `to` to campaign at once (leadership transfer). */
export function sendTimeoutNow(r: Raft, to: number): void {
  r.send({ type: "timeoutNow", from: r.id, to, term: r.term });
}

/**
 * Sends the next append (or a snapshot) to `to` unless its progress is
 * paused. With `sendIfEmpty` false, sends only if there are entries.
 * Returns true if something was sent.
 */
export function sendAppend(r: Raft, to: number, sendIfEmpty = true): boolean {
  const leader = leaderState(r);
  const pr = leader.progress.get(to);
  if (!pr || to === r.id || pr.isPaused()) return false;
  pr.next = Math.min(pr.next, r.log.lastIndex() + 1);
  const prevIndex = pr.next - 1;
  const prevTerm = r.log.term(prevIndex);
  if (prevTerm === undefined) {
    // The entries this follower needs are compacted: send the snapshot (§7).
    const snapshot = r.log.snapshot;
    r.send({ type: "snapshot", from: r.id, to, term: r.term, snapshot });
    pr.becomeSnapshot(snapshot.index);
    return true;
  }
  const entries = limitEntries(
    r.log.slice(pr.next, Math.min(r.log.lastIndex() + 1, pr.next + r.options.maxEntriesPerAppend)),
    r.options.maxEntriesPerAppend,
    r.options.maxAppendBytes,
  );
  if (entries.length === 0 && !sendIfEmpty) return false;
  r.send({
    type: "append", from: r.id, to, term: r.term,
    prevIndex, prevTerm, entries, commit: r.log.committed,
  });
  pr.sentAppend(prevIndex + entries.length, entries.length);
  return true;
}

function limitEntries(entries: LogEntry[], maxCount: number, maxBytes: number): LogEntry[] {
  let bytes = 0;
  let n = 0;
  for (const e of entries) {
    if (n >= maxCount || (n > 0 && bytes + e.data.length > maxBytes)) break;
    bytes += e.data.length;
    n++;
  }
  return n === entries.length ? entries : entries.slice(0, n);
}

/** Sends appends (or snapshots) to every member whose progress is not paused. */
export function bcastAppend(r: Raft): void {
  for (const id of leaderState(r).progress.keys()) if (id !== r.id) sendAppend(r, id);
}

/** Heartbeats to every member, carrying a ReadIndex round (0: none). */
export function bcastHeartbeat(r: Raft, context: number): void {
  const leader = leaderState(r);
  leader.reads.markSent(context);
  for (const [id, pr] of leader.progress) {
    if (id === r.id) continue;
    // Never tell a follower to commit past what it is known to hold.
    const commit = Math.min(pr.match, r.log.committed);
    r.send({ type: "heartbeat", from: r.id, to: id, term: r.term, commit, context });
  }
}

/**
 * Advances the commit index to what a majority of voters hold — but only
 * by counting replicas of an entry of the current term (§5.4.2, Figure 8).
 * Returns true if the commit index moved.
 */
export function maybeCommit(r: Raft): boolean {
  const leader = leaderState(r);
  const index = committedIndex(r.voters, (id) => leader.progress.get(id)?.match ?? 0);
  if (index <= r.log.committed || r.log.term(index) !== r.term) return false;
  r.log.commitTo(index);
  afterCommit(r, leader);
  return true;
}

function afterCommit(r: Raft, leader: LeaderState): void {
  // Reads that waited for the first commit of this term can start now (§6.4).
  if (leader.waitingReads.length > 0) {
    const ids = leader.waitingReads.splice(0);
    for (const id of ids) startRead(r, leader, id);
  }
  // A leader removed (or demoted) by a now-committed configuration steps
  // down (dissertation §4.2.2), handing over to an up-to-date voter.
  if (!isVoter(r.config, r.id) && r.log.lastConfigIndex() <= r.log.committed) {
    bcastAppend(r);
    let best = 0;
    for (const id of r.voters) {
      const pr = leader.progress.get(id);
      if (pr && pr.match === r.log.lastIndex()) best = id;
    }
    if (best !== 0) sendTimeoutNow(r, best);
    r.becomeFollower(r.term, 0);
  }
}

/** Registers a read at the current commit index; starts a heartbeat round if needed. */
export function startRead(r: Raft, leader: LeaderState, requestId: number): void {
  const read = { requestId, index: r.log.committed };
  const voters = r.voters;
  if (voters.length === 1 && voters[0] === r.id) {
    r.readStates.push(read); // a single voter is its own quorum
    return;
  }
  const seq = leader.reads.add(read, r.id);
  if (seq !== 0) bcastHeartbeat(r, seq);
}

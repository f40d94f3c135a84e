/**
 * Messages a healthy cluster must ignore: from ids outside the configuration
 * (a removed node, a stray process that knows the secret) and replays of old
 * terms. Each is stepped straight into the cores; the state after must be
 * the state before.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EntryKind } from "../../raft/log_entry.ts";
import type { Message } from "../../raft/core/mod.ts";
import { Cluster } from "./harness.ts";

const STRANGER = 99;

/** What a message may not change: terms, votes, roles, leaders, logs, commits. */
function stateOf(c: Cluster): string {
  return JSON.stringify([...c.nodes.values()].map(({ core }) => ({
    id: core.id, term: core.term, role: core.role, leader: core.leaderId, last: core.lastIndex, commit: core.commitIndex,
  })));
}

/** Every kind of message, from `from` to `to` at `term`, claiming a log up to `index`. */
function everyKind(from: number, to: number, term: number, index: number): Message[] {
  const entries = [{ index: index + 1, term, kind: EntryKind.Command, data: new Uint8Array([7]) }];
  return [
    { type: "append", from, to, term, prevIndex: index, prevTerm: term, commit: index + 1, entries },
    { type: "append", from, to, term, prevIndex: 0, prevTerm: 0, commit: 1, entries: [{ ...entries[0], index: 1 }] },
    { type: "heartbeat", from, to, term, commit: index + 1, context: 1 },
    { type: "snapshot", from, to, term, snapshot: { index: index + 5, term, config: { members: [{ id: from, address: "x", voter: true }] } } },
    { type: "vote", from, to, term, lastIndex: index + 100, lastTerm: term, transfer: true },
    { type: "preVote", from, to, term, lastIndex: index + 100, lastTerm: term, transfer: false },
    { type: "voteResponse", from, to, term, granted: true },
    { type: "preVoteResponse", from, to, term, granted: true },
    { type: "appendResponse", from, to, term, reject: false, index: index + 100, hintIndex: 0, hintTerm: 0 },
    { type: "heartbeatResponse", from, to, term, context: 1 },
    { type: "timeoutNow", from, to, term },
  ];
}

function healthyCluster(): Cluster {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  c.propose(1, 3);
  c.run(3);
  assert.equal(c.leaders().length, 1);
  return c;
}

test("messages from an id outside the configuration change nothing while the leader is alive", () => {
  const c = healthyCluster();
  const before = stateOf(c);
  const { term, lastIndex } = c.core(1);
  for (const to of [1, 2, 3]) {
    for (const claimedTerm of [term, term + 1, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
      for (const m of everyKind(STRANGER, to, claimedTerm, lastIndex)) {
        c.core(to).step(m);
        c.flush(to);
      }
    }
  }
  assert.equal(c.queue.length, 0, "no node answered the stranger");
  assert.equal(stateOf(c), before);
  // And the cluster goes on as before.
  c.propose(1, 1);
  for (const id of [1, 2, 3]) assert.equal(c.core(id).commitIndex, lastIndex + 1);
});

test("replayed messages of an old term change nothing but tell the sender the term", () => {
  const c = healthyCluster();
  const oldLeader = 1;
  c.isolate(oldLeader);
  c.run(40);
  c.heal();
  c.run(10);
  const [leader] = c.leaders();
  assert.notEqual(leader, oldLeader, "a new leader took over");
  const { term, lastIndex } = c.core(leader);
  for (const id of [1, 2, 3]) assert.equal(c.core(id).term, term);
  const before = stateOf(c);
  for (const to of [1, 2, 3]) {
    if (to === leader) continue;
    for (const m of everyKind(leader, to, term - 1, lastIndex)) c.core(to).step(m);
    c.flush(to);
  }
  // Stale appends and heartbeats are answered with the current term, nothing else.
  assert.deepEqual(c.queue.filter((m) => m.term !== term || (m.type !== "appendResponse" && m.type !== "preVoteResponse")), []);
  c.queue = [];
  assert.equal(stateOf(c), before);
});

test("a node outside its own configuration (joining) still hears its first leader", () => {
  const c = new Cluster([1]);
  c.elect(1);
  // Node 2 starts with no configuration, as a joining node does.
  c.add({ id: 2 }, { index: 0, term: 0, config: { members: [] } });
  c.core(1).proposeConfChange({ type: "addVoter", id: 2, address: "n2" });
  c.run(5);
  assert.equal(c.core(2).commitIndex, c.core(1).commitIndex);
  assert.equal(c.core(2).leaderId, 1);
});

test("a member that missed the change adding the leader catches up from it once its own leader is gone", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  // Node 3 misses node 4's addition; then node 4 leads.
  c.isolate(3);
  c.add({ id: 4 }, { index: 0, term: 0, config: { members: [] } });
  c.core(1).proposeConfChange({ type: "addVoter", id: 4, address: "n4" });
  c.run(5);
  c.core(1).transferLeadership(4);
  c.run(20);
  assert.equal(c.leaders()[0], 4);
  c.heal();
  c.run(60);
  assert.equal(c.core(3).commitIndex, c.core(4).commitIndex, "node 3 caught up from a leader it did not know");
  assert.ok(c.core(3).config.members.some((m) => m.id === 4), "and learned that it is a member");
});

test("a snapshot is wanted (its data stored) only from a sender the node heeds, of its term or newer", () => {
  const c = healthyCluster();
  const { term } = c.core(1);
  const snapshot = (from: number, atTerm: number) => ({
    type: "snapshot" as const, from, to: 2, term: atTerm,
    snapshot: { index: 100, term: atTerm, config: { members: [{ id: from, address: "x", voter: true }] } },
  });
  assert.equal(c.core(2).wantsSnapshot(snapshot(1, term)), true, "from its leader");
  assert.equal(c.core(2).wantsSnapshot(snapshot(3, term + 1)), true, "from a member with a newer term");
  assert.equal(c.core(2).wantsSnapshot(snapshot(1, term - 1)), false, "of an old term");
  assert.equal(c.core(2).wantsSnapshot(snapshot(STRANGER, term + 1)), false, "from a stranger while its leader lives");
  assert.equal(c.core(2).wantsSnapshot({ ...snapshot(1, term), to: 3 }), false, "addressed to another node");
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { Cluster } from "./harness.ts";

test("a single voter elects itself and commits its no-op", () => {
  const c = new Cluster([1]);
  c.elect(1);
  assert.equal(c.core(1).role, "leader");
  assert.equal(c.core(1).term, 1);
  assert.equal(c.core(1).commitIndex, 1);
  assert.equal(c.node(1).applied.length, 1);
});

test("three servers elect exactly one leader by timeout, with pre-vote", () => {
  const c = new Cluster([1, 2, 3]);
  c.run(40);
  assert.equal(c.leaders().length, 1);
  const leader = c.core(c.leaders()[0]);
  assert.equal(leader.term, 1, "pre-vote avoids wasted terms");
  for (const id of [1, 2, 3]) assert.equal(c.core(id).commitIndex, 1);
});

test("a vote is refused to a candidate whose log is behind (§5.4.1)", () => {
  const c = new Cluster([1, 2, 3], [
    { id: 1, terms: [1], hardState: { term: 1 } },
    { id: 2, terms: [1, 1], hardState: { term: 1 } },
    { id: 3, terms: [1, 1], hardState: { term: 1 } },
  ], [], { preVote: false });
  c.elect(1);
  assert.notEqual(c.core(1).role, "leader");
  const votes = c.delivered.filter((m) => m.type === "voteResponse");
  assert.ok(votes.length >= 2 && votes.every((m) => m.type === "voteResponse" && !m.granted));
  c.elect(2);
  assert.equal(c.core(2).role, "leader");
});

test("a partitioned node running pre-vote cannot disrupt a healthy leader", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  const term = c.core(1).term;
  c.isolate(3);
  c.run(100); // node 3 times out again and again, but only pre-votes
  assert.equal(c.core(3).term, term, "pre-vote leaves the term alone");
  c.heal();
  c.run(30);
  assert.equal(c.core(1).role, "leader");
  assert.equal(c.core(1).term, term);
  assert.equal(c.core(3).leaderId, 1);
});

test("without pre-vote the same rejoin disrupts the leader (for contrast)", () => {
  const c = new Cluster([1, 2, 3], [], [], { preVote: false, checkQuorum: false });
  c.elect(1);
  const term = c.core(1).term;
  c.isolate(3);
  c.run(100);
  assert.ok(c.core(3).term > term + 3);
  c.heal();
  c.run(30);
  assert.ok(c.core(1).term > term, "the leader was forced into a new term");
});

test("check-quorum: a leader cut off from the majority steps down", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  c.isolate(1);
  c.run(25);
  assert.notEqual(c.core(1).role, "leader");
  c.run(30);
  assert.equal(c.leaders().filter((id) => id !== 1).length, 1, "the majority side elected a new leader");
});

test("a learner never campaigns and its vote does not count", () => {
  const c = new Cluster([1, 2, 3], [], [4]);
  c.elect(1);
  c.propose(1, 3);
  assert.equal(c.core(4).commitIndex, c.core(1).commitIndex, "the learner receives the log");
  // Cut the voters 2 and 3 off: 1 steps down; neither 1 nor the learner can win.
  c.isolate(2);
  c.isolate(3);
  c.cut.delete("1>4");
  c.cut.delete("4>1");
  c.run(200);
  assert.deepEqual(c.leaders(), []);
  assert.equal(c.delivered.some((m) => (m.type === "vote" || m.type === "preVote") && m.from === 4), false);
});

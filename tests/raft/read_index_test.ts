import { test } from "node:test";
import assert from "node:assert/strict";
import { Cluster } from "./harness.ts";

test("ReadIndex: released after a heartbeat round started after the read, at the commit index", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  c.propose(1, 2);
  const commit = c.core(1).commitIndex;
  c.delivered.length = 0;
  assert.ok(c.core(1).readIndex(7).accepted);
  c.flush(1);
  assert.deepEqual(c.node(1).reads, [], "not safe before a quorum answers");
  const heartbeats = c.queue.filter((m) => m.type === "heartbeat");
  assert.equal(heartbeats.length, 2, "the read started its own heartbeat round");
  c.deliver();
  assert.deepEqual(c.node(1).reads, [{ requestId: 7, index: commit }]);
});

test("ReadIndex: many reads share one round", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  for (let id = 1; id <= 5; id++) assert.ok(c.core(1).readIndex(id).accepted);
  c.flush(1);
  assert.equal(c.queue.filter((m) => m.type === "heartbeat").length, 2);
  c.deliver();
  assert.deepEqual(c.node(1).reads.map((r) => r.requestId), [1, 2, 3, 4, 5]);
});

test("ReadIndex on a follower is refused with the leader's id", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  const r = c.core(2).readIndex(1);
  assert.deepEqual(r, { accepted: false, reason: "notLeader", leaderId: 1 });
  const p = c.core(3).propose(new Uint8Array([1]));
  assert.equal(!p.accepted && p.leaderId, 1);
});

test("ReadIndex waits for the new leader's first commit of its term", () => {
  const c = new Cluster([1, 2, 3]);
  c.core(1).campaign();
  c.flush(1);
  c.filter = (m) => m.type !== "append";
  c.deliver();
  assert.equal(c.core(1).role, "leader");
  assert.ok(c.core(1).readIndex(1).accepted);
  c.deliver();
  assert.deepEqual(c.node(1).reads, [], "commit index not yet known to be current");
  c.filter = () => true;
  c.run(2);
  assert.deepEqual(c.node(1).reads, [{ requestId: 1, index: 1 }]);
});

test("a deposed leader never releases a read; it reports it failed", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  c.isolate(1);
  assert.ok(c.core(1).readIndex(42).accepted);
  c.run(30); // check-quorum deposes it; 2 or 3 takes over
  assert.deepEqual(c.node(1).reads, []);
  assert.deepEqual(c.node(1).failedReads, [42]);
  assert.equal(c.leaders().length, 1);
});

test("a single voter answers reads at once", () => {
  const c = new Cluster([1]);
  c.elect(1);
  assert.ok(c.core(1).readIndex(5).accepted);
  c.flush(1);
  assert.deepEqual(c.node(1).reads, [{ requestId: 5, index: 1 }]);
});

test("ReadIndex: one round in flight; reads meanwhile gather in the next, sent when the first is answered", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  c.delivered.length = 0;
  assert.ok(c.core(1).readIndex(1).accepted);
  c.flush(1);
  const firstRound = c.queue.filter((m) => m.type === "heartbeat");
  assert.equal(firstRound.length, 2, "the first read starts a round");
  // Two more batches of reads while that round is in flight: no new heartbeats yet.
  assert.ok(c.core(1).readIndex(2).accepted);
  c.flush(1);
  assert.ok(c.core(1).readIndex(3).accepted);
  c.flush(1);
  assert.equal(c.queue.filter((m) => m.type === "heartbeat").length, 2, "no second round while the first is in flight");
  c.deliver();
  const reads = c.node(1).reads.map((r) => r.requestId);
  assert.deepEqual(reads, [1, 2, 3], "the first round's answer sent the second, whose answer released reads 2 and 3");
  const contexts = c.delivered.filter((m) => m.type === "heartbeat").map((m) => (m as { context: number }).context);
  assert.deepEqual([...new Set(contexts)], [1, 2], "two rounds in all, the second sent after reads 2 and 3 arrived");
});

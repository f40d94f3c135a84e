import { test } from "node:test";
import assert from "node:assert/strict";
import { Cluster } from "./harness.ts";

test("a follower behind the compaction point gets the snapshot, then the log", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  c.isolate(3);
  c.propose(1, 10);
  const meta = c.core(1).compact(8);
  assert.equal(meta.index, 8);
  assert.equal(meta.term, c.core(1).term);
  assert.deepEqual(meta.config, c.core(1).config);
  assert.throws(() => c.core(1).compact(100), RangeError);
  assert.throws(() => c.core(1).snapshotMetaAt(3), /already compacted/);
  const appliedBefore = c.node(3).applied.length;
  c.heal();
  c.run(3);
  const snaps = c.delivered.filter((m) => m.type === "snapshot");
  assert.equal(snaps.length, 1);
  assert.equal(c.core(3).snapshotMeta.index, 8);
  assert.equal(c.node(3).disk.snapshot.index, 8, "the Ready handed the snapshot to the driver");
  assert.equal(c.core(3).lastIndex, c.core(1).lastIndex);
  assert.equal(c.core(3).appliedIndex, c.core(1).commitIndex);
  const appliedAfter = c.node(3).applied.slice(appliedBefore);
  assert.ok(appliedAfter.length > 0 && appliedAfter.every((e) => e.index > 8), "snapshot entries are not applied");
});

test("a failed snapshot stream is retried", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  c.isolate(3);
  c.propose(1, 4);
  c.core(1).compact(4);
  c.heal();
  let dropped = 0;
  c.filter = (m) => !(m.type === "snapshot" && dropped++ === 0);
  c.run(5);
  assert.equal(c.delivered.filter((m) => m.type === "snapshot").length, 1);
  assert.equal(dropped, 2);
  assert.equal(c.core(3).lastIndex, c.core(1).lastIndex);
});

test("restart from persisted state keeps term, vote, log and commit", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  c.propose(1, 3);
  const n2 = c.node(2);
  const before = { term: c.core(2).term, last: c.core(2).lastIndex, commit: c.core(2).commitIndex };
  c.add({ id: 2, hardState: n2.disk.hardState, terms: n2.disk.entries.map((e) => e.term) }, n2.disk.snapshot);
  assert.equal(c.core(2).term, before.term);
  assert.equal(c.core(2).lastIndex, before.last);
  assert.equal(c.core(2).commitIndex, before.commit);
  c.run(3);
  assert.equal(c.leaders().length, 1);
});

test("snapshotMetaAt gives the configuration in effect at that index, not the latest", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  c.propose(1, 2);
  const applied = c.core(1).appliedIndex;
  c.isolate(1);
  assert.ok(c.core(1).proposeConfChange({ type: "addLearner", id: 4, address: "n4" }).accepted);
  assert.equal(c.core(1).config.members.length, 4, "the latest configuration includes the learner");
  const meta = c.core(1).snapshotMetaAt(applied);
  assert.equal(meta.config.members.length, 3);
  assert.equal(meta.term, c.core(1).term);
  assert.throws(() => c.core(1).snapshotMetaAt(applied + 5), RangeError);
});

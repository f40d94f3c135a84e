import { test } from "node:test";
import assert from "node:assert/strict";
import { EntryKind } from "../../raft/log_entry.ts";
import { RaftNode } from "../../raft/core/mod.ts";
import { entriesWithTerms, members, seeded } from "./harness.ts";

function follower(): RaftNode {
  return new RaftNode({ id: 2, random: seeded(2) }, {
    hardState: { term: 1, vote: 0, commit: 0 },
    snapshot: { index: 0, term: 0, config: { members: members([1, 2, 3]) } },
    entries: [],
  });
}

test("steps between ready() and advance(): only the still-valid persisted prefix becomes stable", () => {
  const node = follower();
  node.step({ type: "append", from: 1, to: 2, term: 1, prevIndex: 0, prevTerm: 0, entries: entriesWithTerms([1, 1, 1]), commit: 1 });
  const rd1 = node.ready();
  assert.deepEqual(rd1.entries.map((e) => e.index), [1, 2, 3]);
  assert.equal(node.hasReady(), false, "nothing new until advance()");
  // While the driver writes rd1, a new leader of term 2 replaces entry 3.
  node.step({ type: "append", from: 3, to: 2, term: 2, prevIndex: 2, prevTerm: 1, entries: entriesWithTerms([2], 3), commit: 2 });
  node.advance(rd1);
  const rd2 = node.ready();
  assert.deepEqual(rd2.entries.map((e) => [e.index, e.term]), [[3, 2]], "only the replaced entry is written again");
  assert.deepEqual(rd2.committedEntries.map((e) => e.index), [2]);
  node.advance(rd2);
  assert.equal(node.hasReady(), false);
  assert.equal(node.appliedIndex, 2);
});

test("committed entries are handed out in bounded batches", () => {
  const node = new RaftNode({ id: 1, random: seeded(1), maxApplyEntries: 2 }, {
    hardState: { term: 1, vote: 1, commit: 5 },
    snapshot: { index: 0, term: 0, config: { members: members([1]) } },
    entries: entriesWithTerms([1, 1, 1, 1, 1]),
  });
  const batches: number[][] = [];
  while (node.hasReady()) {
    const rd = node.ready();
    batches.push(rd.committedEntries.map((e) => e.index));
    node.advance(rd);
  }
  assert.deepEqual(batches, [[1, 2], [3, 4], [5]]);
});

test("a restarted single voter re-applies its committed log and keeps its vote", () => {
  const node = new RaftNode({ id: 1, random: seeded(1) }, {
    hardState: { term: 3, vote: 1, commit: 2 },
    snapshot: { index: 0, term: 0, config: { members: members([1]) } },
    entries: entriesWithTerms([1, 2, 3]),
  });
  assert.equal(node.term, 3);
  assert.equal(node.commitIndex, 2);
  node.campaign();
  while (node.hasReady()) {
    const rd = node.ready();
    node.advance(rd);
  }
  assert.equal(node.role, "leader");
  assert.equal(node.term, 4);
  assert.equal(node.commitIndex, 4, "the no-op of term 4 commits everything before it");
  assert.equal(node.entries(4, 5)[0].kind, EntryKind.Noop);
});

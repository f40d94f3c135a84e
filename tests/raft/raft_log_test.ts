import { test } from "node:test";
import assert from "node:assert/strict";
import { EntryKind } from "../../raft/log_entry.ts";
import { RaftInvariantError, RaftLog } from "../../raft/core/raft_log.ts";
import { encodeConfig } from "../../raft/core/membership.ts";
import { entriesWithTerms, members } from "./harness.ts";

const empty = { index: 0, term: 0, config: { members: members([1]) } };

test("append truncates a conflicting suffix and lowers the stable index", () => {
  const log = new RaftLog(empty, entriesWithTerms([1, 1, 2, 2]), 0, 0);
  assert.equal(log.stable, 4);
  log.append(entriesWithTerms([3, 3], 3));
  assert.deepEqual(log.entries.map((e) => e.term), [1, 1, 3, 3]);
  assert.equal(log.stable, 2);
  assert.equal(log.unstableEntries().length, 2);
});

test("append never overwrites committed entries", () => {
  const log = new RaftLog(empty, entriesWithTerms([1, 1, 2]), 2, 0);
  assert.throws(() => log.append(entriesWithTerms([3], 2)), RaftInvariantError);
});

test("maybeAppend checks (prevIndex, prevTerm) and ignores entries it already has", () => {
  const log = new RaftLog(empty, entriesWithTerms([1, 1, 2]), 0, 0);
  assert.equal(log.maybeAppend(3, 1, []), undefined);
  assert.equal(log.maybeAppend(1, 1, entriesWithTerms([1], 2)), 2);
  assert.deepEqual(log.entries.map((e) => e.term), [1, 1, 2], "a stale shorter append must not truncate");
  assert.equal(log.maybeAppend(2, 1, entriesWithTerms([3, 3], 3)), 4);
  assert.deepEqual(log.entries.map((e) => e.term), [1, 1, 3, 3]);
});

test("findConflictByTerm skips a whole term", () => {
  const log = new RaftLog(empty, entriesWithTerms([1, 1, 1, 4, 4, 5, 5, 6, 6, 6]), 0, 0);
  assert.deepEqual(log.findConflictByTerm(10, 3), { index: 3, term: 1 });
  assert.deepEqual(log.findConflictByTerm(10, 6), { index: 10, term: 6 });
  assert.deepEqual(log.findConflictByTerm(7, 4), { index: 5, term: 4 });
  assert.deepEqual(log.findConflictByTerm(2, 0), { index: 0, term: 0 });
});

test("compaction keeps terms at the snapshot and the configuration in effect", () => {
  const cfg = { members: members([1, 2]) };
  const entries = entriesWithTerms([1, 1, 1, 2]);
  entries[1] = { ...entries[1], kind: EntryKind.Config, data: encodeConfig(cfg) };
  const log = new RaftLog(empty, entries, 4, 4);
  assert.deepEqual(log.configAt(1), empty.config);
  assert.deepEqual(log.configAt(4), cfg);
  log.compact({ index: 3, term: 1, config: log.configAt(3) });
  assert.equal(log.firstIndex(), 4);
  assert.equal(log.term(3), 1);
  assert.equal(log.term(2), undefined);
  assert.deepEqual(log.configAt(4), cfg);
  assert.equal(log.lastConfigIndex(), 0);
});

test("a snapshot from the leader replaces the log", () => {
  const log = new RaftLog(empty, entriesWithTerms([1, 1, 2]), 1, 1);
  const snap = { index: 10, term: 5, config: { members: members([1, 2, 3]) } };
  log.restore(snap);
  assert.equal(log.lastIndex(), 10);
  assert.equal(log.lastTerm(), 5);
  assert.equal(log.committed, 10);
  assert.equal(log.pendingSnapshot, snap);
});

/**
 * Raft paper Figure 8: a leader must not count replicas of an entry from an
 * earlier term to commit it (§5.4.2). S1 leads term 4 with log [1, 2, 4];
 * S5 holds [1, 3]. Index 2 (term 2) reaching a majority commits nothing;
 * only the term-4 entry reaching a majority commits (and then S5 can never
 * be elected).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Message } from "../../raft/core/mod.ts";
import { Cluster } from "./harness.ts";

function figure8(rewrite: (m: Message) => Message = (m) => m): Cluster {
  const options = { preVote: false, checkQuorum: false, maxEntriesPerAppend: 1 };
  const c = new Cluster([1, 2, 3, 4, 5], [
    { id: 1, terms: [1, 2], hardState: { term: 3, commit: 1 } },
    { id: 2, terms: [1, 2], hardState: { term: 3, commit: 1 } },
    { id: 3, terms: [1], hardState: { term: 3, commit: 1 } },
    { id: 4, terms: [1], hardState: { term: 3, commit: 1 } },
    { id: 5, terms: [1, 3], hardState: { term: 3, commit: 1 } },
  ], [], options);
  c.isolate(5);
  c.rewrite = rewrite;
  c.elect(1);
  assert.equal(c.core(1).role, "leader");
  assert.equal(c.core(1).term, 4);
  return c;
}

/** Appends lose their term-4 entries in flight: only older entries get through. */
const withoutTerm4 = (m: Message): Message =>
  m.type === "append" ? { ...m, entries: m.entries.filter((e) => e.term !== 4) } : m;

test("Figure 8 (c)-(d): an old-term entry on a majority is not committed, and may be overwritten", () => {
  // The entry of term 4 never leaves S1; index 2 (term 2) reaches S2, S3, S4.
  const c = figure8(withoutTerm4);
  c.run(3);
  for (const id of [2, 3, 4]) assert.deepEqual(c.terms(id), [1, 2], `server ${id}`);
  const acks = c.delivered.filter((m) => m.type === "appendResponse" && !m.reject && m.index === 2);
  assert.ok(new Set(acks.map((m) => m.from)).size >= 3, "the leader heard that a majority holds index 2");
  assert.equal(c.core(1).commitIndex, 1, "replicas of a term-2 entry must not be counted");
  // S1 crashes; S5 (last term 3) wins the votes of S2, S3, S4 and overwrites index 2.
  c.isolate(1);
  c.cut.clear();
  c.isolate(1);
  c.rewrite = (m) => m;
  c.elect(5); // term 4: the others already voted for S1
  c.elect(5); // term 5
  assert.equal(c.core(5).role, "leader");
  assert.equal(c.core(5).term, 5);
  for (const id of [2, 3, 4, 5]) assert.deepEqual(c.terms(id), [1, 3, c.core(5).term], `server ${id}`);
  assert.equal(c.core(5).commitIndex, 3);
});

test("Figure 8 (e): once an entry of the leader's term is on a majority, both commit", () => {
  const c = figure8();
  c.run(3);
  assert.equal(c.core(1).commitIndex, 3);
  for (const id of [2, 3]) assert.deepEqual(c.terms(id), [1, 2, 4]);
  // Now S5 cannot be elected: S2..S4 have a newer last term.
  c.isolate(1);
  c.cut.clear();
  c.isolate(1);
  for (let i = 0; i < 3; i++) c.elect(5);
  assert.notEqual(c.core(5).role, "leader");
});

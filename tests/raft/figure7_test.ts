/**
 * Raft paper Figure 7: a leader of term 8 meets followers whose logs are
 * missing entries (a, b), have extra uncommitted entries (c, d), or both
 * (e, f). Replication must make every follower's log equal the leader's,
 * and fast backtracking must skip conflicting terms rather than indexes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Cluster } from "./harness.ts";

const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
const followers: Record<string, number[]> = {
  a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
  b: [1, 1, 1, 4],
  c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
  d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
  e: [1, 1, 1, 4, 4, 4, 4],
  f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
};

for (const [name, log] of Object.entries(followers)) {
  test(`Figure 7 (${name}): the follower's log converges to the leader's`, () => {
    // Voters 1 (leader-to-be) and 2 (follower) plus 3, which votes for 1.
    const c = new Cluster([1, 2, 3], [
      { id: 1, terms: leaderLog, hardState: { term: 7, commit: 3 } },
      { id: 2, terms: log, hardState: { term: 7, commit: 3 } },
      { id: 3, terms: leaderLog, hardState: { term: 7, commit: 3 } },
    ], [], { preVote: false });
    c.isolate(2);
    c.elect(1);
    assert.equal(c.core(1).role, "leader");
    assert.equal(c.core(1).term, 8);
    c.heal();
    c.delivered.length = 0;
    c.run(3);
    assert.deepEqual(c.terms(2), [...leaderLog, 8], `follower ${name}`);
    assert.equal(c.core(2).commitIndex, 11);
    const rejections = c.delivered.filter((m) => m.type === "appendResponse" && m.reject).length;
    // One rejection per conflicting term at most (fast backtracking), not one per entry.
    assert.ok(rejections <= 3, `${rejections} rejections for follower ${name}`);
  });
}

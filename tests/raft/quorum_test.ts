import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { committedIndex, hasQuorum, majority, voteOutcome } from "../../raft/core/quorum.ts";

const voterSet = fc.uniqueArray(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 9 });

/** Naive: the largest i such that a majority has match ≥ i. */
function naiveCommitted(matches: number[]): number {
  let best = 0;
  for (let i = 0; i <= Math.max(...matches); i++) {
    if (matches.filter((m) => m >= i).length * 2 > matches.length) best = i;
  }
  return best;
}

test("committedIndex agrees with the naive definition", () => {
  fc.assert(fc.property(voterSet, fc.array(fc.nat(50), { minLength: 9, maxLength: 9 }), (voters, raw) => {
    const match = new Map(voters.map((id, k) => [id, raw[k]]));
    assert.equal(committedIndex(voters, (id) => match.get(id)!), naiveCommitted(voters.map((id) => match.get(id)!)));
  }));
});

test("committedIndex of no voters is 0", () => {
  assert.equal(committedIndex([], () => 5), 0);
});

test("voteOutcome agrees with counting", () => {
  const answer = fc.constantFrom<boolean | undefined>(true, false, undefined);
  fc.assert(fc.property(voterSet, fc.array(answer, { minLength: 9, maxLength: 9 }), (voters, raw) => {
    const votes = new Map<number, boolean>();
    voters.forEach((id, k) => {
      if (raw[k] !== undefined) votes.set(id, raw[k]!);
    });
    votes.set(99, true); // a non-voter's vote never counts
    const yes = voters.filter((id) => votes.get(id) === true).length;
    const no = voters.filter((id) => votes.get(id) === false).length;
    const need = Math.floor(voters.length / 2) + 1;
    const want = yes >= need ? "won" : voters.length - no < need ? "lost" : "pending";
    assert.equal(voteOutcome(voters, votes), want);
  }));
});

test("hasQuorum is a strict majority", () => {
  fc.assert(fc.property(voterSet, fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }), (voters, raw) => {
    const has = new Map(voters.map((id, k) => [id, raw[k]]));
    const n = voters.filter((id) => has.get(id)).length;
    assert.equal(hasQuorum(voters, (id) => has.get(id)!), n * 2 > voters.length);
  }));
  assert.equal(majority(1), 1);
  assert.equal(majority(4), 3);
  assert.equal(majority(5), 3);
});

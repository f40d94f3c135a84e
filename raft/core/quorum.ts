/**
 * Quorum arithmetic over a set of voters (Raft §5.2, §5.3). Pure functions,
 * property-tested against naive versions in tests/raft/quorum_test.ts.
 */

/** Smallest number of voters that forms a majority of `n`. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * The largest index that a majority of `voters` have matched: the commit
 * index candidate. 0 when there are no voters.
 */
export function committedIndex(
  voters: readonly number[],
  matchOf: (id: number) => number,
): number {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[majority(voters.length) - 1];
}

/** Outcome of an election given the answers received so far. */
export type VoteOutcome = "won" | "lost" | "pending";

/** Tallies `votes` (id → granted) of `voters`; answers from non-voters are ignored. */
export function voteOutcome(
  voters: readonly number[],
  votes: ReadonlyMap<number, boolean>,
): VoteOutcome {
  if (voters.length === 0) return "lost";
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const need = majority(voters.length);
  if (granted >= need) return "won";
  if (voters.length - rejected < need) return "lost";
  return "pending";
}

/** True when the voters for which `has` holds form a majority. */
export function hasQuorum(voters: readonly number[], has: (id: number) => boolean): boolean {
  if (voters.length === 0) return false;
  let n = 0;
  for (const id of voters) if (has(id)) n++;
  return n >= majority(voters.length);
}

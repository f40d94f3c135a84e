/**
 * A joining node's guess at its leader. A node started with `-j` asks a
 * member to add it — the join address, or the leader a redirect named.
 * Until it hears from a leader itself, clients that need the leader are
 * redirected there, rather than told no leader is known while the leader's
 * configuration already lists this node. The hint never reaches the core,
 * so it cannot sway a vote or a term; it lapses once a leader is known, or
 * when the term moves (an election is under way).
 */
export class LeaderHint {
  #hint: { readonly address: string; readonly term: number } | undefined;

  /** Hints `address`, made in `term`; none when `address` is undefined or a leader is known already. */
  set(address: string | undefined, term: number, leaderKnown: boolean): void {
    this.#hint = address === undefined || leaderKnown ? undefined : { address, term };
  }

  /** A leader is known: the hint is spent. */
  clear(): void {
    this.#hint = undefined;
  }

  /** The hinted address while the term is still `term`, the one it was made in. */
  addressIn(term: number): string | undefined {
    return this.#hint !== undefined && this.#hint.term === term ? this.#hint.address : undefined;
  }
}

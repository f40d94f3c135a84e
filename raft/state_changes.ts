/**
 * Tells the driver's onStateChange when the node's role, term or known
 * leader changes — once per change, however often the driver looks.
 */
import type { RoleKind } from "./core/types.ts";

/** What onStateChange is told. */
export interface NodeState {
  readonly role: RoleKind;
  readonly term: number;
  /** The leader of `term`, 0 if unknown. */
  readonly leaderId: number;
}

export class StateChanges {
  readonly #onChange: ((state: NodeState) => void) | undefined;
  #last: NodeState = { role: "follower", term: -1, leaderId: -1 };

  constructor(onChange: ((state: NodeState) => void) | undefined) {
    this.#onChange = onChange;
  }

  /** Reports `now` (read from the core) if it differs from the state last reported. */
  notice(now: NodeState): void {
    const last = this.#last;
    if (now.role === last.role && now.term === last.term && now.leaderId === last.leaderId) return;
    this.#last = { role: now.role, term: now.term, leaderId: now.leaderId };
    this.#onChange?.(this.#last);
  }
}

/**
 * The cluster configuration as plain data, shared by the consensus core
 * (raft/core) and storage (raft/storage: the stable state and every
 * snapshot header keep one), so that neither imports the other — as
 * log_entry.ts is for log entries. Node ids are integers ≥ 1; 0 means
 * "none" wherever an id is optional.
 */

/** One server of the cluster. `address` ("host:port") is opaque to the core. */
export interface Member {
  readonly id: number;
  readonly address: string;
  /** True for a voter; false for a learner (receives the log, never counts). */
  readonly voter: boolean;
}

/** A cluster configuration: the full member list (not a delta). */
export interface MembershipConfig {
  readonly members: readonly Member[];
}

/** True for a node id: an integer ≥ 1. */
export function isNodeId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

/**
 * What is wrong with `value` as a MembershipConfig (one read from disk, say),
 * or null when it is one: members with distinct ids ≥ 1, string addresses
 * and boolean voter flags.
 */
export function membershipConfigProblem(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return "a configuration must be an object";
  const members = (value as { members?: unknown }).members;
  if (!Array.isArray(members)) return "a configuration needs a members array";
  const seen = new Set<number>();
  for (const [i, member] of members.entries()) {
    if (typeof member !== "object" || member === null) return `member ${i} must be an object`;
    const { id, address, voter } = member as Record<string, unknown>;
    if (!isNodeId(id)) return `member ${i}: id must be an integer ≥ 1, got ${JSON.stringify(id)}`;
    if (seen.has(id)) return `member ${i}: id ${id} is listed twice`;
    seen.add(id);
    if (typeof address !== "string") return `member ${i} (id ${id}): address must be a string`;
    if (typeof voter !== "boolean") return `member ${i} (id ${id}): voter must be true or false`;
  }
  return null;
}

/** A detached copy holding only the configuration's own fields (what storage keeps). */
export function copyMembershipConfig(config: MembershipConfig): MembershipConfig {
  return { members: config.members.map(({ id, address, voter }) => ({ id, address, voter })) };
}

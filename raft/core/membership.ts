/**
 * Pure membership logic: one-server changes (dissertation §4.1) and the
 * encoding of a configuration inside a Config log entry.
 */
import type { ConfChange, Member, MembershipConfig } from "./types.ts";

/** The empty configuration (a node waiting to be added to a cluster). */
export const emptyConfig: MembershipConfig = { members: [] };

/** Ids of the voters, ascending. */
export function voterIds(config: MembershipConfig): number[] {
  return config.members.filter((m) => m.voter).map((m) => m.id).sort((a, b) => a - b);
}

/** Ids of the learners, ascending. */
export function learnerIds(config: MembershipConfig): number[] {
  return config.members.filter((m) => !m.voter).map((m) => m.id).sort((a, b) => a - b);
}

/** The member with `id`, if any. */
export function findMember(config: MembershipConfig, id: number): Member | undefined {
  return config.members.find((m) => m.id === id);
}

/** True when `id` is a voter of `config`. */
export function isVoter(config: MembershipConfig, id: number): boolean {
  return findMember(config, id)?.voter === true;
}

/**
 * Applies one change, returning the new configuration or an error message
 * saying why the change is not allowed.
 */
export function applyConfChange(
  config: MembershipConfig,
  change: ConfChange,
): MembershipConfig | string {
  if (!Number.isSafeInteger(change.id) || change.id < 1) {
    return `invalid server id ${change.id}: must be an integer ≥ 1`;
  }
  const existing = findMember(config, change.id);
  const others = config.members.filter((m) => m.id !== change.id);
  const withMember = (m: Member) => ({
    members: [...others, m].sort((a, b) => a.id - b.id),
  });
  switch (change.type) {
    case "addVoter":
      if (existing?.voter) return `server ${change.id} is already a voter`;
      return withMember({ id: change.id, address: change.address, voter: true });
    case "addLearner":
      if (existing) return `server ${change.id} is already a member`;
      return withMember({ id: change.id, address: change.address, voter: false });
    case "promote":
      if (!existing) return `server ${change.id} is not a member`;
      if (existing.voter) return `server ${change.id} is already a voter`;
      return withMember({ ...existing, voter: true });
    case "demote":
      if (!existing) return `server ${change.id} is not a member`;
      if (!existing.voter) return `server ${change.id} is not a voter`;
      if (voterIds(config).length === 1) return `cannot demote the last voter ${change.id}`;
      return withMember({ ...existing, voter: false });
    case "remove":
      if (!existing) return `server ${change.id} is not a member`;
      if (existing.voter && voterIds(config).length === 1) {
        return `cannot remove the last voter ${change.id}`;
      }
      return { members: others };
    default: {
      const never: never = change;
      return `unknown change ${JSON.stringify(never)}`;
    }
  }
}

/** Encodes a configuration as Config entry data (UTF-8 JSON). */
export function encodeConfig(config: MembershipConfig): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(config.members));
}

/** Decodes Config entry data; throws TypeError on malformed data. */
export function decodeConfig(data: Uint8Array): MembershipConfig {
  const parsed: unknown = JSON.parse(new TextDecoder().decode(data));
  if (!Array.isArray(parsed)) throw new TypeError("Config entry: expected a member array");
  const members: Member[] = parsed.map((m: unknown) => {
    const o = m as Record<string, unknown>;
    if (
      typeof o !== "object" || o === null || typeof o.id !== "number" ||
      typeof o.address !== "string" || typeof o.voter !== "boolean"
    ) {
      throw new TypeError(`Config entry: malformed member ${JSON.stringify(m)}`);
    }
    return { id: o.id, address: o.address, voter: o.voter };
  });
  return { members };
}

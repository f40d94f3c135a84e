/**
 * The pure Raft consensus core: no sockets, files, clocks or ambient
 * randomness. See RaftNode for the driver loop.
 * @module
 */
export { RaftNode, type PersistedState } from "./raft_node.ts";
export { defaultOptions, type RaftOptions, resolveOptions, validateOptions } from "./options.ts";
export {
  applyConfChange,
  decodeConfig,
  emptyConfig,
  encodeConfig,
  findMember,
  isVoter,
  learnerIds,
  voterIds,
} from "./membership.ts";
export { committedIndex, hasQuorum, majority, voteOutcome } from "./quorum.ts";
export { RaftInvariantError } from "./raft_log.ts";
export type * from "./types.ts";

/**
 * The unit of the replicated log, shared by the consensus core (raft/core)
 * and the durable log (raft/storage). Indexes and terms start at 1; index 0
 * and term 0 mean "nothing".
 */
export interface LogEntry {
  readonly index: number;
  readonly term: number;
  readonly kind: EntryKind;
  /** Opaque to Raft: a batch of commands, a configuration, or empty. */
  readonly data: Uint8Array;
}

/** What an entry carries; stored as one byte on disk. */
export const EntryKind = {
  /** Application commands (the machine decodes them). */
  Command: 0,
  /** Appended by a new leader at the start of its term (Raft §8). */
  Noop: 1,
  /** A cluster membership configuration (takes effect when appended). */
  Config: 2,
} as const;
export type EntryKind = typeof EntryKind[keyof typeof EntryKind];

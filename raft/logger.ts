/**
 * Where the Raft layer writes its log lines: one interface for the driver
 * and the peer transport, by level, most verbose first. The node's logger
 * (cluster/logger.ts) fits it as is; tests pass a quiet or recording one.
 * (Storage reports through its own `StorageLogger`, which has an error
 * level of its own.)
 */
export interface Logger {
  /** Per-message detail: dropped messages, connections closing. */
  debug(message: string): void;
  /** Routine events worth seeing when asked: role changes, peers connecting. */
  verb(message: string): void;
  /** What an operator wants to see: snapshots taken, storage recovered. */
  info(message: string): void;
  /** Something failed or was refused. */
  warn(message: string): void;
}

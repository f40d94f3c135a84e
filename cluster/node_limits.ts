/**
 * The limits that keep a node alive under load or abuse: how many clients,
 * how long an unauthenticated connection may idle, how many reply bytes one
 * client may leave unread, how many writes may wait for the log. Each has a
 * flag (cli/limit_flags.ts) and a default here; 0 turns a limit off.
 *
 * They apply to RESP clients only: Raft peers are never counted or cut by
 * them (a cluster must not lose its own links to a crowd of clients), nor are
 * an app's custom services, which answer their own protocol. Peers have
 * their own bounds (handshake timeout, frame sizes, per-peer queues: see
 * raft/transport/README.md).
 */

export interface NodeLimits {
  /** Most RESP clients at once; beyond it a new client gets `-ERR max number of clients reached` and is closed. */
  readonly maxClients: number;
  /**
   * With `--auth`: a connection that has not authenticated (or, still
   * unclassified, has not sent a byte) within this many ms is closed.
   */
  readonly authTimeoutMs: number;
  /**
   * A client with more than this many reply bytes unsent when its next reply
   * is ready is disconnected: it does not read them. (One reply larger than
   * this still goes to a client that reads.)
   */
  readonly maxReplyBufferBytes: number;
  /** Most client writes waiting for the log at once; beyond it a write gets `-BUSY …` at once. */
  readonly maxQueuedWrites: number;
}

/** Redis's `maxclients` default. */
export const DEFAULT_MAX_CLIENTS = 10_000;
export const DEFAULT_AUTH_TIMEOUT_MS = 10_000;
/** As Redis's output buffer hard limit for Pub/Sub clients. */
export const DEFAULT_MAX_REPLY_BUFFER_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_QUEUED_WRITES = 100_000;

export const DEFAULT_NODE_LIMITS: NodeLimits = {
  maxClients: DEFAULT_MAX_CLIENTS,
  authTimeoutMs: DEFAULT_AUTH_TIMEOUT_MS,
  maxReplyBufferBytes: DEFAULT_MAX_REPLY_BUFFER_BYTES,
  maxQueuedWrites: DEFAULT_MAX_QUEUED_WRITES,
};

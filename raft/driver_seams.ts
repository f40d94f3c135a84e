/**
 * What the Raft driver calls out to besides storage: the replicated
 * machine, which committed entries go to (`Applier`), and the peer
 * transport (`DriverTransport`; raft/transport's PeerTransport is one).
 */
import type { Message, SnapshotMessage } from "./core/types.ts";

/** Where committed entries go: the replicated machine. */
export interface Applier {
  /**
   * Applies a committed Command entry's data; the result goes to the
   * proposer. A command's own failure belongs in the result (it is the same
   * on every replica); a throw here is a bug in the machine and stops the
   * node (see NodeStoppedError).
   */
  apply(data: Uint8Array, index: number): unknown;
  /** The machine's whole state (as of the last applied entry), whole or in chunks. */
  snapshot(): Uint8Array | readonly Uint8Array[];
  /** Replaces the machine's state with a snapshot's. */
  restore(bytes: Uint8Array): void;
  /**
   * restore() from the snapshot's bytes as they are read, for a machine
   * that need not hold them whole; its state changes only at the end.
   */
  restoreChunks?(chunks: AsyncIterable<Uint8Array>): Promise<void>;
  /** Machine time in ms and its random state, stored in snapshot headers for display. */
  snapshotHeader(): { time: number; seed: string };
}

/** How the driver reaches peers. */
export interface DriverTransport {
  /** The address of every other member of the configuration (replaces the previous book). */
  setPeers(peers: ReadonlyMap<number, string>): void;
  /** Sends messages, best effort: never blocks, never throws (Raft retries what is lost). */
  send(messages: readonly Message[]): void;
  /** Streams a snapshot to `message.to`; resolves whether the follower installed it. */
  sendSnapshot(message: SnapshotMessage, chunks: AsyncIterable<Uint8Array>): Promise<boolean>;
  /** Peer `id`'s address, also one learned from its handshake before any configuration names it. */
  addressOf?(id: number): string | undefined;
}

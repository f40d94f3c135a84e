/**
 * The Raft peer transport: carries the core's messages between nodes over
 * TCP (or TLS), on the same port as clients.
 *
 * Connections are one per direction: each node dials every peer it sends to
 * and writes only on connections it dialed; connections it accepts only
 * receive (apart from the handshake). So a message never waits for another
 * direction's traffic, and a dead peer only ever stalls its own link.
 * Snapshots travel on a dedicated connection per transfer, so a multi-MB
 * stream never delays heartbeats, and its end carries the receiver's verdict.
 *
 * Peers' addresses come from `setPeers` (the membership) and, as a fallback,
 * from the handshakes of peers that dialed us: a node that joins learns the
 * leader's address before its configuration names it.
 */
import type * as net from "node:net";
import { dial } from "./dial.ts";
import { FrameSocket } from "./frame_socket.ts";
import { MAX_HANDSHAKE_FRAME_BYTES, Purpose } from "./handshake.ts";
import { InboundConnection } from "./inbound.ts";
import { PeerLink, type PeerLinkStats } from "./peer_link.ts";
import { peerCertificateProblem } from "./peer_tls.ts";
import { streamSnapshot } from "./snapshot_send.ts";
import {
  type PeerTransportOptions,
  resolveTransportOptions,
  type ResolvedTransportOptions,
} from "./transport_options.ts";
import type { Message, SnapshotMessage } from "../core/types.ts";

/** What `PeerTransport.stats()` returns. */
export interface TransportStats {
  /** Outgoing links by peer id. */
  readonly peers: ReadonlyMap<number, PeerLinkStats>;
  /** Messages dropped because no address is known for their target. */
  readonly unroutable: number;
  /** Accepted connections currently open (authenticated or still in the handshake). */
  readonly incoming: number;
  /** Messages received, by sender id. */
  readonly received: ReadonlyMap<number, number>;
  /** Snapshot transfers this node is sending now. */
  readonly snapshotsSending: number;
}

/** Raft messages and snapshots to and from the other nodes. */
export class PeerTransport {
  readonly #o: ResolvedTransportOptions;
  #book: ReadonlyMap<number, string> = new Map();
  readonly #learned = new Map<number, string>();
  readonly #links = new Map<number, PeerLink>();
  readonly #inbound = new Set<InboundConnection>();
  /** The newest authenticated message connection from each peer. */
  readonly #inboundByPeer = new Map<number, InboundConnection>();
  readonly #received = new Map<number, number>();
  readonly #snapshotAborts = new Set<AbortController>();
  readonly #snapshotSends = new Set<Promise<boolean>>();
  #unroutable = 0;
  #closed = false;

  /** @throws RangeError when an option is invalid */
  constructor(options: PeerTransportOptions) {
    this.#o = resolveTransportOptions(options);
  }

  /**
   * Replaces the address book (id → "host:port"), e.g. on a membership
   * change. Links to peers no longer listed are closed; links whose address
   * changed reconnect to the new one. This node's own id is ignored.
   */
  setPeers(peers: ReadonlyMap<number, string>): void {
    if (this.#closed) return;
    this.#book = new Map([...peers].filter(([id]) => id !== this.#o.selfId));
    for (const [id, link] of this.#links) {
      const address = this.#book.get(id);
      if (address === undefined) {
        link.close();
        this.#links.delete(id);
      } else {
        link.setAddress(address);
      }
    }
  }

  /** Peer `id`'s address: from `setPeers`, else from its handshake when it dialed this node. */
  addressOf(id: number): string | undefined {
    return this.#addressOf(id);
  }

  #addressOf(id: number): string | undefined {
    return this.#book.get(id) ?? this.#learned.get(id);
  }

  #link(id: number): PeerLink | undefined {
    let link = this.#links.get(id);
    if (link) return link;
    const address = this.#addressOf(id);
    if (address === undefined) return undefined;
    link = new PeerLink(id, address, this.#o);
    this.#links.set(id, link);
    return link;
  }

  /**
   * Connects to every peer in the address book now, before there is
   * anything to send, so that a peer that refuses this node says so at once.
   */
  connectAll(): void {
    if (this.#closed) return;
    for (const id of this.#book.keys()) this.#link(id)?.connect();
  }

  /**
   * Queues messages for their targets (`message.to`) and returns at once;
   * each peer's queue goes out in one write as soon as its connection can
   * take it. Never blocks, never throws: messages for an unknown peer, or
   * beyond a peer's queue bound, are dropped and counted.
   */
  send(messages: readonly Message[]): void {
    if (this.#closed) return;
    for (const message of messages) {
      if (message.to === this.#o.selfId) continue;
      const link = this.#link(message.to);
      if (link) link.enqueue(message);
      else {
        this.#unroutable++;
        this.#o.log.debug(`dropped ${message.type} to node ${message.to}: no address known`);
      }
    }
  }

  /**
   * Streams a snapshot to `message.to` on a dedicated connection, in chunks,
   * and waits for the receiver to install it.
   * @returns true once the receiver installed it; false on any failure (never rejects)
   */
  sendSnapshot(message: SnapshotMessage, chunks: AsyncIterable<Uint8Array>): Promise<boolean> {
    const sending = this.#sendSnapshot(message, chunks);
    this.#snapshotSends.add(sending);
    sending.finally(() => this.#snapshotSends.delete(sending));
    return sending;
  }

  async #sendSnapshot(message: SnapshotMessage, chunks: AsyncIterable<Uint8Array>): Promise<boolean> {
    const log = this.#o.log;
    const what = `snapshot ${message.snapshot.term}/${message.snapshot.index} to node ${message.to}`;
    const address = this.#addressOf(message.to);
    if (this.#closed || address === undefined) {
      log.warn(`cannot send ${what}: ${this.#closed ? "transport closed" : "no address known"}`);
      return false;
    }
    const abort = new AbortController();
    this.#snapshotAborts.add(abort);
    try {
      const dialed = await dial({
        address,
        tls: this.#o.tls,
        selfId: this.#o.selfId,
        selfAddress: this.#o.selfAddress,
        targetId: message.to,
        purpose: Purpose.Snapshot,
        secret: this.#o.secret,
        timeoutMs: this.#o.handshakeTimeoutMs,
        maxFrameBytes: this.#o.maxFrameBytes,
        signal: abort.signal,
      });
      if (!dialed.ok) {
        log.warn(`cannot send ${what} at ${address}: ${dialed.error}`);
        return false;
      }
      if (abort.signal.aborted) {
        dialed.conn.destroy("transport closed");
        return false;
      }
      abort.signal.addEventListener("abort", () => dialed.conn.destroy("transport closed"));
      log.verb(`sending ${what}`);
      const result = await streamSnapshot(dialed.conn, message, chunks, {
        chunkBytes: this.#o.snapshotChunkBytes,
        resultTimeoutMs: this.#o.snapshotResultTimeoutMs,
      });
      if (result.ok) log.verb(`sent ${what} (${result.bytes} bytes)`);
      else log.warn(`sending ${what} failed: ${result.error}`);
      return result.ok;
    } catch (error) {
      log.warn(`sending ${what} failed: ${error}`);
      return false;
    } finally {
      this.#snapshotAborts.delete(abort);
    }
  }

  /**
   * Takes over an accepted socket that the listener classified as a peer
   * (`isPeerPrefix`). Remove your own 'data' listeners first; `alreadyRead`
   * are the bytes you read while sniffing. The handshake (and a refusal,
   * with its reason logged) happens here.
   */
  acceptIncoming(socket: net.Socket, alreadyRead: Uint8Array): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const untrusted = this.#o.tls && peerCertificateProblem(socket);
    if (untrusted) {
      const refused = new FrameSocket(socket, { maxFrameBytes: MAX_HANDSHAKE_FRAME_BYTES, alreadyRead, expectPreamble: true });
      this.#o.log.warn(`refused peer connection from ${refused.remote}: ${untrusted}`);
      refused.refuse(untrusted);
      return;
    }
    const conn = new InboundConnection(socket, alreadyRead, {
      selfId: this.#o.selfId,
      secret: this.#o.secret,
      guard: this.#o.guard,
      maxFrameBytes: this.#o.maxFrameBytes,
      handshakeTimeoutMs: this.#o.handshakeTimeoutMs,
      snapshotHighWaterBytes: this.#o.snapshotHighWaterBytes,
      log: this.#o.log,
      onMessage: (message) => {
        this.#received.set(message.from, (this.#received.get(message.from) ?? 0) + 1);
        this.#o.onMessage(message);
      },
      onSnapshot: this.#o.onSnapshot,
      admit: this.#o.admit,
      onAuthenticated: (c) => this.#authenticated(c),
      onClosed: (c) => {
        this.#inbound.delete(c);
        if (this.#inboundByPeer.get(c.peerId) === c) this.#inboundByPeer.delete(c.peerId);
      },
    });
    this.#inbound.add(conn);
  }

  #authenticated(conn: InboundConnection): void {
    const id = conn.peerId;
    if (conn.peerAddress !== "" && this.#learned.get(id) !== conn.peerAddress) {
      this.#learned.set(id, conn.peerAddress);
      const link = this.#links.get(id);
      if (link && !this.#book.has(id)) link.setAddress(conn.peerAddress);
    }
    if (conn.purpose !== Purpose.Messages) return;
    const older = this.#inboundByPeer.get(id);
    this.#inboundByPeer.set(id, conn);
    // A peer dials again when it restarted or lost its connection: the old one is dead.
    older?.close(`node ${id} connected again`);
  }

  /** Closes the connections peer `id` opened to this node (it will have to dial, and pass `admit`, again). */
  dropIncoming(id: number, reason: string): void {
    for (const conn of this.#inbound) if (conn.peerId === id) conn.close(reason);
  }

  /** Per-peer counters and connection state. */
  stats(): TransportStats {
    const peers = new Map<number, PeerLinkStats>();
    for (const [id, link] of this.#links) peers.set(id, link.stats());
    return {
      peers,
      unroutable: this.#unroutable,
      incoming: this.#inbound.size,
      received: new Map(this.#received),
      snapshotsSending: this.#snapshotSends.size,
    };
  }

  /** Closes every connection and stops reconnecting; pending snapshot sends resolve false. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const abort of this.#snapshotAborts) abort.abort();
    const closing: Promise<unknown>[] = [...this.#links.values()].map((link) => link.close());
    this.#links.clear();
    for (const conn of this.#inbound) {
      closing.push(conn.whenClosed());
      conn.close("transport closed");
    }
    closing.push(...this.#snapshotSends);
    await Promise.all(closing);
  }
}

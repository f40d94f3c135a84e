/**
 * The outgoing side toward one peer: a bounded queue of messages and one
 * connection this node dialed. Everything queued is written in one batch;
 * while the connection is down, being dialed, or the peer is not reading,
 * messages wait (up to the bound, then they are dropped — Raft tolerates
 * loss). Failed dials are retried with exponential backoff and jitter.
 * Nothing here ever blocks or throws into the caller.
 */
import { dial } from "./dial.ts";
import type { FrameSocket } from "./frame_socket.ts";
import { decodeReason, Purpose } from "./handshake.ts";
import { FrameType } from "./frames.ts";
import { encodeMessageFrames } from "./message_batch.ts";
import type { Message } from "../core/types.ts";
import type { ResolvedTransportOptions } from "./transport_options.ts";

/** Counters of one peer link, as `PeerTransport.stats()` reports them. */
export interface PeerLinkStats {
  readonly address: string;
  /** A connection is open and authenticated. */
  readonly connected: boolean;
  /** Messages waiting to be written. */
  readonly queued: number;
  /** Messages written to the socket. */
  readonly sent: number;
  /** Socket writes (each carries every message queued at the time). */
  readonly batches: number;
  /** Messages dropped: queue full, connection lost, or not encodable. */
  readonly dropped: number;
  /** Dials started after a previous connection or dial ended. */
  readonly reconnects: number;
  /** The last reason a dial failed or a connection ended ("" if none). */
  readonly lastError: string;
}

type LinkState = "idle" | "dialing" | "open" | "backoff" | "closed";

/** Outgoing messages to one peer. */
export class PeerLink {
  readonly id: number;
  #address: string;
  readonly #o: ResolvedTransportOptions;
  #state: LinkState = "idle";
  #queue: Message[] = [];
  #conn: FrameSocket | undefined;
  #dialAbort: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stallTimer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  #everDialed = false;
  #flushScheduled = false;
  #waitingDrain = false;
  #sent = 0;
  #batches = 0;
  #dropped = 0;
  #reconnects = 0;
  #lastError = "";
  #loggedError = "";

  constructor(id: number, address: string, options: ResolvedTransportOptions) {
    this.id = id;
    this.#address = address;
    this.#o = options;
  }

  get address(): string {
    return this.#address;
  }

  stats(): PeerLinkStats {
    return {
      address: this.#address,
      connected: this.#state === "open",
      queued: this.#queue.length,
      sent: this.#sent,
      batches: this.#batches,
      dropped: this.#dropped,
      reconnects: this.#reconnects,
      lastError: this.#lastError,
    };
  }

  /** Queues a message (or drops it if the queue is full) and gets it moving. */
  enqueue(message: Message): void {
    if (this.#state === "closed") return;
    if (this.#queue.length >= this.#o.maxQueuedMessages) {
      this.#dropped++;
      return;
    }
    this.#queue.push(message);
    if (this.#state === "idle") this.#dial();
    else if (this.#state === "open") this.#scheduleFlush();
  }

  /** Dials now if the link is idle (nothing queued needs it yet). */
  connect(): void {
    if (this.#state === "idle") this.#dial();
  }

  /** Points the link at a new address; the current connection, if any, is dropped. */
  setAddress(address: string): void {
    if (address === this.#address || this.#state === "closed") return;
    this.#o.log.verb(`node ${this.id} moved from ${this.#address} to ${address}`);
    this.#address = address;
    this.#failures = 0;
    this.#disconnect(`address changed to ${address}`);
    this.#state = "idle";
    if (this.#queue.length > 0) this.#dial();
  }

  /** Stops for good: drops the queue and the connection. */
  close(): Promise<void> {
    const conn = this.#conn;
    this.#disconnect("transport closed");
    this.#state = "closed";
    this.#queue = [];
    return conn ? conn.whenClosed() : Promise.resolve();
  }

  #disconnect(reason: string): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#stallTimer);
    this.#dialAbort?.abort();
    this.#dialAbort = undefined;
    const conn = this.#conn;
    this.#conn = undefined;
    this.#waitingDrain = false;
    if (conn) {
      conn.onClose = () => {};
      conn.destroy(reason);
    }
  }

  #dial(): void {
    this.#state = "dialing";
    if (this.#everDialed) this.#reconnects++;
    this.#everDialed = true;
    const abort = new AbortController();
    this.#dialAbort = abort;
    const address = this.#address;
    dial({
      address,
      tls: this.#o.tls,
      selfId: this.#o.selfId,
      selfAddress: this.#o.selfAddress,
      targetId: this.id,
      purpose: Purpose.Messages,
      secret: this.#o.secret,
      timeoutMs: this.#o.handshakeTimeoutMs,
      maxFrameBytes: this.#o.maxFrameBytes,
      signal: abort.signal,
    }).then((result) => {
      if (abort.signal.aborted) {
        if (result.ok) result.conn.destroy("dial aborted");
        return;
      }
      this.#dialAbort = undefined;
      if (result.ok) return this.#opened(result.conn);
      if (result.refused) this.#o.onRefused?.(this.id, result.error);
      this.#failed(`cannot reach node ${this.id} at ${address}: ${result.error}`);
    });
  }

  #opened(conn: FrameSocket): void {
    const log = this.#o.log;
    if (this.#failures > 0) log.info(`connected to node ${this.id} at ${this.#address} after ${this.#failures} failed attempt(s)`);
    else log.verb(`connected to node ${this.id} at ${this.#address}`);
    this.#failures = 0;
    this.#loggedError = "";
    this.#conn = conn;
    this.#state = "open";
    conn.onFrame = (frame) => {
      const why = frame.type === FrameType.Refuse
        ? `node ${this.id} closed the connection: ${decodeReason(frame.payload)}`
        : `node ${this.id} sent unexpected frame type ${frame.type}`;
      conn.destroy(why);
    };
    conn.onClose = (reason) => {
      if (this.#conn !== conn) return;
      this.#conn = undefined;
      this.#failed(`connection to node ${this.id} at ${this.#address} lost: ${reason}`);
    };
    // It may have closed between the handshake and now.
    if (conn.closed) return conn.onClose(conn.closeReason);
    this.#flush();
  }

  #failed(reason: string): void {
    clearTimeout(this.#stallTimer);
    this.#waitingDrain = false;
    this.#lastError = reason;
    // Queued messages are stale by the time the peer is back: drop them.
    this.#dropped += this.#queue.length;
    this.#queue = [];
    if (reason !== this.#loggedError) {
      this.#o.log.warn(`${reason} (retrying)`);
      this.#loggedError = reason;
    } else {
      this.#o.log.debug(reason);
    }
    const ceiling = Math.min(this.#o.reconnectMaxMs, this.#o.reconnectBaseMs * 2 ** Math.min(this.#failures, 30));
    this.#failures++;
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.#state = "backoff";
    this.#timer = setTimeout(() => {
      if (this.#state !== "backoff") return;
      this.#state = "idle";
      if (this.#queue.length > 0) this.#dial();
    }, delay);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled || this.#waitingDrain) return;
    this.#flushScheduled = true;
    queueMicrotask(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    const conn = this.#conn;
    if (this.#state !== "open" || !conn || this.#waitingDrain || this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    const encoded = encodeMessageFrames(batch, this.#o.maxFrameBytes);
    for (const { message, error } of encoded.rejected) {
      this.#dropped++;
      this.#o.log.warn(`dropped ${message.type} to node ${this.id}: ${error}`);
    }
    if (encoded.count === 0) return;
    this.#sent += encoded.count;
    this.#batches++;
    if (conn.write(encoded.bytes)) return;
    this.#waitingDrain = true;
    this.#stallTimer = setTimeout(
      () => conn.destroy(`node ${this.id} read nothing for ${this.#o.writeStallMs} ms`),
      this.#o.writeStallMs,
    );
    conn.drained().then((ok) => {
      if (this.#conn !== conn) return;
      clearTimeout(this.#stallTimer);
      this.#waitingDrain = false;
      if (ok) this.#flush();
    });
  }
}

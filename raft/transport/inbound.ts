/**
 * The accepting side of a peer connection: finishes the handshake on a
 * socket the listener sniffed as a peer, then receives message batches (or
 * one snapshot stream) from it. Incoming connections never carry our own
 * outgoing messages: each node dials its peers for those.
 */
import type * as net from "node:net";
import { FrameSocket } from "./frame_socket.ts";
import { type Frame, FrameType } from "./frames.ts";
import {
  computeProof,
  decodeHello,
  decodeProof,
  decodeReason,
  encodeChallenge,
  type Hello,
  MAX_HANDSHAKE_FRAME_BYTES,
  newNonce,
  proofMatches,
  Purpose,
} from "./handshake.ts";
import { decodeMessages } from "./message_codec.ts";
import { receiveSnapshot, type SnapshotHandler } from "./snapshot_receive.ts";
import type { Message } from "../core/types.ts";
import type { Logger } from "../logger.ts";
import type { AuthGuard } from "./transport_options.ts";

/** How FrameSocket.refuse words the close reason. */
const REFUSED = "refused: ";

/** What an incoming connection needs from the transport. */
export interface InboundContext {
  readonly selfId: number;
  readonly secret: string | undefined;
  /** Slows wrong proofs per source address; none: answered at once. */
  readonly guard: AuthGuard | undefined;
  readonly maxFrameBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly snapshotHighWaterBytes: number;
  readonly log: Logger;
  readonly onMessage: (message: Message) => void;
  readonly onSnapshot: SnapshotHandler;
  /** Asked once the peer has authenticated: a reason to refuse it, or undefined. */
  readonly admit?: (peerId: number, peerAddress: string) => string | undefined;
  /** The peer authenticated: learn its address. */
  readonly onAuthenticated: (conn: InboundConnection) => void;
  /** The connection ended (for bookkeeping). */
  readonly onClosed: (conn: InboundConnection) => void;
}

/** One accepted peer connection. */
export class InboundConnection {
  readonly #ctx: InboundContext;
  readonly #conn: FrameSocket;
  #hello: Hello | undefined;
  #acceptorNonce: Uint8Array | undefined;
  #stage: "hello" | "proof" | "checking" | "open" = "hello";
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onSnapshotClose: ((reason: string) => void) | undefined;
  #dialerGaveUp = false;
  /** Messages received on this connection. */
  received = 0;

  /**
   * Takes over `socket`; `alreadyRead` are the bytes the listener read
   * while sniffing (the start of the preamble, maybe more).
   */
  constructor(socket: net.Socket, alreadyRead: Uint8Array, ctx: InboundContext) {
    this.#ctx = ctx;
    this.#conn = new FrameSocket(socket, {
      maxFrameBytes: MAX_HANDSHAKE_FRAME_BYTES,
      alreadyRead,
      expectPreamble: true,
    });
    this.#conn.onFrame = (frame) => this.#onHandshakeFrame(frame);
    this.#conn.onClose = (reason) => this.#onClose(reason);
    this.#timer = setTimeout(
      () => this.#refuse(`no handshake within ${ctx.handshakeTimeoutMs} ms`),
      ctx.handshakeTimeoutMs,
    );
    this.#conn.start();
  }

  /** The authenticated peer's id (0 before the handshake completes). */
  get peerId(): number {
    return this.#stage === "open" ? this.#hello!.senderId : 0;
  }

  /** The peer's advertised address ("" before the handshake completes). */
  get peerAddress(): string {
    return this.#stage === "open" ? this.#hello!.senderAddress : "";
  }

  /** What the connection carries (undefined before the handshake completes). */
  get purpose(): Purpose | undefined {
    return this.#stage === "open" ? this.#hello!.purpose : undefined;
  }

  get remote(): string {
    return this.#conn.remote;
  }

  /** Closes the connection at once. */
  close(reason: string): void {
    this.#conn.destroy(reason);
  }

  /** Resolves when the socket has fully closed. */
  whenClosed(): Promise<void> {
    return this.#conn.whenClosed();
  }

  #who(): string {
    return this.#hello ? `node ${this.#hello.senderId} (${this.#conn.remote})` : this.#conn.remote;
  }

  #refuse(reason: string): void {
    this.#conn.refuse(reason);
  }

  #onClose(reason: string): void {
    clearTimeout(this.#timer);
    this.#onSnapshotClose?.(reason);
    const log = this.#ctx.log;
    if (this.#stage === "open" || this.#dialerGaveUp) {
      log.debug(`peer connection from ${this.#who()} closed: ${reason}`);
    } else if (reason.startsWith(REFUSED)) {
      log.warn(`refused peer connection from ${this.#who()}: ${reason.slice(REFUSED.length)}`);
    } else {
      log.warn(`peer connection from ${this.#who()} ended during the handshake: ${reason}`);
    }
    this.#ctx.onClosed(this);
  }

  #onHandshakeFrame(frame: Frame): void {
    if (frame.type === FrameType.Refuse) {
      this.#dialerGaveUp = true;
      this.#ctx.log.warn(`${this.#who()} gave up the handshake: ${decodeReason(frame.payload)}`);
      return this.#conn.destroy("refused by the dialer");
    }
    if (this.#stage === "hello" && frame.type === FrameType.Hello) return this.#onHello(frame.payload);
    if (this.#stage === "proof" && frame.type === FrameType.Proof) return this.#onProof(frame.payload);
    this.#refuse(`unexpected frame type ${frame.type} during the handshake`);
  }

  #onHello(payload: Uint8Array): void {
    const hello = decodeHello(payload);
    if (!hello.ok) return this.#refuse(hello.error);
    const { senderId, targetId } = hello.value;
    this.#hello = hello.value;
    const selfId = this.#ctx.selfId;
    if (senderId === selfId) {
      return this.#refuse(`the dialer claims node id ${senderId}, this node's own id: two nodes share one id`);
    }
    if (targetId !== 0 && targetId !== selfId) return this.#refuse(`this is node ${selfId}, not node ${targetId}`);
    this.#acceptorNonce = newNonce();
    this.#stage = "proof";
    // No proof of ours yet: it would let anyone who connects test passwords offline (handshake.ts).
    this.#conn.send(FrameType.Challenge, encodeChallenge({ acceptorId: selfId, nonce: this.#acceptorNonce }));
  }

  #transcript() {
    return {
      dialerId: this.#hello!.senderId,
      acceptorId: this.#ctx.selfId,
      dialerNonce: this.#hello!.nonce,
      acceptorNonce: this.#acceptorNonce!,
    };
  }

  #onProof(payload: Uint8Array): void {
    const proof = decodeProof(payload);
    if (!proof.ok) return this.#refuse(proof.error);
    const guard = this.#ctx.guard;
    const host = this.#conn.socket.remoteAddress ?? "?";
    const waitMs = guard?.admit(host, Date.now()) ?? 0;
    if (waitMs === 0) return this.#checkProof(proof.value, host);
    this.#stage = "checking";
    setTimeout(() => {
      if (!this.#conn.closed) this.#checkProof(proof.value, host);
    }, waitMs);
  }

  #checkProof(proof: Uint8Array, host: string): void {
    const guard = this.#ctx.guard;
    if (!proofMatches(proof, computeProof(this.#ctx.secret, "dialer", this.#transcript()))) {
      const failure = guard?.failed(host, Date.now());
      if (failure?.report) {
        this.#ctx.log.warn(`${failure.failures} failed peer handshakes from ${host}: its answers are now delayed (${failure.nextDelayMs} ms, growing)`);
      }
      return this.#refuse("authentication failed: the dialer does not know this cluster secret (--auth)");
    }
    guard?.succeeded(host);
    const refusal = this.#ctx.admit?.(this.#hello!.senderId, this.#hello!.senderAddress);
    if (refusal !== undefined) return this.#refuse(refusal);
    clearTimeout(this.#timer);
    this.#stage = "open";
    this.#conn.maxFrameBytes = this.#ctx.maxFrameBytes;
    this.#conn.send(FrameType.Accept, computeProof(this.#ctx.secret, "acceptor", this.#transcript()));
    const hello = this.#hello!;
    this.#ctx.log.debug(
      `accepted ${hello.purpose === Purpose.Snapshot ? "snapshot" : "message"} connection from ${this.#who()}`,
    );
    this.#ctx.onAuthenticated(this);
    if (hello.purpose === Purpose.Snapshot) {
      this.#onSnapshotClose = receiveSnapshot(this.#conn, hello.senderId, this.#ctx);
    } else {
      this.#conn.onFrame = (frame) => this.#onMessagesFrame(frame);
    }
  }

  #onMessagesFrame(frame: Frame): void {
    if (frame.type !== FrameType.Messages) {
      this.#ctx.log.warn(`${this.#who()} sent unexpected frame type ${frame.type}; closing`);
      return this.#conn.destroy(`unexpected frame type ${frame.type}`);
    }
    const decoded = decodeMessages(frame.payload);
    if (!decoded.ok) {
      this.#ctx.log.warn(`${this.#who()} sent bad data; closing: ${decoded.error}`);
      return this.#conn.destroy(decoded.error);
    }
    const peerId = this.#hello!.senderId;
    for (const message of decoded.value) {
      if (message.from !== peerId || message.to !== this.#ctx.selfId) {
        this.#ctx.log.debug(
          `dropped ${message.type} from ${message.from} to ${message.to} on node ${peerId}'s connection: misaddressed`,
        );
        continue;
      }
      this.received++;
      try {
        this.#ctx.onMessage(message);
      } catch (error) {
        this.#ctx.log.warn(`onMessage failed for ${message.type} from node ${peerId}: ${error}`);
      }
    }
  }
}

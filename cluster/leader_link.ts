/**
 * One RESP connection from a follower's leader proxy to the leader: AUTH
 * with the cluster's secret and PROXYHOP first, then commands pipelined in
 * the order given, each answered by the next reply (RESP keeps order on a
 * connection, and the leader's connection keeps its commands' order).
 *
 * A command whose reply never comes fails with LinkLostError, which says
 * whether the command may have reached the leader: only then may a write
 * have been applied.
 */
import * as net from "node:net";
import * as tls from "node:tls";
import { parseHostPort } from "../api/host_port.ts";
import { dialTlsOptions, type PeerTls } from "../raft/transport/peer_tls.ts";
import { ByteQueue } from "../server/byte_queue.ts";
import { parseReply, type Reply } from "../server/resp_reply_parser.ts";
import { encodeCommand } from "../server/resp_writer.ts";

export interface LeaderLinkOptions {
  /** The leader's advertised host:port. */
  readonly address: string;
  /** The cluster's TLS material: the leader is verified as a peer is (and sees this node's certificate). */
  readonly tls: PeerTls | undefined;
  /** The cluster's --auth secret, sent with AUTH before anything else. */
  readonly password: string | undefined;
}

/** A forwarded command got no reply. `delivered`: it may have reached the leader (and run there). */
export class LinkLostError extends Error {
  readonly delivered: boolean;
  constructor(message: string, delivered: boolean) {
    super(message);
    this.delivered = delivered;
    this.name = "LinkLostError";
  }
}

interface Waiting {
  resolve(reply: Reply): void;
  reject(error: LinkLostError): void;
}

export class LeaderLink {
  readonly address: string;
  readonly #socket: net.Socket;
  readonly #input = new ByteQueue();
  /** Replies still expected for the handshake (AUTH, PROXYHOP), which nobody waits on. */
  #handshakeReplies: number;
  readonly #waiting: Waiting[] = [];
  #connected = false;
  #failure: LinkLostError | undefined;
  #retired = false;

  constructor(options: LeaderLinkOptions) {
    this.address = options.address;
    const parsed = parseHostPort(options.address);
    const host = typeof parsed === "string" ? options.address : parsed.host || "127.0.0.1";
    const port = typeof parsed === "string" ? 0 : parsed.port;
    this.#socket = options.tls ? tls.connect(dialTlsOptions(options.tls, host, port)) : net.connect({ host, port });
    this.#socket.setNoDelay(true);
    this.#socket.once(options.tls ? "secureConnect" : "connect", () => (this.#connected = true));
    this.#socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    this.#socket.on("error", (error) => this.#fail(error.message, this.#connected));
    this.#socket.on("close", () => this.#fail("connection closed", this.#connected));
    const handshake = [["PROXYHOP"]];
    if (options.password !== undefined) handshake.unshift(["AUTH", options.password]);
    this.#handshakeReplies = handshake.length;
    for (const args of handshake) this.#socket.write(encodeCommand(args));
  }

  /** Commands sent and not answered yet. */
  get inFlight(): number {
    return this.#waiting.length;
  }

  /** False once the connection failed or was closed: send nothing more on it. */
  get usable(): boolean {
    return this.#failure === undefined && !this.#retired;
  }

  /** Sends a command after every earlier one; resolves with its reply. */
  send(args: readonly Uint8Array[]): Promise<Reply> {
    if (this.#failure) return Promise.reject(new LinkLostError(this.#failure.message, false));
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#socket.write(encodeCommand(args));
    });
  }

  /** Sends nothing more; closes once every command sent is answered. */
  retire(): void {
    this.#retired = true;
    if (this.#waiting.length === 0) this.#socket.destroy();
  }

  /** Closes now; unanswered commands fail (outcome unknown for those delivered). */
  close(reason: string): void {
    this.#fail(reason, this.#connected);
    this.#socket.destroy();
  }

  #onData(chunk: Uint8Array): void {
    this.#input.append(chunk);
    while (this.#input.length > 0) {
      const result = parseReply(this.#input.bytes, this.#input.start, this.#input.end);
      if (result.kind === "incomplete") return;
      if (result.kind === "error") return this.close(`bad reply: ${result.message}`);
      this.#input.consume(result.consumed);
      if (this.#handshakeReplies > 0) {
        this.#handshakeReplies--;
        // AUTH refused: the leader answers NOAUTH to everything after it, so nothing ran.
        if (result.reply.type === "error") {
          this.#fail(`the leader refused the proxy: ${result.reply.text}`, false);
          return void this.#socket.destroy();
        }
        continue;
      }
      this.#waiting.shift()?.resolve(result.reply);
    }
    if (this.#retired && this.#waiting.length === 0) this.#socket.destroy();
  }

  /** Fails every unanswered command; `delivered`: they may have reached the leader. */
  #fail(reason: string, delivered: boolean): void {
    this.#failure ??= new LinkLostError(`${reason} (leader at ${this.address})`, delivered);
    for (const waiting of this.#waiting.splice(0)) waiting.reject(new LinkLostError(this.#failure.message, this.#failure.delivered));
  }
}

/**
 * A socket that speaks frames: decodes incoming bytes into frames, writes
 * frames, and reports its end exactly once with a reason. The only place in
 * the transport that touches `net.Socket` events.
 */
import type * as net from "node:net";
import { encodeFrame, type Frame, FrameDecoder, FrameType } from "./frames.ts";
import { checkPreamble, encodeReason, PEER_PREAMBLE_BYTES } from "./handshake.ts";

/** How long a socket that we ended gets to flush before it is destroyed. */
const LINGER_MS = 1000;

export interface FrameSocketOptions {
  /** Largest frame accepted (type + payload). */
  readonly maxFrameBytes: number;
  /** Bytes already read from the socket (by the listener that sniffed it). */
  readonly alreadyRead?: Uint8Array;
  /** True on the accepting side: the stream starts with the peer preamble. */
  readonly expectPreamble?: boolean;
}

/** A framed peer connection over a TCP or TLS socket. */
export class FrameSocket {
  readonly socket: net.Socket;
  /** "ip:port" of the other end, for logs. */
  readonly remote: string;
  /** Called for each complete frame, in order. */
  onFrame: (frame: Frame) => void = () => {};
  /** Called once when the connection ends, with why. */
  onClose: (reason: string) => void = () => {};
  readonly #decoder: FrameDecoder;
  #preamble: Uint8Array | undefined;
  #closed = false;
  #lastError: string | undefined;
  #socketClosed = false;
  #closeReason = "";
  readonly #pending: Uint8Array | undefined;

  constructor(socket: net.Socket, options: FrameSocketOptions) {
    this.socket = socket;
    this.remote = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    this.#decoder = new FrameDecoder(options.maxFrameBytes);
    this.#preamble = options.expectPreamble ? new Uint8Array(0) : undefined;
    this.#pending = options.alreadyRead;
  }

  /** Attaches the socket listeners and processes `alreadyRead`. Set the handlers first. */
  start(): void {
    const socket = this.socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    socket.on("data", (chunk: Uint8Array) => this.#receive(chunk));
    socket.on("error", (error: Error) => {
      const { code, syscall } = error as NodeJS.ErrnoException;
      // A system call's code says it all (ECONNREFUSED); a TLS failure needs its words too.
      this.#lastError ??= code === undefined ? error.message : syscall !== undefined ? code : `${error.message} (${code})`;
    });
    socket.on("close", () => {
      this.#socketClosed = true;
      this.#finish(this.#lastError ?? "connection closed by the other side");
    });
    if (this.#pending && this.#pending.byteLength > 0) this.#receive(this.#pending);
    if (socket.isPaused()) socket.resume();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Why the connection ended ("" while open). */
  get closeReason(): string {
    return this.#closeReason;
  }

  /** Largest frame accepted from now on. */
  set maxFrameBytes(bytes: number) {
    this.#decoder.maxFrameBytes = bytes;
  }

  /**
   * Writes raw bytes (already framed).
   * @returns false when the socket's buffer is full: wait for `drained()`
   */
  write(bytes: Uint8Array): boolean {
    if (this.#closed) return false;
    return this.socket.write(bytes);
  }

  /** Writes one frame; see `write`. */
  send(type: FrameType, payload: Uint8Array): boolean {
    return this.write(encodeFrame(type, payload));
  }

  /** Resolves true when the socket can take more, false if it closes first. */
  drained(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (!this.socket.writableNeedDrain) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        this.socket.off("drain", onDrain);
        this.socket.off("close", onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      this.socket.on("drain", onDrain);
      this.socket.on("close", onClose);
    });
  }

  /** Stops reading (backpressure) or starts again. */
  setReading(reading: boolean): void {
    if (this.#closed) return;
    if (reading) this.socket.resume();
    else this.socket.pause();
  }

  /** Sends REFUSE with `reason`, then ends the connection. */
  refuse(reason: string): void {
    if (this.#closed) return;
    this.send(FrameType.Refuse, encodeReason(reason));
    this.end(`refused: ${reason}`);
  }

  /** Flushes what was written, then closes; reports `reason`. */
  end(reason: string): void {
    if (this.#closed) return;
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), LINGER_MS);
    this.socket.once("close", () => clearTimeout(timer));
    this.#finish(reason);
  }

  /** Closes at once, dropping anything unsent; reports `reason`. */
  destroy(reason: string): void {
    if (this.#closed) return;
    this.socket.destroy();
    this.#finish(reason);
  }

  /** Resolves once the underlying socket has fully closed. */
  whenClosed(): Promise<void> {
    if (this.#socketClosed) return Promise.resolve();
    return new Promise((resolve) => this.socket.once("close", () => resolve()));
  }

  #finish(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeReason = reason;
    this.onClose(reason);
  }

  #receive(chunk: Uint8Array): void {
    if (this.#closed) return;
    let bytes = chunk;
    if (this.#preamble !== undefined) {
      const joined = new Uint8Array(this.#preamble.byteLength + bytes.byteLength);
      joined.set(this.#preamble);
      joined.set(bytes, this.#preamble.byteLength);
      const check = checkPreamble(joined);
      if (check.kind === "bad") return this.refuse(check.reason);
      if (check.kind === "incomplete") {
        this.#preamble = joined;
        return;
      }
      this.#preamble = undefined;
      bytes = joined.subarray(PEER_PREAMBLE_BYTES);
    }
    const { frames, error } = this.#decoder.push(bytes);
    for (const frame of frames) {
      if (this.#closed) return;
      this.onFrame(frame);
    }
    if (error !== undefined) this.refuse(error);
  }
}

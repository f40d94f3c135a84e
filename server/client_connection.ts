/**
 * One RESP client on a socket: parses pipelined requests, runs each through
 * the dispatcher, and writes replies strictly in request order even when a
 * later command finishes first. Reading stops while the socket's write
 * buffer is full or too many replies are outstanding (back-pressure).
 */
import type { Socket } from "node:net";
import { ByteQueue } from "./byte_queue.ts";
import { DEFAULT_PARSER_LIMITS, parseCommand, type ParserLimits } from "./resp_parser.ts";
import { ReplyWriter } from "./resp_writer.ts";
import type { ReplyValue } from "./resp_values.ts";

/** What a command sees of the client that sent it (a socket, or a service inside the node). */
export interface Client {
  /** Unique per process. */
  readonly id: number;
  readonly remoteAddress: string;
  authenticated: boolean;
  /** Free for the application (connection hooks and intermediate commands). */
  context: unknown;
  /** Sends the replies already queued, then closes. */
  closeAfterReplies(): void;
  /** Sends a value outside request/reply order, after the replies queued so far (MONITOR). */
  push(value: ReplyValue): void;
  /** Resolves when the client is gone. */
  readonly gone: Promise<void>;
}

/** Runs one command; sync results are written without a microtask hop. */
export type Dispatch = (
  conn: Client,
  args: Uint8Array[],
) => ReplyValue | Promise<ReplyValue>;

let nextClientId = 1;
/** A new unique client id. */
export function newClientId(): number {
  return nextClientId++;
}

export interface ConnectionOptions {
  readonly limits?: ParserLimits;
  /** Reading pauses while this many replies wait for slower commands before them. */
  readonly maxPendingReplies?: number;
  /** Called for protocol errors and socket errors, for the log. */
  readonly onProblem?: (conn: ClientConnection, message: string) => void;
}

interface PendingReply {
  done: boolean;
  value: ReplyValue;
}

const IDLE_BUFFER_BYTES = 64 * 1024;

export class ClientConnection implements Client {
  /** Unique per process, increasing. */
  readonly id = newClientId();
  readonly remoteAddress: string;
  /** Set by AUTH; always true when the server has no password. */
  authenticated = false;
  /** Free for the application (connection hooks attach their state here). */
  context: unknown = undefined;

  readonly #socket: Socket;
  readonly #dispatch: Dispatch;
  readonly #limits: ParserLimits;
  readonly #maxPending: number;
  readonly #onProblem: (conn: ClientConnection, message: string) => void;
  readonly #input = new ByteQueue();
  readonly #writer = new ReplyWriter();
  readonly #pending: PendingReply[] = [];
  #neededBytes = 0;
  #writeBlocked = false;
  #closing = false;
  #closed = false;

  constructor(socket: Socket, dispatch: Dispatch, options: ConnectionOptions = {}) {
    this.#socket = socket;
    this.#dispatch = dispatch;
    this.#limits = options.limits ?? DEFAULT_PARSER_LIMITS;
    this.#maxPending = options.maxPendingReplies ?? 1024;
    this.#onProblem = options.onProblem ?? (() => {});
    this.remoteAddress = formatAddress(socket.remoteAddress, socket.remotePort);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    socket.on("drain", () => {
      this.#writeBlocked = false;
      this.#updateReading();
    });
    socket.on("error", (error: Error) => this.#onProblem(this, `socket error: ${error.message}`));
    this.gone = new Promise((resolve) => {
      socket.on("close", () => {
        this.#closed = true;
        resolve();
      });
    });
  }

  readonly gone: Promise<void>;

  push(value: ReplyValue): void {
    if (this.#closed) return;
    this.#enqueue(value);
    this.#flush();
  }

  /** Bytes already read from the socket by whoever accepted it (first-bytes sniffing). */
  feed(chunk: Uint8Array): void {
    this.#onData(chunk);
    this.#updateReading();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends the replies already queued, then closes (QUIT, protocol errors, SHUTDOWN). */
  closeAfterReplies(): void {
    this.#closing = true;
    this.#updateReading();
    // Deferred so that a command calling this (QUIT) still gets its own reply written.
    queueMicrotask(() => this.#flush());
  }

  /** Closes at once, dropping queued replies. */
  destroy(): void {
    this.#closing = true;
    this.#socket.destroy();
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closing) return;
    this.#input.append(chunk);
    if (this.#input.length >= this.#neededBytes) this.#parseAll();
    this.#input.shrink(IDLE_BUFFER_BYTES);
    this.#flush();
  }

  #parseAll(): void {
    while (!this.#closing && this.#input.length > 0) {
      const result = parseCommand(this.#input.bytes, this.#input.start, this.#input.end, this.#limits);
      if (result.kind === "incomplete") {
        this.#neededBytes = result.needed;
        return;
      }
      this.#neededBytes = 0;
      if (result.kind === "error") {
        this.#onProblem(this, result.message);
        this.#enqueue(new Error(result.message));
        this.closeAfterReplies();
        return;
      }
      this.#input.consume(result.consumed);
      if (result.args.length > 0) this.#run(result.args);
    }
  }

  #run(args: Uint8Array[]): void {
    let result: ReplyValue | Promise<ReplyValue>;
    try {
      result = this.#dispatch(this, args);
    } catch (error) {
      result = asError(error);
    }
    if (!(result instanceof Promise)) return this.#enqueue(result);
    const slot: PendingReply = { done: false, value: undefined };
    this.#pending.push(slot);
    this.#updateReading();
    result.then(
      (value) => this.#complete(slot, value),
      (error) => this.#complete(slot, asError(error)),
    );
  }

  #enqueue(value: ReplyValue): void {
    if (this.#pending.length === 0) return this.#writer.value(value);
    this.#pending.push({ done: true, value });
  }

  #complete(slot: PendingReply, value: ReplyValue): void {
    slot.done = true;
    slot.value = value;
    while (this.#pending.length > 0 && this.#pending[0].done) {
      this.#writer.value(this.#pending.shift()!.value);
    }
    this.#flush();
    this.#updateReading();
  }

  #flush(): void {
    if (this.#closed) return;
    if (this.#writer.length > 0 && !this.#socket.destroyed) {
      if (!this.#socket.write(this.#writer.take())) this.#writeBlocked = true;
    }
    if (this.#closing && this.#pending.length === 0) this.#socket.end();
    this.#updateReading();
  }

  #updateReading(): void {
    const paused = this.#closing || this.#writeBlocked || this.#pending.length >= this.#maxPending;
    if (paused && !this.#socket.isPaused()) this.#socket.pause();
    else if (!paused && this.#socket.isPaused()) this.#socket.resume();
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** "host:port", with brackets around IPv6 hosts. */
export function formatAddress(host: string | undefined, port: number | undefined): string {
  const h = host ?? "?";
  return h.includes(":") ? `[${h}]:${port}` : `${h}:${port}`;
}

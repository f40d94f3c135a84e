/**
 * One RESP client on a socket: parses pipelined requests, starts each when
 * the connection's order allows (see command_sequencer.ts), and writes
 * replies strictly in request order. Reading stops while the socket's write
 * buffer is full or too many replies are outstanding (back-pressure). When
 * the client half-closes, every command already received still runs and is
 * answered before the socket closes, as Redis does. Replies that complete
 * while reading is paused still pile up (a batch of reads confirmed at
 * once), so a client with too many reply bytes unsent is disconnected.
 */
import { asError } from "../api/errors.ts";
import { formatHostPort } from "../api/host_port.ts";
import type { Socket } from "node:net";
import { ByteQueue } from "./byte_queue.ts";
import { type Concurrency, CommandSequencer } from "./command_sequencer.ts";
import { DEFAULT_PARSER_LIMITS, parseCommand, type ParserLimits } from "./resp_parser.ts";
import { ReplyWriter } from "./resp_writer.ts";
import type { ReplyValue } from "../api/reply.ts";

/** What a command sees of the client that sent it (a socket, or a service inside the node). */
export interface Client {
  /** Unique per process. */
  readonly id: number;
  readonly remoteAddress: string;
  authenticated: boolean;
  /**
   * Set by PROXYHOP: another node's leader proxy (--proxy) sends this
   * connection's commands. They are never forwarded again (no proxy loops
   * between nodes with different views of the leader), and the reply is
   * left for the forwarding node's response filter.
   */
  fromProxy: boolean;
  /** True when it presented a TLS certificate that chains to the node's trust anchors (as a peer's must). */
  readonly certified?: boolean;
  /** Free for the application (connection hooks and intermediate commands). */
  context: unknown;
  /** Runs nothing received after the current command; sends the replies before it and its own, then closes (QUIT). */
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

/** How a request orders against the connection's other requests, from its name alone. */
export type ConcurrencyOf = (args: Uint8Array[]) => Concurrency;

export interface ConnectionOptions {
  /** Default: every command waits for the one before it. */
  readonly concurrencyOf?: ConcurrencyOf;
  readonly limits?: ParserLimits;
  /** Reading pauses while this many replies wait for slower commands before them. */
  readonly maxPendingReplies?: number;
  /** Called for protocol errors and socket errors, for the log. */
  readonly onProblem?: (conn: ClientConnection, message: string) => void;
  /**
   * A client with more than this many reply bytes unsent (in the socket's
   * buffer and not yet handed to it) when its next reply is ready is
   * disconnected. 0 or undefined: no limit.
   */
  readonly maxReplyBufferBytes?: number;
  /** Called when the reply limit disconnects the client, for the log. */
  readonly onLimit?: (conn: ClientConnection, message: string) => void;
}

interface PendingReply {
  done: boolean;
  value: ReplyValue;
}

interface WaitingCommand {
  readonly args: Uint8Array[];
  readonly concurrency: Concurrency;
  readonly slot: PendingReply;
}

const exclusive: ConcurrencyOf = () => "exclusive";

const IDLE_BUFFER_BYTES = 64 * 1024;

/**
 * Replies are written once per turn of the event loop, unless they reach
 * this many bytes first: big replies go to the socket as they come, so the
 * socket's buffer (what the reply limit counts) holds them, not a growing copy.
 */
const EAGER_WRITE_BYTES = 256 * 1024;

/** How long a socket we ended, whose replies have all left, waits for the client to close before it is destroyed. */
const LINGER_MS = 1_000;

export class ClientConnection implements Client {
  /** Unique per process, increasing. */
  readonly id = newClientId();
  readonly remoteAddress: string;
  readonly certified: boolean;
  /** Set by AUTH; always true when the server has no password. */
  authenticated = false;
  fromProxy = false;
  /** Free for the application (connection hooks attach their state here). */
  context: unknown = undefined;

  readonly #socket: Socket;
  readonly #dispatch: Dispatch;
  readonly #concurrencyOf: ConcurrencyOf;
  readonly #sequencer = new CommandSequencer<WaitingCommand>();
  readonly #limits: ParserLimits;
  readonly #maxPending: number;
  readonly #onProblem: (conn: ClientConnection, message: string) => void;
  readonly #maxReplyBufferBytes: number;
  readonly #onLimit: (conn: ClientConnection, message: string) => void;
  readonly #input = new ByteQueue();
  readonly #writer = new ReplyWriter();
  readonly #pending: PendingReply[] = [];
  #neededBytes = 0;
  #writeBlocked = false;
  #flushScheduled = false;
  #closing = false;
  /** We ended the socket: its input is read and dropped, so the client's close is seen. */
  #ended = false;
  #closed = false;

  constructor(socket: Socket, dispatch: Dispatch, options: ConnectionOptions = {}) {
    this.#socket = socket;
    this.#dispatch = dispatch;
    this.#concurrencyOf = options.concurrencyOf ?? exclusive;
    this.#limits = options.limits ?? DEFAULT_PARSER_LIMITS;
    this.#maxPending = options.maxPendingReplies ?? 1024;
    this.#onProblem = options.onProblem ?? (() => {});
    this.#maxReplyBufferBytes = options.maxReplyBufferBytes ?? 0;
    this.#onLimit = options.onLimit ?? (() => {});
    this.remoteAddress = remoteAddressOf(socket);
    this.certified = (socket as { authorized?: boolean }).authorized === true;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    socket.on("drain", () => {
      this.#writeBlocked = false;
      this.#updateReading();
    });
    // The server allows half-open sockets: the client's end of input is not the end of its replies.
    socket.on("end", () => this.finishAndClose());
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

  /**
   * Runs nothing received after the current command, sends the replies of
   * everything before it and its own, then closes (QUIT, SHUTDOWN).
   */
  closeAfterReplies(): void {
    const dropped = this.#sequencer.dropQueued();
    // Waiting commands always hold the last reply slots.
    this.#pending.length -= dropped;
    this.finishAndClose();
  }

  /**
   * Stops reading; every command already received still runs, and the
   * socket closes once all their replies are sent (end of input, protocol
   * errors, the server stopping).
   */
  finishAndClose(): void {
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
        this.finishAndClose();
        return;
      }
      this.#input.consume(result.consumed);
      if (result.args.length > 0) this.#receive(result.args);
    }
  }

  #receive(args: Uint8Array[]): void {
    const concurrency = this.#concurrencyOf(args);
    if (this.#sequencer.mayStartNow(concurrency)) return this.#start(args, concurrency, undefined);
    const slot: PendingReply = { done: false, value: undefined };
    this.#pending.push(slot);
    this.#sequencer.wait({ args, concurrency, slot }, concurrency);
    this.#updateReading();
  }

  /** Runs a command; `slot` is its reply's place when it had to wait (else one is made if it goes async). */
  #start(args: Uint8Array[], concurrency: Concurrency, slot: PendingReply | undefined): void {
    let result: ReplyValue | Promise<ReplyValue>;
    try {
      result = this.#dispatch(this, args);
    } catch (error) {
      result = asError(error);
    }
    if (!(result instanceof Promise)) {
      if (slot) return this.#complete(slot, result);
      return this.#enqueue(result);
    }
    const reply = slot ?? this.#newSlot();
    this.#sequencer.started(concurrency);
    result.then(
      (value) => this.#finished(reply, value),
      (error) => this.#finished(reply, asError(error)),
    );
  }

  #newSlot(): PendingReply {
    const slot: PendingReply = { done: false, value: undefined };
    this.#pending.push(slot);
    this.#updateReading();
    return slot;
  }

  #finished(slot: PendingReply, value: ReplyValue): void {
    this.#sequencer.finished();
    for (let waiting = this.#sequencer.next(); waiting; waiting = this.#sequencer.next()) {
      this.#start(waiting.args, waiting.concurrency, waiting.slot);
    }
    this.#complete(slot, value);
  }

  #enqueue(value: ReplyValue): void {
    if (this.#pending.length === 0) return this.#write(value);
    this.#pending.push({ done: true, value });
  }

  #complete(slot: PendingReply, value: ReplyValue): void {
    slot.done = true;
    slot.value = value;
    let written = 0;
    while (written < this.#pending.length && this.#pending[written].done) this.#write(this.#pending[written++].value);
    if (written === 0) return;
    this.#pending.splice(0, written);
    this.#flushSoon();
  }

  /** Adds a reply to the next write, unless the client already leaves too much unread. */
  #write(value: ReplyValue): void {
    if (this.#socket.destroyed) return;
    const limit = this.#maxReplyBufferBytes;
    // Replies not yet taken by the kernel: waiting for this turn's write, and in the socket's buffer.
    const unsent = this.#writer.length + this.#socket.writableLength;
    if (limit > 0 && unsent > limit) {
      this.#onLimit(this, `disconnected: ${unsent} reply bytes unsent, more than the limit of ${limit} (--max-reply-buffer); the client does not read its replies`);
      return this.destroy();
    }
    this.#writer.value(value);
    if (this.#writer.length >= EAGER_WRITE_BYTES && !this.#socket.write(this.#writer.take())) this.#writeBlocked = true;
  }

  /**
   * Replies that complete in one turn of the event loop (all the reads one
   * heartbeat round confirmed, a batch of writes one entry applied) leave in
   * one write: a write per reply was most of a pipelined read's cost.
   */
  #flushSoon(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#closed || this.#socket.destroyed) return;
    if (this.#writer.length > 0) {
      if (!this.#socket.write(this.#writer.take())) this.#writeBlocked = true;
    }
    if (this.#closing && this.#pending.length === 0 && !this.#ended) this.#end();
    this.#updateReading();
  }

  /**
   * Ends our side once every reply is written. A paused socket never sees
   * the client's FIN or reset, and with half-open sockets it would then
   * never close (an open descriptor and a counted client for ever): so
   * reading resumes (#onData drops the bytes), and a client that does not
   * close soon after the last reply left is cut.
   */
  #end(): void {
    this.#ended = true;
    this.#socket.end(() => {
      const timer = setTimeout(() => this.#socket.destroy(), LINGER_MS);
      this.#socket.once("close", () => clearTimeout(timer));
    });
  }

  #updateReading(): void {
    // Once this side has ended, input is read and dropped (#onData ignores it): see #end.
    const paused = !this.#ended && (this.#closing || this.#writeBlocked || this.#pending.length >= this.#maxPending);
    if (paused && !this.#socket.isPaused()) this.#socket.pause();
    else if (!paused && this.#socket.isPaused()) this.#socket.resume();
  }
}

/** The peer's "host:port" ("?" for what a closed socket no longer knows). */
export function remoteAddressOf(socket: { readonly remoteAddress?: string; readonly remotePort?: number }): string {
  return socket.remoteAddress === undefined ? "?" : formatHostPort(socket.remoteAddress, socket.remotePort ?? 0);
}

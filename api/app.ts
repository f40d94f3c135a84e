/**
 * The application API: what a user writes. An App names its data, its
 * commands and its hooks; the framework replicates it.
 */
import type { ReplyValue } from "./reply.ts";
import type { SyncKv } from "../store/sync_kv.ts";

/** Deterministic random numbers inside the machine (PCG, seeded from the log). */
export interface Rand {
  /** An integer in [0, 2^32). */
  uint32(): number;
  /** An integer in [0, 2^64). */
  uint64(): bigint;
  /** An integer in [0, 2^53). */
  int(): number;
  /** An integer in [0, n). */
  intn(n: number): number;
  /** A float in [0, 1). */
  float64(): number;
  /** `length` random bytes. */
  bytes(length: number): Uint8Array;
  /** A version-4 UUID, as text. */
  uuid(): string;
}

/** What a write or read command sees. */
export interface Machine<D> {
  /** The application's data. Writes change it; reads must not. */
  data: D;
  /**
   * Machine time as unix nanoseconds: the same on every replica and on
   * replay, and strictly increasing from one write to the next.
   */
  now(): bigint;
  /** Deterministic random numbers (reads see the values as of the last write). */
  readonly rand: Rand;
  /** The command's arguments as bytes, name first (binary-safe). */
  readonly rawArgs: readonly Uint8Array[];
  /**
   * The app's replicated Deno-KV-compatible store (an App with `kv: true`):
   * Deno.Kv's methods, synchronous. Writes (set, delete, atomic commits)
   * only in write commands and tick; versionstamps come from the log
   * position, expiry from machine time. Throws if the app has no store.
   */
  readonly kv: SyncKv;
}

/** What an intermediate (connection-level) command sees: no data, but the connection. */
export interface Intermediate {
  /** The connection's context, as set by `connOpened` or an earlier command. */
  context: unknown;
  /** The client's `host:port`. */
  readonly remoteAddress: string;
  /** The command's arguments as bytes, name first (binary-safe). */
  readonly rawArgs: readonly Uint8Array[];
  /**
   * Turns this command into another, run as if the client had sent it:
   * `return c.rewrite(["SET", key, value])` computes a value outside the
   * log, then writes it through the log.
   */
  rewrite(args: readonly (string | Uint8Array)[]): Rewrite;
  /**
   * Takes the connection over: after this command's reply, `push` sends
   * values to the client until it disconnects (`gone` resolves).
   */
  takeOver(): ConnectionStream;
  /**
   * Calls `listener` for every command any client sends to this node, until
   * the returned function is called (MONITOR).
   */
  observeCommands(listener: (event: CommandEvent) => void): () => void;
}

const REWRITE = Symbol.for("uhaha.rewrite");

/** Returned by `Intermediate.rewrite`: the command to run instead. */
export class Rewrite {
  /** Marks a Rewrite across copies of this module (see isRewrite). */
  readonly [REWRITE] = true;
  /** The command to run instead, name first. */
  readonly args: readonly (string | Uint8Array)[];
  /** The command to run instead of this one, name first. */
  constructor(args: readonly (string | Uint8Array)[]) {
    this.args = args;
  }
}

/** True for a Rewrite, including one made by another copy of this module. */
export function isRewrite(value: unknown): value is Rewrite {
  return typeof value === "object" && value !== null && (value as { [REWRITE]?: boolean })[REWRITE] === true;
}

/** A connection taken over by an intermediate command. */
export interface ConnectionStream {
  /** Sends a value to the client, after the replies already queued. */
  push(value: ReplyValue): void;
  /** Resolves when the client disconnects. */
  readonly gone: Promise<void>;
}

/** A command received by this node, as `observeCommands` reports it. */
export interface CommandEvent {
  /** Unix time in ms (with fraction) when it arrived. */
  readonly timeMs: number;
  /** The sender's `host:port`. */
  readonly remoteAddress: string;
  /** The command as sent, name first (AUTH's password redacted). */
  readonly args: readonly Uint8Array[];
}

/** A command's arguments as text, name first (`args[0]` is the name as sent). */
export type Args = readonly string[];

/**
 * A flag a command may declare, as Redis's `COMMAND INFO` reports it. A
 * `write` command is reported "write" and a `read` command "readonly"
 * without declaring it; an intermediate command has no flag unless it
 * declares one (say "write" when it rewrites itself into a write).
 */
export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "admin"
  | "pubsub"
  | "noscript"
  | "random"
  | "loading"
  | "stale"
  | "fast"
  | "blocking";

/** What a command may declare besides its kind and handler: Redis's `COMMAND INFO` fields. */
export interface CommandInfo {
  /**
   * How many arguments the command takes, counting its name, as Redis
   * counts them: `n` means exactly n, `-n` at least n (GET key is 2, DEL
   * key [key …] is -2). Default -1: any count reaches `run`.
   *
   * A wrong count is answered `ERR wrong number of arguments for '<cmd>'
   * command` when the command arrives, before `run` and, as in Redis,
   * before a follower's MOVED redirect. It is not checked again when the
   * log is applied, so changing an arity never changes what an existing
   * log replays to.
   */
  readonly arity?: number;
  /** Flags for `COMMAND INFO`, besides the one the kind implies (see CommandFlag). */
  readonly flags?: readonly CommandFlag[];
}

/**
 * One command of an App: `write` (replicated through the log), `read`
 * (answered from the data, linearizable by default) or `intermediate` (on
 * the connection, outside the log), with its optional CommandInfo.
 */
export type Command<D> = CommandInfo & (
  | {
    /** Goes through the Raft log; runs on every replica. */
    readonly kind: "write";
    readonly run: (m: Machine<D>, args: Args) => ReplyValue;
  }
  | {
    /** Linearizable by default (ReadIndex); runs on the node that received it. */
    readonly kind: "read";
    readonly run: (m: Machine<D>, args: Args) => ReplyValue;
  }
  | {
    /** Runs on the connection, outside the log; may be async. */
    readonly kind: "intermediate";
    readonly run: (c: Intermediate, args: Args) => ReplyValue | Rewrite | Promise<ReplyValue | Rewrite>;
  }
);

/**
 * How an app's data becomes a snapshot and back: as JSON, or with the app's
 * own functions. Exactly one of the two.
 */
export type SnapshotOptions<D> =
  | {
    /** Snapshot `data` as JSON (with `JSON.stringify`/`JSON.parse`). */
    readonly jsonSnapshots: true;
    readonly snapshot?: never;
    readonly restore?: never;
  }
  | {
    readonly jsonSnapshots?: false;
    /** `data` to bytes, for a snapshot. */
    readonly snapshot: (data: D) => Uint8Array;
    /** Bytes from `snapshot` back to data. */
    readonly restore: (bytes: Uint8Array) => D;
  };

/** A replicated application: its data, commands and hooks, and how its data is snapshotted. */
export type App<D = unknown> = AppDefinition<D> & SnapshotOptions<D>;

/** Everything of an App but its snapshot options. */
export interface AppDefinition<D> {
  /** Names the data directory (`<dir>/<name>/<node id>`) and VERSION's reply. */
  readonly name: string;
  /** Reported by VERSION and `-v` (default "0.0.0"). */
  readonly version?: string;
  /** The data of a brand-new cluster. */
  readonly initialData: () => D;
  /**
   * Commands by case-insensitive name. The name `*` is the catch-all: it
   * runs for any command no other entry names.
   */
  readonly commands: { readonly [name: string]: Command<D> };
  /**
   * Gives commands `m.kv`, a Deno-KV-compatible store replicated with the
   * data and snapshotted with it (default false).
   */
  readonly kv?: boolean;
  /** Runs in the machine on every TICK (every 200 ms of leader time), like a write. */
  readonly tick?: (m: Machine<D>) => void;
  /**
   * A client connected. Return false to refuse it, or an object whose
   * `context` becomes the connection's context (intermediate commands see it).
   */
  readonly connOpened?: (conn: ConnectionInfo) => boolean | { readonly context?: unknown };
  /** A client's connection closed. */
  readonly connClosed?: (conn: ConnectionInfo & { readonly context: unknown }) => void;
  /** Sees (and may replace) every reply before it is sent. */
  readonly responseFilter?: (args: Args, reply: ReplyValue, conn: ConnectionInfo & { readonly context: unknown }) => ReplyValue;
  /** This node's Raft role changed. Runs on this node only, outside the machine. */
  readonly stateChange?: (state: NodeState) => void;
  /** Other protocols served on the node's port, chosen by a connection's first bytes. */
  readonly services?: readonly Service[];
}

/**
 * A custom service sharing the node's port (e.g. HTTP). The node reads a
 * connection's first bytes; the first service whose `sniff` accepts them
 * gets the socket (RESP gets the rest).
 */
export interface Service {
  /** For the log. */
  readonly name: string;
  /** True when a connection starting with these bytes is this service's. */
  sniff(firstBytes: Uint8Array): boolean;
  /** Serves the connection; `firstBytes` were already read from it. */
  serve(connection: ServiceConnection, firstBytes: Uint8Array, api: ServiceApi): void;
}

/**
 * The byte stream a service serves: what it may do with the connection. A
 * `node:net` Socket is one; so is anything else that behaves the same way.
 */
export interface ServiceConnection {
  /** Sends bytes (queued if the socket is busy). */
  write(bytes: Uint8Array): unknown;
  /** Closes this side once everything written is sent. */
  end(): unknown;
  /** Stops delivering `data` until `resume` (back-pressure). */
  pause(): unknown;
  /** Delivers `data` again after `pause`. */
  resume(): unknown;
  /** True between `pause` and `resume`. */
  isPaused(): boolean;
  /** Bytes from the client. */
  on(event: "data", listener: (chunk: Uint8Array) => void): unknown;
  /** The connection is gone. */
  on(event: "close", listener: () => void): unknown;
  /** A socket error (a close follows). */
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** What a service can do with the node. */
export interface ServiceApi {
  /**
   * Runs a command as a client of this node would: writes go through the
   * log (and redirect with MOVED on a follower), reads are linearizable.
   * Resolves with the reply (errors as Error values). The service's
   * connection is one client: on a node with `--auth` it answers NOAUTH
   * until `send(["AUTH", password])` succeeded on that connection (a wrong
   * password is slowed like any client's).
   */
  send(args: readonly (string | Uint8Array)[]): Promise<ReplyValue>;
  /** The Raft state, as RAFT INFO reports it. */
  status(): Record<string, string>;
}

/** What hooks learn about a client connection. */
export interface ConnectionInfo {
  /** The client's `host:port`. */
  readonly remoteAddress: string;
}

/** A node's role, as `stateChange` reports it. */
export type NodeState = "leader" | "follower" | "candidate" | "shutdown";

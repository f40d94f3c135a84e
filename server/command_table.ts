/**
 * The table of commands a node answers, and the dispatcher that looks a
 * request up in it: case-insensitive names, Redis-style arity, and the
 * authentication gate.
 */
import type { Client, ConcurrencyOf, Dispatch } from "./client_connection.ts";
import type { Concurrency } from "./command_sequencer.ts";
import type { ReplyValue } from "../api/reply.ts";

export interface CommandSpec {
  /** Lower-case command name. */
  readonly name: string;
  /** Redis convention, counting the name: n means exactly n, -n at least n. */
  readonly arity: number;
  /** One line for COMMAND DOCS and help. */
  readonly summary: string;
  /** COMMAND DOCS group, e.g. "connection". */
  readonly group: string;
  /**
   * How it may overlap its neighbours on a connection (see
   * command_sequencer.ts). Default "exclusive": it waits for every earlier
   * command and holds back every later one.
   */
  readonly concurrency?: Concurrency;
  /** COMMAND INFO flags, e.g. "write", "readonly" ("no-auth" is added for allowedUnauthenticated). */
  readonly flags?: readonly string[];
  /** May run before AUTH (AUTH, HELLO, QUIT). */
  readonly allowedUnauthenticated?: boolean;
  readonly run: (conn: Client, args: Uint8Array[]) => ReplyValue | Promise<ReplyValue>;
}

const decoder = new TextDecoder();

/** Decodes an argument as UTF-8 text. */
export function argText(arg: Uint8Array): string {
  return decoder.decode(arg);
}

export class CommandTable {
  readonly #specs = new Map<string, CommandSpec>();
  #catchAll: CommandSpec | undefined;

  /** Answers every name the table does not hold (an app's `*` command). */
  setCatchAll(spec: CommandSpec): this {
    if (this.#catchAll) throw new Error("the catch-all command is defined twice");
    this.#catchAll = spec;
    return this;
  }

  /** The spec for `name` (any case), else the catch-all, else undefined. */
  lookup(name: string): CommandSpec | undefined {
    return this.#specs.get(name.toLowerCase()) ?? this.#catchAll;
  }

  /** Adds commands; a name already present is a programming error. */
  add(...specs: CommandSpec[]): this {
    for (const spec of specs) {
      const name = spec.name.toLowerCase();
      if (this.#specs.has(name)) throw new Error(`command '${name}' is defined twice`);
      this.#specs.set(name, spec);
    }
    return this;
  }

  get(name: string): CommandSpec | undefined {
    return this.#specs.get(name.toLowerCase());
  }

  all(): CommandSpec[] {
    return [...this.#specs.values()];
  }
}

/** True when `argCount` (including the name) satisfies `arity`. */
export function arityAllows(arity: number, argCount: number): boolean {
  return arity >= 0 ? argCount === arity : argCount >= -arity;
}

/**
 * A dispatcher over `table` (looked up at each call, so commands added
 * later count). With `requiresAuth`, every command not marked
 * `allowedUnauthenticated` answers NOAUTH until the connection has run AUTH.
 */
export function createDispatch(table: CommandTable, requiresAuth: boolean): Dispatch {
  return (conn, args) => {
    const name = argText(args[0]).toLowerCase();
    const spec = table.lookup(name);
    if (requiresAuth && !conn.authenticated && !spec?.allowedUnauthenticated) {
      return new Error("NOAUTH Authentication required.");
    }
    if (spec === undefined) return new Error(`unknown command '${name}'`);
    if (!arityAllows(spec.arity, args.length)) {
      return new Error(`wrong number of arguments for '${name}' command`);
    }
    return spec.run(conn, args);
  };
}

/** Each request's concurrency, from the spec its name selects (unknown names run exclusively). */
export function createConcurrencyOf(table: CommandTable): ConcurrencyOf {
  return (args) => table.lookup(argText(args[0]))?.concurrency ?? "exclusive";
}

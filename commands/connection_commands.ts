/**
 * Commands every node answers on the connection itself, without Raft:
 * PING, ECHO, QUIT, AUTH, HELLO and COMMAND.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { argText, type CommandSpec, type CommandTable } from "../server/command_table.ts";
import { resp, type ReplyValue } from "../api/reply.ts";
import { parseHostPort } from "../api/host_port.ts";
import { type AuthFailure, AuthThrottle } from "../server/auth_throttle.ts";

export interface ConnectionCommandOptions {
  /** The `--auth` secret; undefined when the server is open. */
  readonly password: string | undefined;
  /** Reported by HELLO. */
  readonly serverName: string;
  readonly serverVersion: string;
  /** COMMAND lists this table (the node's whole command table). */
  readonly table: CommandTable;
  /** For INFO's Clients section. */
  readonly connectedClients: () => number;
  /** Slows password guessing per source address (default: DEFAULT_AUTH_THROTTLE). */
  readonly authThrottle?: AuthThrottle;
  /** An address's answers are slowed (at most once per address per minute). */
  readonly onGuessing?: (host: string, failure: AuthFailure) => void;
}

const startedAt = Date.now();

/** The IP of "ip:port" ("[v6]:port"): failures are counted per host, whatever the port. */
function hostOf(remoteAddress: string): string {
  const parsed = parseHostPort(remoteAddress);
  return typeof parsed === "string" ? remoteAddress : parsed.host;
}

function digest(text: string | Uint8Array): Uint8Array {
  return createHash("sha256").update(text).digest();
}

/** The PING, ECHO, QUIT, AUTH, HELLO and COMMAND specs. */
export function connectionCommands(options: ConnectionCommandOptions): CommandSpec[] {
  const expected = options.password === undefined ? undefined : digest(options.password);

  const throttle = options.authThrottle ?? new AuthThrottle();

  /** Compares in constant time (digests of equal length, timingSafeEqual). */
  const check = (conn: { authenticated: boolean; remoteAddress: string }, user: string, password: Uint8Array, host: string) => {
    if (user !== "default" || !timingSafeEqual(digest(password), expected!)) {
      const failure = throttle.failed(host, Date.now());
      if (failure.report) options.onGuessing?.(host, failure);
      // The same words as Redis; never the password given.
      return new Error("invalid password");
    }
    throttle.succeeded(host);
    conn.authenticated = true;
    return undefined;
  };

  /**
   * Checks a password the way Redis 6 does; the connection is unchanged on
   * failure. After repeated failures from the connection's address the
   * answer comes later (see AuthThrottle).
   */
  const authenticate = (
    conn: { authenticated: boolean; remoteAddress: string },
    user: string,
    password: Uint8Array,
  ): Error | undefined | Promise<Error | undefined> => {
    if (expected === undefined) {
      return new Error(
        "ERR AUTH <password> called without any password configured for the default user. " +
          "Are you sure your configuration is correct?",
      );
    }
    const host = hostOf(conn.remoteAddress);
    const waitMs = throttle.admit(host, Date.now());
    if (waitMs === 0) return check(conn, user, password, host);
    return new Promise((resolve) => setTimeout(() => resolve(check(conn, user, password, host)), waitMs));
  };

  return [
    {
      name: "ping",
      arity: -1,
      concurrency: "read",
      group: "connection",
      summary: "Returns PONG, or the message given.",
      run: (_conn, args) => {
        if (args.length > 2) return new Error("wrong number of arguments for 'ping' command");
        return args.length === 2 ? args[1] : resp.simple("PONG");
      },
    },
    {
      name: "echo",
      arity: 2,
      concurrency: "read",
      group: "connection",
      summary: "Returns the message given.",
      run: (_conn, args) => args[1],
    },
    {
      name: "quit",
      arity: -1,
      group: "connection",
      summary: "Closes the connection after replying OK.",
      allowedUnauthenticated: true,
      run: (conn) => {
        conn.closeAfterReplies();
        return resp.ok;
      },
    },
    {
      name: "auth",
      arity: -2,
      group: "connection",
      summary: "AUTH password | AUTH default password: authenticates the connection.",
      allowedUnauthenticated: true,
      run: (conn, args) => {
        if (args.length > 3) return new Error("syntax error");
        const user = args.length === 3 ? argText(args[1]) : "default";
        const verdict = authenticate(conn, user, args[args.length - 1]);
        return verdict instanceof Promise ? verdict.then((error) => error ?? resp.ok) : verdict ?? resp.ok;
      },
    },
    {
      name: "hello",
      arity: -1,
      group: "connection",
      summary: "HELLO [2 [AUTH user password] [SETNAME name]]: handshake; only RESP2 is spoken.",
      allowedUnauthenticated: true,
      run: (conn, args) => {
        if (args.length > 1 && argText(args[1]) !== "2") {
          return new Error("NOPROTO unsupported protocol version");
        }
        let credentials: [user: string, password: Uint8Array] | undefined;
        for (let i = 2; i < args.length; i++) {
          const option = argText(args[i]).toLowerCase();
          if (option === "auth" && i + 2 < args.length) {
            credentials = [argText(args[i + 1]), args[i + 2]];
            i += 2;
          } else if (option === "setname" && i + 1 < args.length) {
            i += 1;
          } else {
            return new Error(`syntax error in HELLO option '${option}'`);
          }
        }
        const greet = (failed: Error | undefined): ReplyValue => {
          if (failed) return failed;
          if (expected !== undefined && !conn.authenticated) {
            return new Error("NOAUTH HELLO must be called with the client already authenticated");
          }
          return {
            server: options.serverName,
            version: options.serverVersion,
            proto: resp.int(2),
            id: resp.int(conn.id),
            mode: "standalone",
            role: "master",
            modules: [],
          };
        };
        if (credentials === undefined) return greet(undefined);
        const verdict = authenticate(conn, ...credentials);
        return verdict instanceof Promise ? verdict.then(greet) : greet(verdict);
      },
    },
    {
      name: "info",
      arity: -1,
      group: "server",
      summary: "INFO [section]: server facts in Redis's INFO text format (clients read 'loading').",
      run: () => {
        const lines = [
          "# Server",
          `uhaha_version:${options.serverVersion}`,
          `process_id:${process.pid}`,
          `uptime_in_seconds:${Math.floor((Date.now() - startedAt) / 1000)}`,
          "",
          "# Clients",
          `connected_clients:${options.connectedClients()}`,
          "",
          "# Persistence",
          "loading:0",
          "",
        ];
        return lines.join("\r\n");
      },
    },
    {
      name: "proxyhop",
      arity: 1,
      group: "cluster",
      summary: "Marks this connection as another node's leader proxy (--proxy): nothing it sends is forwarded again.",
      run: (conn) => {
        conn.fromProxy = true;
        return resp.ok;
      },
    },
    {
      name: "command",
      arity: -1,
      group: "server",
      summary: "COMMAND [COUNT|LIST|INFO name…|DOCS [name…]]: describes the commands.",
      run: (_conn, args) => describeCommands(options.table, args.slice(1).map(argText)),
    },
  ];
}

/** COMMAND and its sub-commands, in the shapes redis-cli and ioredis read. */
function describeCommands(table: CommandTable, args: string[]): ReplyValue {
  const sub = (args[0] ?? "").toLowerCase();
  const named = (names: string[]) =>
    names.length === 0 ? table.all() : names.map((name) => table.get(name));
  switch (sub) {
    case "":
      return table.all().map(commandInfo);
    case "count":
      return resp.int(table.all().length);
    case "list":
      return table.all().map((spec) => spec.name);
    case "info":
      return named(args.slice(1)).map((spec) => (spec ? commandInfo(spec) : resp.nullArray));
    case "docs": {
      const docs = new Map<string, ReplyValue>();
      for (const spec of named(args.slice(1))) {
        if (spec) docs.set(spec.name, { summary: spec.summary, since: "0.1.0", group: spec.group });
      }
      return docs;
    }
    default:
      return new Error(`unknown subcommand '${args[0]}'. Try COMMAND HELP.`);
  }
}

/** The classic six-field COMMAND INFO entry. */
function commandInfo(spec: CommandSpec): ReplyValue {
  const flags = [...(spec.flags ?? []), ...(spec.allowedUnauthenticated ? ["no-auth"] : [])].map(resp.simple);
  return [spec.name, resp.int(spec.arity), flags, resp.int(0), resp.int(0), resp.int(0)];
}

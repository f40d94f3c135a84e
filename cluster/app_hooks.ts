/**
 * Where the application's hooks meet the node: connection open/close,
 * response filtering, command observers (MONITOR) and the client that
 * services send commands as. A hook's exception is logged, never fatal.
 */
import type { Socket } from "node:net";
import type { App } from "../api/app.ts";
import { type Client, type ClientConnection, type Dispatch, newClientId, remoteAddressOf } from "../server/client_connection.ts";
import { argText } from "../server/command_table.ts";
import type { ReplyValue } from "../api/reply.ts";
import type { Logger } from "../raft/logger.ts";
import type { NodeContext } from "../commands/node_context.ts";

/**
 * The client a service's `send` runs as, one per service connection, with
 * no socket of its own to reply on. Like a RESP client it starts
 * authenticated only on a node without --auth; else the service sends AUTH
 * (kvdb's HTTP service does, from a bearer token).
 */
export class ServiceClient implements Client {
  readonly id = newClientId();
  readonly remoteAddress: string;
  authenticated: boolean;
  fromProxy = false;
  context: unknown = undefined;
  readonly gone: Promise<void>;
  constructor(socket: Socket, authenticated: boolean) {
    this.authenticated = authenticated;
    this.remoteAddress = remoteAddressOf(socket);
    this.gone = new Promise((resolve) => socket.once("close", () => resolve()));
  }
  closeAfterReplies(): void {}
  push(): void {}
}

/** Runs an application hook; a hook's exception is logged, never fatal. */
export function callHook(log: Logger, name: string, run: () => void): void {
  try {
    run();
  } catch (error) {
    log.warn(`${name} hook failed: ${(error as Error).message}`);
  }
}

export function connectionOpened(app: App<unknown>, conn: ClientConnection, log: Logger): boolean {
  if (!app.connOpened) return true;
  try {
    const verdict = app.connOpened({ remoteAddress: conn.remoteAddress });
    if (verdict === false) return false;
    if (typeof verdict === "object" && verdict !== null && "context" in verdict) conn.context = verdict.context;
    return true;
  } catch (error) {
    log.warn(`connOpened hook failed, refusing ${conn.remoteAddress}: ${(error as Error).message}`);
    return false;
  }
}

const REDACTED = new TextEncoder().encode("(redacted)");

/**
 * The arguments as observers may see them: AUTH's, and HELLO's from its
 * AUTH option on, are replaced by "(redacted)" (as Redis's MONITOR hides
 * them), so no password reaches a MONITOR client.
 */
export function redactSecrets(args: Uint8Array[]): Uint8Array[] {
  const name = argText(args[0]).toLowerCase();
  if (name === "auth") return [args[0], REDACTED];
  if (name !== "hello") return args;
  const at = args.findIndex((arg, i) => i > 1 && argText(arg).toLowerCase() === "auth");
  return at < 0 ? args : [...args.slice(0, at + 1), REDACTED];
}

/** Tells MONITOR-like observers about every command before it runs (passwords hidden). */
export function observeCommands(node: NodeContext, dispatch: Dispatch): Dispatch {
  return (conn, rawArgs) => {
    if (node.commandObservers.size > 0) {
      const event = {
        timeMs: performance.timeOrigin + performance.now(),
        remoteAddress: conn.remoteAddress,
        args: redactSecrets(rawArgs),
      };
      for (const listener of node.commandObservers) {
        try {
          listener(event);
        } catch (error) {
          node.log.warn(`command observer failed: ${(error as Error).message}`);
        }
      }
    }
    return dispatch(conn, rawArgs);
  };
}

/** Applies the app's responseFilter to every reply (sync or async). */
export function filterResponses(app: App<unknown>, dispatch: Dispatch, log: Logger): Dispatch {
  const filter = app.responseFilter;
  if (!filter) return dispatch;
  return (conn, rawArgs) => {
    // The node that forwarded it filters the reply, with its client's context.
    if (conn.fromProxy) return dispatch(conn, rawArgs);
    const apply = (reply: ReplyValue): ReplyValue => {
      try {
        return filter(rawArgs.map(argText), reply, { remoteAddress: conn.remoteAddress, context: conn.context });
      } catch (error) {
        log.warn(`responseFilter hook failed: ${(error as Error).message}`);
        return reply;
      }
    };
    const reply = dispatch(conn, rawArgs);
    return reply instanceof Promise ? reply.then(apply) : apply(reply);
  };
}

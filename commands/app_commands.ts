/**
 * Turns an App's commands into the node's command table: writes go through
 * the batcher and the log (leader only), reads through ReadIndex (or local
 * state with --openreads), intermediates run on the connection. Their
 * order on a connection is the connection's business (command_sequencer.ts):
 * writes are "write", reads "read", intermediates "exclusive".
 */
import { asError } from "../api/errors.ts";
import type { Client } from "../server/client_connection.ts";
import { argText, type CommandSpec } from "../server/command_table.ts";
import type { ReplyValue } from "../api/reply.ts";
import { type Command, type Intermediate, isRewrite, Rewrite } from "../api/app.ts";
import type { WriteBatcher } from "../machine/write_batcher.ts";
import type { NodeContext } from "./node_context.ts";
import { toClientError, writeElsewhere } from "./client_errors.ts";

const encoder = new TextEncoder();

export function runAppCommand(
  node: NodeContext,
  batcher: WriteBatcher,
  command: Command<unknown>,
  conn: Client,
  rawArgs: Uint8Array[],
): ReplyValue | Promise<ReplyValue> {
  switch (command.kind) {
    case "write": {
      const elsewhere = writeElsewhere(node, conn, rawArgs);
      if (elsewhere) return elsewhere;
      const untimed = node.time.writeRefusal();
      if (untimed) return untimed;
      if (!node.machine.ticked) return new Error("TRYAGAIN machine time is not known yet; retry shortly");
      return batcher.write(rawArgs).then(
        (result) => result as ReplyValue,
        (error) => toClientError(error, node),
      );
    }
    case "read":
      return (async () => {
        if (!node.openReads) {
          const forwarded = node.proxy?.forward(conn, rawArgs, false);
          if (forwarded) return await forwarded;
          try {
            await node.driver.linearizableRead();
          } catch (error) {
            return toClientError(error, node);
          }
        } else if (!node.isLoaded()) {
          return new Error("LOADING node is still applying its log; local state is behind");
        } else if (node.driver.status.leaderId === 0 && node.driver.status.role !== "leader") {
          return new Error("CLUSTERDOWN no leader known, local state may be far behind");
        }
        return node.machine.read(rawArgs);
      })();
    case "intermediate":
      return (async () => {
        const args = rawArgs.map(argText);
        try {
          const reply = await command.run(intermediateView(node, conn, rawArgs), args);
          if (!isRewrite(reply)) return reply;
          const rewritten = reply.args.map((arg) => typeof arg === "string" ? encoder.encode(arg) : arg);
          if (rewritten.length === 0) return new Error("an intermediate command rewrote itself to nothing");
          return await node.dispatch(conn, rewritten);
        } catch (error) {
          return asError(error);
        }
      })();
  }
}

function intermediateView(node: NodeContext, conn: Client, rawArgs: readonly Uint8Array[]): Intermediate {
  return {
    get context() {
      return conn.context;
    },
    set context(value: unknown) {
      conn.context = value;
    },
    remoteAddress: conn.remoteAddress,
    rawArgs,
    rewrite: (args) => new Rewrite(args),
    takeOver: () => ({ push: (value) => conn.push(value), gone: conn.gone }),
    observeCommands: (listener) => {
      node.commandObservers.add(listener);
      const stop = () => void node.commandObservers.delete(listener);
      void conn.gone.then(stop);
      return stop;
    },
  };
}

/**
 * One CommandSpec per app command, with the arity it declares (default -1:
 * any count) and its COMMAND INFO flags, plus the catch-all if any. The
 * dispatcher checks the arity before `run`, so before a follower's MOVED,
 * as Redis checks arity before a cluster redirect. The app passed
 * validateApp before a node was built.
 */
export function appCommandSpecs(
  node: NodeContext,
  batcher: WriteBatcher,
): { specs: CommandSpec[]; catchAll: CommandSpec | undefined } {
  const toSpec = (name: string, command: Command<unknown>): CommandSpec => ({
    name,
    arity: command.arity ?? -1,
    flags: commandFlags(command),
    concurrency: command.kind === "intermediate" ? "exclusive" : command.kind,
    group: node.app.name,
    summary: `${node.app.name} ${command.kind} command`,
    run: (conn, args) => runAppCommand(node, batcher, command, conn, args),
  });
  const specs: CommandSpec[] = [];
  let catchAll: CommandSpec | undefined;
  for (const [name, command] of Object.entries(node.app.commands)) {
    if (name === "*") catchAll = toSpec("*", command);
    else specs.push(toSpec(name.toLowerCase(), command));
  }
  return { specs, catchAll };
}

/** The flags COMMAND INFO reports: the one the kind implies (write, readonly), then those declared. */
function commandFlags(command: Command<unknown>): string[] {
  const implied = command.kind === "write" ? ["write"] : command.kind === "read" ? ["readonly"] : [];
  return [...new Set<string>([...implied, ...(command.flags ?? [])])];
}

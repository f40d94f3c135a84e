/**
 * The node's command table: connection commands, the built-ins (MACHINE,
 * RAFT, CLUSTER …) and the app's commands, behind one dispatcher. An app
 * command may not take a built-in's name.
 */
import type { App } from "../api/app.ts";
import { appCommandSpecs } from "../commands/app_commands.ts";
import { clusterCommand } from "../commands/cluster_commands.ts";
import { connectionCommands } from "../commands/connection_commands.ts";
import { machineCommands } from "../commands/machine_commands.ts";
import type { NodeContext } from "../commands/node_context.ts";
import { raftCommand } from "../commands/raft_commands.ts";
import type { WriteBatcher } from "../machine/write_batcher.ts";
import type { ConcurrencyOf, Dispatch } from "../server/client_connection.ts";
import { argText, type CommandTable, createConcurrencyOf } from "../server/command_table.ts";
import type { CommandKindOf } from "../ops/node_metrics.ts";
import { filterResponses, observeCommands } from "./app_hooks.ts";
import type { AuthThrottle } from "../server/auth_throttle.ts";

export interface WiredCommands {
  /** What clients' commands go through: MONITOR observers and the app's response filter around the table. */
  readonly clientDispatch: Dispatch;
  readonly concurrencyOf: ConcurrencyOf;
  /** Whether a request is a write or a read, by its command's COMMAND INFO flags (for the counters). */
  readonly kindOf: CommandKindOf;
}

/** Fills `table` (which `node.dispatch` looks commands up in) for `app`. */
export function wireCommands(
  table: CommandTable,
  node: NodeContext,
  batcher: WriteBatcher,
  options: { readonly password: string | undefined; readonly authThrottle: AuthThrottle; readonly connectedClients: () => number },
): WiredCommands {
  const app: App<unknown> = node.app;
  table.add(...connectionCommands({
    password: options.password,
    authThrottle: options.authThrottle,
    serverName: app.name,
    serverVersion: node.appVersion,
    table,
    connectedClients: options.connectedClients,
    onGuessing: (host, failure) =>
      node.log.warn(
        `${failure.failures} wrong passwords from ${host}: its AUTH answers are now delayed ` +
          `(${failure.nextDelayMs} ms, growing while it keeps failing; reported at most once a minute)`,
      ),
  }));
  table.add(...machineCommands(node), raftCommand(node), clusterCommand(node));
  const { specs, catchAll } = appCommandSpecs(node, batcher);
  for (const spec of specs) {
    if (table.get(spec.name)) throw new Error(`command '${spec.name}' of ${app.name} clashes with a built-in command`);
    table.add(spec);
  }
  if (catchAll) table.setCatchAll(catchAll);
  return {
    clientDispatch: observeCommands(node, filterResponses(app, node.dispatch, node.log)),
    concurrencyOf: createConcurrencyOf(table),
    kindOf: (args) => {
      const flags = table.lookup(argText(args[0]))?.flags;
      return flags?.includes("write") ? "write" : flags?.includes("readonly") ? "read" : undefined;
    },
  };
}

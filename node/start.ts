/**
 * Starts a node from parsed flags: reads the TLS files, builds the command
 * table, listens, and stops cleanly on SIGINT/SIGTERM.
 */
import { readFileSync } from "node:fs";
import { CommandTable, createDispatch } from "../server/command_table.ts";
import { connectionCommands } from "../server/connection_commands.ts";
import { RespServer } from "../server/resp_server.ts";
import type { NodeFlags } from "./flags.ts";
import type { Logger } from "./logger.ts";
import { UHAHA_VERSION } from "./version.ts";

export interface RunningNode {
  readonly port: number;
  /** Stops listening and closes every connection. */
  stop(): Promise<void>;
}

/** Reads a file named by a flag, or throws an error saying which flag and why. */
function readFlagFile(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${flag} '${path}': ${(error as Error).message}`);
  }
}

export async function startNode(flags: NodeFlags, log: Logger): Promise<RunningNode> {
  log.info(`starting uhaha version ${UHAHA_VERSION}`);
  const tls = flags.tlsCertPath !== undefined && flags.tlsKeyPath !== undefined
    ? { cert: readFlagFile(flags.tlsCertPath, "--tls-cert"), key: readFlagFile(flags.tlsKeyPath, "--tls-key") }
    : undefined;
  const features = [tls && "tls", flags.auth !== undefined && "auth"].filter(Boolean);
  if (features.length > 0) log.info(`features: ${features.join(", ")}`);
  log.info(`node: ${flags.nodeId}`);

  let server: RespServer | undefined;
  const table = new CommandTable();
  table.add(...connectionCommands({
    password: flags.auth,
    serverName: "uhaha",
    serverVersion: UHAHA_VERSION,
    table,
    connectedClients: () => server?.connectionCount ?? 0,
  }));
  server = await RespServer.listen({
    address: flags.listen,
    dispatch: createDispatch(table, flags.auth !== undefined),
    open: flags.auth === undefined,
    tls,
    onProblem: (conn, message) => log.verb(`client ${conn.remoteAddress}: ${message}`),
  });
  const shown = flags.listen.host === "" ? `:${server.port}` : `${flags.listen.host}:${server.port}`;
  log.info(`server listening at ${shown}`);
  const listening = server;
  return {
    port: listening.port,
    stop: () => listening.close(),
  };
}

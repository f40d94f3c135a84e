/** VERSION, MACHINE [HUMAN], BARRIER and SHUTDOWN. */
import { goDuration } from "../api/go_duration.ts";
import type { CommandSpec } from "../server/command_table.ts";
import { argText } from "../server/command_table.ts";
import { resp } from "../api/reply.ts";
import { encodeBatch } from "../machine/log_payload.ts";
import type { NodeContext } from "./node_context.ts";
import { toClientError, writeElsewhere } from "./client_errors.ts";

/** RFC 3339 with nanoseconds, UTC: 2026-11-26T09:05:07.042000001Z. */
export function rfc3339Nanos(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // ...SS.mmmZ
  const fraction = String(ns % 1_000_000_000n).padStart(9, "0");
  return `${iso.slice(0, 19)}.${fraction}Z`;
}

export function machineCommands(node: NodeContext): CommandSpec[] {
  return [
    {
      name: "version",
      arity: 1,
      group: "server",
      summary: "The application's name and version.",
      run: () => `${node.app.name} version ${node.appVersion}`,
    },
    {
      name: "machine",
      arity: -1,
      group: "server",
      summary: "MACHINE [HUMAN]: machine boot time, time and uptime (leader, or any node with --openreads).",
      run: async (conn, args) => {
        if (args.length > 2) return new Error("wrong number of arguments for 'machine' command");
        const human = args.length === 2;
        if (human && !["human", "h"].includes(argText(args[1]).toLowerCase())) return new Error("syntax error");
        if (!node.openReads) {
          const forwarded = node.proxy?.forward(conn, args, false);
          if (forwarded) return await forwarded;
          try {
            await node.driver.linearizableRead();
          } catch (error) {
            return toClientError(error, node);
          }
        }
        const { bootNs, timeNs } = node.machine;
        const uptime = timeNs - bootNs;
        return human
          ? { boottime: rfc3339Nanos(bootNs), now: rfc3339Nanos(timeNs), uptime: goDuration(uptime) }
          : { boottime: String(bootNs), now: String(timeNs), uptime: String(uptime) };
      },
    },
    {
      name: "barrier",
      arity: 1,
      group: "cluster",
      summary: "Replies OK once everything before it is committed and applied (leader only).",
      run: async (conn, args) => {
        const elsewhere = writeElsewhere(node, conn, args);
        if (elsewhere) return await elsewhere;
        try {
          await node.driver.propose(encodeBatch([]));
          return resp.ok;
        } catch (error) {
          return toClientError(error, node);
        }
      },
    },
    {
      name: "shutdown",
      arity: -1,
      group: "server",
      summary: "Stops this node.",
      run: (conn) => {
        node.log.info("SHUTDOWN requested by " + conn.remoteAddress);
        conn.closeAfterReplies();
        setImmediate(() => node.shutdown());
        return resp.ok;
      },
    },
  ];
}

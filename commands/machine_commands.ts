/** VERSION, MACHINE [HUMAN], BARRIER and SHUTDOWN. */
import type { CommandSpec } from "../server/command_table.ts";
import { argText } from "../server/command_table.ts";
import { resp } from "../api/reply.ts";
import { encodeBatch } from "../machine/log_payload.ts";
import type { NodeContext } from "./node_context.ts";
import { leaderRedirect, toClientError } from "./client_errors.ts";

/** RFC 3339 with nanoseconds, UTC: 2026-11-26T09:05:07.042000001Z. */
export function rfc3339Nanos(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // ...SS.mmmZ
  const fraction = String(ns % 1_000_000_000n).padStart(9, "0");
  return `${iso.slice(0, 19)}.${fraction}Z`;
}

/** A Go-style duration: 1h2m3.5s, 31.700387018s, 250ms. */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return "0s"; // as Go's Duration.String
  if (ns < 1_000_000_000n) {
    if (ns >= 1_000_000n) return `${trimFraction(ns, 1_000_000n)}ms`;
    if (ns >= 1_000n) return `${trimFraction(ns, 1_000n)}µs`;
    return `${ns}ns`;
  }
  const hours = ns / 3_600_000_000_000n;
  const minutes = (ns / 60_000_000_000n) % 60n;
  const seconds = trimFraction(ns % 60_000_000_000n, 1_000_000_000n);
  return (hours ? `${hours}h` : "") + (hours || minutes ? `${minutes}m` : "") + `${seconds}s`;
}

function trimFraction(value: bigint, unit: bigint): string {
  const whole = value / unit;
  const fraction = String(value % unit).padStart(String(unit).length - 1, "0").replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : String(whole);
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
      run: async (_conn, args) => {
        if (args.length > 2) return new Error("wrong number of arguments for 'machine' command");
        const human = args.length === 2;
        if (human && !["human", "h"].includes(argText(args[1]).toLowerCase())) return new Error("syntax error");
        if (!node.openReads) {
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
      run: async () => {
        const redirect = leaderRedirect(node);
        if (redirect) return redirect;
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

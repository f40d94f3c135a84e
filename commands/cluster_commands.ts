/**
 * CLUSTER INFO|SLOTS|NODES|HELP: enough of Redis Cluster for cluster-aware
 * clients (ioredis' Cluster) to find the leader, which owns every slot.
 */
import { type HostPort, parseHostPort } from "../api/host_port.ts";
import { createHash } from "node:crypto";
import { argText, type CommandSpec } from "../server/command_table.ts";
import { resp } from "../api/reply.ts";
import type { NodeContext } from "./node_context.ts";

/** The 40-hex Redis Cluster node id of a server: SHA-1 of its id, as uhaha does. */
export function clusterNodeId(id: number): string {
  return createHash("sha1").update(String(id)).digest("hex");
}

/** A member's address as host and port (configurations hold only addresses that parsed). */
function splitAddress(address: string): HostPort {
  const parsed = parseHostPort(address);
  if (typeof parsed === "string") throw new Error(`member address '${address}' ${parsed}`);
  return parsed;
}

export function clusterCommand(node: NodeContext): CommandSpec {
  return {
    name: "cluster",
    arity: 2,
    group: "cluster",
    summary: "CLUSTER INFO|SLOTS|NODES|HELP: the cluster as Redis Cluster clients see it (the leader owns all slots).",
    run: (_conn, args) => {
      const driver = node.driver;
      const members = driver.status.config.members;
      const leaderAddress = driver.addressOf(driver.status.leaderId);
      switch (argText(args[1]).toLowerCase()) {
        case "info":
          // uhaha's text: "\n" line ends, both epochs the last log index. (uhaha
          // always says ok; we say fail, with no slots ok, while no leader is known.)
          return [
            `cluster_state:${leaderAddress ? "ok" : "fail"}`,
            "cluster_slots_assigned:16384",
            `cluster_slots_ok:${leaderAddress ? 16384 : 0}`,
            "cluster_slots_pfail:0",
            "cluster_slots_fail:0",
            `cluster_known_nodes:${members.length}`,
            `cluster_size:${members.length}`,
            `cluster_current_epoch:${driver.status.lastIndex}`,
            `cluster_my_epoch:${driver.status.lastIndex}`,
            "cluster_stats_messages_sent:0",
            "cluster_stats_messages_received:0",
          ].map((line) => line + "\n").join("");
        case "slots": {
          if (!leaderAddress) return new Error("CLUSTERDOWN The cluster is down");
          const { host, port } = splitAddress(leaderAddress);
          return [[resp.int(0), resp.int(16383), [host, resp.int(port), clusterNodeId(driver.status.leaderId)]]];
        }
        case "nodes":
          return members.map((m) => {
            const { port } = splitAddress(m.address);
            const isLeader = m.id === driver.status.leaderId;
            const flags = (m.id === node.nodeId ? "myself," : "") + (isLeader ? "master" : "slave");
            const master = isLeader ? "-" : (driver.status.leaderId ? clusterNodeId(driver.status.leaderId) : "-");
            return `${clusterNodeId(m.id)} ${m.address}@${port} ${flags} ${master} 0 0 ${driver.status.term} connected` +
              (isLeader ? " 0-16383" : "");
          }).join("\n") + "\n";
        case "help":
          return ["CLUSTER INFO", "CLUSTER SLOTS", "CLUSTER NODES", "CLUSTER HELP"].map((line) => resp.simple(line));
        default:
          return new Error(`unknown cluster command '${argText(args[1])}', try CLUSTER HELP`);
      }
    },
  };
}

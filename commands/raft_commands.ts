/**
 * The RAFT command family, with the Go uhaha's reply shapes (see COMPAT):
 * LEADER, INFO, SERVER LIST|ADD|REMOVE|PROMOTE|DEMOTE, SNAPSHOT
 * NOW|LIST|FILE|READ, TRANSFER, HELP.
 */
import { parseNodeId } from "../api/node_id.ts";
import * as path from "node:path";
import { argText, type CommandSpec } from "../server/command_table.ts";
import type { Client } from "../server/client_connection.ts";
import { type ReplyValue, resp } from "../api/reply.ts";
import type { ConfChange } from "../raft/core/types.ts";
import type { SnapshotInfo } from "../raft/storage/snapshot_store.ts";
import { globMatch } from "../api/glob.ts";
import { goDuration } from "../api/go_duration.ts";
import type { NodeContext } from "./node_context.ts";
import { toClientError } from "./client_errors.ts";
import type { TimeInfo } from "../time/time_source.ts";

const HELP = [
  "RAFT LEADER",
  "RAFT INFO [pattern ...]",
  "RAFT SERVER LIST",
  "RAFT SERVER ADD id address [NONVOTER]",
  "RAFT SERVER REMOVE id",
  "RAFT SERVER PROMOTE id",
  "RAFT SERVER DEMOTE id",
  "RAFT SNAPSHOT NOW",
  "RAFT SNAPSHOT LIST",
  "RAFT SNAPSHOT FILE id",
  "RAFT SNAPSHOT READ id [RANGE offset limit]",
  "RAFT TRANSFER id",
  "RAFT HELP",
];

/** The error code of a duplicate id refusal, as `-j` recognizes it. */
export const DUPLICATE_ID_CODE = "DUPLICATEID";

const wrongArity = () => new Error("wrong number of arguments, try RAFT HELP");
const STATE_NAMES = { follower: "Follower", preCandidate: "Candidate", candidate: "Candidate", leader: "Leader" } as const;

function parseId(text: string): number | Error {
  const id = parseNodeId(text);
  return typeof id === "number" ? id : new Error(`invalid server id '${text}': must be a positive integer`);
}

/**
 * A RAFT SERVER ADD of an id the configuration holds already, otherwise:
 * another address is another node claiming the id (a `-j` joiner stops on
 * this reply, see cluster/join.ts); the same address is a change of role.
 */
function duplicateIdError(id: number, existing: { address: string; voter: boolean }, address: string): Error {
  if (existing.address !== address) {
    return new Error(`${DUPLICATE_ID_CODE} node id ${id} is already in the cluster at ${existing.address}, not ${address}: ` +
      `two nodes cannot share an id; remove node ${id} first, or use another id`);
  }
  const role = existing.voter ? "voter" : "nonvoter";
  return new Error(`server ${id} is already a member at ${existing.address} as a ${role}; use RAFT SERVER ${existing.voter ? "DEMOTE" : "PROMOTE"}`);
}

function snapshotReply(info: SnapshotInfo): ReplyValue {
  return { id: info.id, size: info.size, timestamp: String(BigInt(Math.trunc(info.time)) * 1_000_000n) };
}

/**
 * The keys uhaha's `RAFT INFO` answers (hashicorp/raft's stats and uhaha's
 * two `logs_*`), in its order: uhaha writes its map sorted by key.
 */
export const UHAHA_RAFT_INFO_KEYS = [
  "applied_index",
  "commit_index",
  "fsm_pending",
  "id",
  "last_contact",
  "last_log_index",
  "last_log_term",
  "last_snapshot_index",
  "last_snapshot_term",
  "latest_configuration",
  "latest_configuration_index",
  "logs_behind",
  "logs_loaded_percent",
  "num_peers",
  "protocol_version",
  "protocol_version_max",
  "protocol_version_min",
  "snapshot_version_max",
  "snapshot_version_min",
  "state",
  "term",
  "voter",
] as const;

/** Our own keys, shown only when a pattern matches them (and in the HTTP status). */
type ExtraRaftInfoKey = "leader_id" | keyof TimeInfo;

/**
 * hashicorp/raft's `last_contact`: "0" on the leader, "never" before any
 * message from a leader, else the time since the last one as a Go duration.
 */
function lastContact(node: NodeContext): string {
  if (node.driver.status.role === "leader") return "0";
  const heardAt = node.driver.leaderHeardAt;
  if (heardAt === undefined) return "never";
  return goDuration(BigInt(Math.max(0, Math.round((performance.now() - heardAt) * 1e6))));
}

/** Every `RAFT INFO` key (uhaha's and ours) and its value, as strings. */
export function raftInfo(node: NodeContext): Record<(typeof UHAHA_RAFT_INFO_KEYS)[number] | ExtraRaftInfoKey, string> {
  const d = node.driver.status;
  const config = d.config;
  const self = config.members.find((m) => m.id === node.nodeId);
  const lastIndex = d.lastIndex;
  const loaded = node.startupLastIndex === 0 ? 100 : Math.min(100, (d.appliedIndex / node.startupLastIndex) * 100);
  return {
    applied_index: String(d.appliedIndex),
    commit_index: String(d.commitIndex),
    fsm_pending: "0",
    id: String(node.nodeId),
    last_contact: lastContact(node),
    last_log_index: String(lastIndex),
    last_log_term: String(d.termAt(lastIndex) ?? d.snapshotMeta.term),
    last_snapshot_index: String(d.snapshotMeta.index),
    last_snapshot_term: String(d.snapshotMeta.term),
    latest_configuration: "[" + config.members.map((m) =>
      `{Suffrage:${m.voter ? "Voter" : "Nonvoter"} ID:${m.id} Address:${m.address}}`
    ).join(" ") + "]",
    latest_configuration_index: String(d.configIndex),
    leader_id: String(d.leaderId),
    logs_behind: String(Math.max(0, d.commitIndex - d.appliedIndex)),
    logs_loaded_percent: loaded.toFixed(1),
    num_peers: String(Math.max(0, config.members.length - 1)),
    // The versions hashicorp/raft (and so uhaha) reports.
    protocol_version: "3",
    protocol_version_max: "3",
    protocol_version_min: "0",
    snapshot_version_max: "1",
    snapshot_version_min: "0",
    state: node.driver.failed ? "Shutdown" : STATE_NAMES[d.role],
    term: String(d.term),
    voter: String(self?.voter ?? false),
    ...node.time.info(),
  };
}

/**
 * `RAFT INFO [pattern …]`'s reply: without patterns exactly uhaha's keys;
 * with patterns every key, uhaha's or ours, that one of them matches.
 * Written as a flat map sorted by key, as uhaha does.
 */
export function selectRaftInfo(info: Readonly<Record<string, string>>, patterns: readonly string[]): Record<string, string> {
  if (patterns.length === 0) return Object.fromEntries(UHAHA_RAFT_INFO_KEYS.map((key) => [key, info[key]]));
  return Object.fromEntries(Object.entries(info).filter(([key]) => patterns.some((p) => globMatch(p, key))));
}

export function raftCommand(node: NodeContext): CommandSpec {
  const server = async (conn: Client, args: string[]): Promise<ReplyValue> => {
    const sub = (args[0] ?? "").toLowerCase();
    if (sub === "list") {
      if (args.length !== 1) return wrongArity();
      const leader = node.driver.status.leaderId;
      // uhaha's field order, not sorted.
      return node.driver.status.config.members.map((m) =>
        resp.orderedMap([
          ["id", String(m.id)],
          ["address", m.address],
          ["leader", String(m.id === leader)],
          ["voter", String(m.voter)],
        ])
      );
    }
    let change: ConfChange;
    if (sub === "add") {
      if (args.length !== 3 && args.length !== 4) return wrongArity();
      if (node.verifiedTls && !conn.certified) {
        // The password alone would let in a node whose certificate its peers then refuse.
        return new Error(
          "RAFT SERVER ADD needs a client TLS certificate this cluster trusts (--tls-ca); " +
            "a joining node presents its own (redis-cli: --cert file --key file)",
        );
      }
      if (args.length === 4 && args[3].toLowerCase() !== "nonvoter") return new Error("syntax error");
      const id = parseId(args[1]);
      if (id instanceof Error) return id;
      const existing = node.driver.status.config.members.find((m) => m.id === id);
      if (existing && existing.address === args[2] && existing.voter === (args.length === 3)) return true;
      if (existing) return duplicateIdError(id, existing, args[2]);
      change = args.length === 4 ? { type: "addLearner", id, address: args[2] } : { type: "addVoter", id, address: args[2] };
    } else if (sub === "remove" || sub === "promote" || sub === "demote") {
      if (args.length !== 2) return wrongArity();
      const id = parseId(args[1]);
      if (id instanceof Error) return id;
      // Unlike uhaha (which answers "1" for an unknown id), say so.
      if (!node.driver.status.config.members.some((m) => m.id === id)) return new Error(`unknown server id '${id}'`);
      change = { type: sub, id };
    } else {
      return new Error(`unknown raft server command '${args[0] ?? ""}', try RAFT HELP`);
    }
    try {
      await node.driver.changeMembership(change);
      return true;
    } catch (error) {
      return toClientError(error, node);
    }
  };

  const snapshot = async (args: string[]): Promise<ReplyValue> => {
    const sub = (args[0] ?? "").toLowerCase();
    if (sub === "now") {
      if (args.length !== 1) return wrongArity();
      return snapshotReply(await node.driver.snapshotNow());
    }
    if (sub === "list") {
      if (args.length !== 1) return wrongArity();
      return (await node.snapshots.list()).map(snapshotReply);
    }
    if (sub === "file" || sub === "read") {
      if (args.length < 2) return wrongArity();
      const id = args[1];
      let reader;
      try {
        reader = await node.snapshots.open(id);
      } catch {
        return new Error(`snapshot not found: ${path.join(node.snapshotDir, id)}`);
      }
      try {
        if (sub === "file") return args.length === 2 ? path.resolve(reader.file) : wrongArity();
        if (args.length === 2) return await reader.readRange(0, reader.info.size);
        if (args.length !== 5 || args[2].toLowerCase() !== "range") return new Error("syntax error");
        // As uhaha: `limit` bytes from `offset` (offset ≥ 0, limit > 0).
        const offset = Number(args[3]);
        const limit = Number(args[4]);
        if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(limit) || offset < 0 || limit <= 0) {
          return new Error("invalid range: expected offset >= 0 and limit > 0");
        }
        return await reader.readRange(offset, offset + limit);
      } finally {
        await reader.close();
      }
    }
    return new Error(`unknown raft snapshot command '${args[0] ?? ""}', try RAFT HELP`);
  };

  return {
    name: "raft",
    arity: -2,
    group: "cluster",
    summary: "RAFT LEADER|INFO|SERVER|SNAPSHOT|TRANSFER|HELP: inspect and manage the Raft cluster.",
    run: async (conn, rawArgs) => {
      const args = rawArgs.slice(1).map(argText);
      const sub = args[0].toLowerCase();
      // Membership changes and transfers are the leader's (--proxy forwards them there).
      const leaderOnly = sub === "transfer" || (sub === "server" && (args[1] ?? "").toLowerCase() !== "list");
      const forwarded = leaderOnly ? node.proxy?.forward(conn, rawArgs, true) : undefined;
      if (forwarded) return await forwarded;
      switch (sub) {
        case "leader":
          return args.length === 1 ? (node.driver.addressOf(node.driver.status.leaderId) ?? "") : wrongArity();
        case "info":
          return selectRaftInfo(raftInfo(node), args.slice(1));
        case "server":
          return await server(conn, args.slice(1));
        case "snapshot":
          return await snapshot(args.slice(1));
        case "transfer": {
          if (args.length !== 2) return wrongArity();
          const id = parseId(args[1]);
          if (id instanceof Error) return id;
          try {
            node.driver.transferLeadership(id);
            return resp.ok;
          } catch (error) {
            return toClientError(error, node);
          }
        }
        case "help":
          return HELP.map((line) => resp.simple(line));
        default:
          return new Error(`unknown raft command '${args[0]}', try RAFT HELP`);
      }
    },
  };
}

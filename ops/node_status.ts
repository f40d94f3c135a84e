/**
 * What GET /status answers and GET /metrics exposes: this node's Raft
 * state, storage and counters, and the cluster's members as this node knows
 * them (a leader knows each follower's match index; a follower knows who
 * leads). Collected on request: nothing here runs between scrapes.
 */
import { readdir, stat } from "node:fs/promises";
import * as path from "node:path";
import type { RaftStatus } from "../raft/driver.ts";
import type { SnapshotStore } from "../raft/storage/snapshot_store.ts";
import type { NodeMetrics } from "./node_metrics.ts";
import type { MetricFamily } from "./prometheus_text.ts";

export interface StatusSources {
  readonly nodeId: number;
  readonly address: string;
  readonly app: string;
  readonly version: string;
  readonly status: RaftStatus;
  readonly leaderAddress: () => string | undefined;
  /** The Raft log's directory (its `*.seg` files are measured). */
  readonly logDir: string;
  readonly snapshots: SnapshotStore;
  readonly connectedClients: () => number;
  readonly metrics: NodeMetrics;
}

export interface MemberStatus {
  readonly id: number;
  readonly address: string;
  readonly voter: boolean;
  /** "leader", or what this node believes the others are: "follower" (a voter), "nonvoter". */
  readonly role: string;
  readonly self: boolean;
  /** Highest log index known to be on that node (leader's view), null when this node cannot know. */
  readonly matchIndex: number | null;
  /** Entries that node is behind the leader's last index, null when this node cannot know. */
  readonly lag: number | null;
}

export interface NodeStatusReport {
  /** When collected, ms since the epoch. */
  readonly time: number;
  readonly node: {
    readonly id: number;
    readonly address: string;
    readonly app: string;
    readonly version: string;
    readonly role: string;
    readonly term: number;
    readonly leaderId: number;
    readonly leaderAddress: string | null;
    readonly commitIndex: number;
    readonly appliedIndex: number;
    readonly lastIndex: number;
  };
  readonly storage: {
    readonly logBytes: number;
    readonly logSegments: number;
    readonly snapshots: number;
    readonly lastSnapshotIndex: number | null;
    readonly lastSnapshotAgeSeconds: number | null;
  };
  readonly counters: {
    readonly writes: number;
    readonly reads: number;
    readonly appliedCommands: number;
    readonly connectedClients: number;
  };
  readonly nodes: readonly MemberStatus[];
}

export async function collectStatus(src: StatusSources): Promise<NodeStatusReport> {
  const now = Date.now();
  const s = src.status;
  const [log, snapshots] = await Promise.all([measureLog(src.logDir), src.snapshots.list().catch(() => [])]);
  const newest = snapshots[0];
  const progress = new Map(s.progress().map((p) => [p.id, p]));
  const nodes = s.config.members.map((member): MemberStatus => {
    const self = member.id === src.nodeId;
    const match = s.role === "leader" ? (self ? s.lastIndex : progress.get(member.id)?.match) : undefined;
    return {
      id: member.id,
      address: member.address,
      voter: member.voter,
      role: self ? s.role : member.id === s.leaderId ? "leader" : member.voter ? "follower" : "nonvoter",
      self,
      matchIndex: match ?? null,
      lag: match === undefined ? null : Math.max(0, s.lastIndex - match),
    };
  });
  return {
    time: now,
    node: {
      id: src.nodeId,
      address: src.address,
      app: src.app,
      version: src.version,
      role: s.role,
      term: s.term,
      leaderId: s.leaderId,
      leaderAddress: src.leaderAddress() ?? null,
      commitIndex: s.commitIndex,
      appliedIndex: s.appliedIndex,
      lastIndex: s.lastIndex,
    },
    storage: {
      logBytes: log.bytes,
      logSegments: log.segments,
      snapshots: snapshots.length,
      lastSnapshotIndex: newest?.index ?? null,
      lastSnapshotAgeSeconds: newest ? Math.max(0, (now - newest.createdMs) / 1000) : null,
    },
    counters: {
      writes: src.metrics.writes,
      reads: src.metrics.reads,
      appliedCommands: src.metrics.appliedCommands,
      connectedClients: src.connectedClients(),
    },
    nodes,
  };
}

/** Total size and number of the log's segment files (a segment removed meanwhile counts as gone). */
async function measureLog(dir: string): Promise<{ bytes: number; segments: number }> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith(".seg"));
  const sizes = await Promise.all(names.map((name) => stat(path.join(dir, name)).then((s) => s.size, () => undefined)));
  const present = sizes.filter((size): size is number => size !== undefined);
  return { bytes: present.reduce((a, b) => a + b, 0), segments: present.length };
}

const ROLES = ["leader", "follower", "candidate", "preCandidate"] as const;

/** The report and the histograms as Prometheus metric families. */
export function metricFamilies(report: NodeStatusReport, metrics: NodeMetrics): MetricFamily[] {
  const { node, storage, counters } = report;
  const gauge = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: "gauge", samples: [{ value }] });
  const peers = report.nodes.filter((member) => !member.self && member.matchIndex !== null);
  const families: MetricFamily[] = [
    { name: "uhaha_info", help: "The node's application and version (always 1).", type: "gauge", samples: [{ labels: { app: node.app, version: node.version, node: String(node.id), address: node.address }, value: 1 }] },
    gauge("uhaha_term", "Current Raft term.", node.term),
    { name: "uhaha_role", help: "1 for this node's current Raft role, 0 for the others.", type: "gauge", samples: ROLES.map((role) => ({ labels: { role }, value: role === node.role ? 1 : 0 })) },
    gauge("uhaha_leader_id", "Id of the leader this node knows (0: none).", node.leaderId),
    gauge("uhaha_commit_index", "Highest log index known to be committed.", node.commitIndex),
    gauge("uhaha_applied_index", "Highest log index applied to the machine.", node.appliedIndex),
    gauge("uhaha_last_log_index", "Index of the last entry in this node's log.", node.lastIndex),
    gauge("uhaha_log_bytes", "Size of the Raft log's segment files in bytes.", storage.logBytes),
    gauge("uhaha_log_segments", "Number of Raft log segment files.", storage.logSegments),
    gauge("uhaha_snapshots", "Snapshots stored on this node.", storage.snapshots),
  ];
  if (storage.lastSnapshotAgeSeconds !== null) {
    families.push(gauge("uhaha_last_snapshot_age_seconds", "Seconds since the newest snapshot was stored.", storage.lastSnapshotAgeSeconds));
    families.push(gauge("uhaha_last_snapshot_index", "Last log index the newest snapshot covers.", storage.lastSnapshotIndex ?? 0));
  }
  if (peers.length > 0) {
    const labels = (member: MemberStatus) => ({ peer: String(member.id), address: member.address });
    families.push(
      { name: "uhaha_peer_match_index", help: "Leader only: highest log index known to be on each peer.", type: "gauge", samples: peers.map((m) => ({ labels: labels(m), value: m.matchIndex! })) },
      { name: "uhaha_peer_lag_entries", help: "Leader only: entries each peer is behind the leader's last index.", type: "gauge", samples: peers.map((m) => ({ labels: labels(m), value: m.lag! })) },
    );
  }
  families.push(
    { name: "uhaha_apply_duration_seconds", help: "Time to apply one committed entry to the machine.", type: "histogram", histogram: metrics.applyLatency.snapshot() },
    { name: "uhaha_fsync_duration_seconds", help: "Time of one fdatasync/fsync of the Raft log.", type: "histogram", histogram: metrics.fsyncLatency.snapshot() },
    { name: "uhaha_commands_total", help: "Client commands received by this node, by kind (a forwarded one counts on both nodes).", type: "counter", samples: [{ labels: { kind: "write" }, value: counters.writes }, { labels: { kind: "read" }, value: counters.reads }] },
    { name: "uhaha_applied_commands_total", help: "Client commands applied to the machine.", type: "counter", samples: [{ value: counters.appliedCommands }] },
    gauge("uhaha_connected_clients", "RESP clients connected to this node.", counters.connectedClients),
  );
  return families;
}

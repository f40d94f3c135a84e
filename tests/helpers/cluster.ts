/**
 * Real multi-process clusters for tests: N nodes of an example app, each a
 * `cli.ts` process on a free port with its own data dir, joined to node 1.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import {
  exitWithin,
  freePort,
  isRunning,
  makeTempDir,
  onCleanup,
  REPO_ROOT,
  signalProcess,
  type Spawned,
  spawnCli,
  unlessExited,
  waitFor,
  waitForPong,
} from "./process.ts";
import { askPort, loadedRaftInfo, raftInfo, serverList } from "./resp.ts";

export interface ClusterNode {
  readonly id: number;
  readonly port: number;
  readonly address: string;
  process: Spawned;
  readonly args: string[];
}

export interface Cluster {
  readonly nodes: ClusterNode[];
  readonly dataDir: string;
  /** A fresh ioredis client to `node` (disconnect it when done). */
  client(node: ClusterNode): Redis;
  /** The node whose RAFT LEADER names itself, waiting up to `timeoutMs`. */
  leader(timeoutMs?: number): Promise<ClusterNode>;
  /** Restarts a stopped node with the same arguments. */
  restart(node: ClusterNode): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 30_000;

export function appPath(example: string): string {
  return `${REPO_ROOT}examples/${example}.ts`;
}

/** Starts one node process from its arguments (default: cli.ts on this runtime). */
export type NodeLauncher = (args: string[]) => Spawned;

async function spawnNode(node: ClusterNode, launch: NodeLauncher): Promise<void> {
  node.process = launch([...node.args]);
  await unlessExited(node.process, waitForPong(node.port, STARTUP_TIMEOUT_MS), `node ${node.id}`);
}

/** Starts `size` nodes of `example` (node 1 bootstraps, the others join it). */
export async function startCluster(
  example: string,
  size: number,
  extraArgs: string[] = [],
  launch: NodeLauncher = (args) => spawnCli(args),
): Promise<Cluster> {
  const dataDir = makeTempDir("uhaha-cluster-");
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const nodes: ClusterNode[] = ports.map((port, i) => ({
    id: i + 1,
    port,
    address: `127.0.0.1:${port}`,
    process: undefined as unknown as Spawned,
    args: [
      appPath(example), "-n", String(i + 1), "-a", `127.0.0.1:${port}`, "-d", dataDir, "-l", "verb",
      ...(i === 0 ? [] : ["-j", `127.0.0.1:${ports[0]}`]),
      ...extraArgs,
    ],
  }));
  const clients: Redis[] = [];
  // ioredis reconnects forever to a killed node, which would keep the test process alive.
  onCleanup(() => clients.forEach((redis) => redis.disconnect()));
  const cluster: Cluster = {
    nodes,
    dataDir,
    client: (node) => {
      const redis = new Redis({ port: node.port, host: "127.0.0.1", maxRetriesPerRequest: 0, enableOfflineQueue: true, lazyConnect: false });
      redis.on("error", () => {});
      clients.push(redis);
      return redis;
    },
    leader: (timeoutMs = 20_000) => leaderAmong(nodes, timeoutMs),
    restart: (node) => spawnNode(node, launch),
  };
  await spawnNode(nodes[0], launch);
  await cluster.leader();
  for (const node of nodes.slice(1)) await spawnNode(node, launch);
  // Every node is in the configuration once the leader lists them all.
  const leader = await cluster.leader();
  await waitFor(`${size} members`, async () => (await serverList(leader.port)).length === size, STARTUP_TIMEOUT_MS);
  return cluster;
}

/** The running node among `nodes` whose RAFT LEADER names itself, waiting up to `timeoutMs`. */
export function leaderAmong<N extends { readonly port: number; readonly address: string; readonly process?: Spawned }>(
  nodes: readonly N[],
  timeoutMs = 20_000,
): Promise<N> {
  return waitFor("a leader", async () => {
    for (const node of nodes) {
      if (node.process && !isRunning(node.process)) continue;
      if ((await askPort(node.port, "RAFT", "LEADER")) === node.address) return node;
    }
    return undefined;
  }, timeoutMs);
}

/** Waits until each of `nodes` has applied at least `leader`'s commit index (as it is when this starts). */
export async function waitApplied(leader: ClusterNode, nodes: readonly ClusterNode[], timeoutMs = 20_000): Promise<void> {
  const target = Number((await loadedRaftInfo(leader.port)).commit_index);
  await waitFor(`every node to apply index ${target}`, async () => {
    for (const node of nodes) if (Number((await raftInfo(node.port)).applied_index) < target) return false;
    return true;
  }, timeoutMs);
}

/** SIGTERMs a node by PID and waits (up to `timeoutMs`) for a clean exit (code 0). */
export async function stopNode(node: ClusterNode, timeoutMs = 20_000): Promise<void> {
  signalProcess(node.process.pid, "SIGTERM");
  const code = await exitWithin(node.process, timeoutMs, `node ${node.id}`);
  assert.equal(code, 0, `node ${node.id} exited with ${code}:\n${node.process.stderr()}`);
}

/**
 * Real multi-process clusters for tests: N nodes of an example app, each a
 * `cli.ts` process on a free port with its own data dir, joined to node 1.
 */
import { Redis } from "ioredis";
import { freePort, makeTempDir, onCleanup, REPO_ROOT, type Spawned, spawnCli, waitFor, waitForPong } from "./process.ts";

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

/** Sends one command and returns its reply (errors as Error values). */
export async function ask(redis: Redis, ...args: string[]): Promise<unknown> {
  try {
    return await redis.call(args[0], ...args.slice(1));
  } catch (error) {
    return error;
  }
}

/** Sends a write until it is not refused with TRYAGAIN (the machine has no time before the first TICK). */
export function firstWrite(redis: Redis, ...args: string[]): Promise<unknown> {
  return waitFor(`${args[0]} to be accepted`, async () => {
    const reply = await ask(redis, ...args);
    if (reply instanceof Error && /^TRYAGAIN/.test(reply.message)) return undefined;
    return reply;
  });
}

export function appPath(example: string): string {
  return `${REPO_ROOT}examples/${example}.ts`;
}

/** Starts one node process from its arguments (default: cli.ts on this runtime). */
export type NodeLauncher = (args: string[]) => Spawned;

async function spawnNode(node: ClusterNode, launch: NodeLauncher): Promise<void> {
  node.process = launch([...node.args]);
  await Promise.race([
    waitForPong(node.port, STARTUP_TIMEOUT_MS),
    node.process.exited.then((code) => {
      throw new Error(`node ${node.id} exited with ${code}:\n${node.process.stderr()}`);
    }),
  ]);
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
    leader: (timeoutMs = 20_000) =>
      waitFor("a leader", async () => {
        for (const node of nodes) {
          if (node.process.child.exitCode !== null) continue;
          const redis = cluster.client(node);
          try {
            if ((await ask(redis, "RAFT", "LEADER")) === node.address) return node;
          } finally {
            redis.disconnect();
          }
        }
        return undefined;
      }, timeoutMs),
    restart: (node) => spawnNode(node, launch),
  };
  await spawnNode(nodes[0], launch);
  await cluster.leader();
  for (const node of nodes.slice(1)) await spawnNode(node, launch);
  // Every node is in the configuration once the leader lists them all.
  const leader = await cluster.leader();
  await waitFor(`${size} members`, async () => {
    const redis = cluster.client(leader);
    try {
      const list = await ask(redis, "RAFT", "SERVER", "LIST");
      return Array.isArray(list) && list.length === size;
    } finally {
      redis.disconnect();
    }
  }, STARTUP_TIMEOUT_MS);
  return cluster;
}

/**
 * The options of bench/cluster.ts, read once from the environment and
 * validated in one place: which configurations, targets and rows run, and
 * how many requests each row sends.
 */
import { tmpdir } from "node:os";
import type { BuildMode } from "./executable.ts";
import type { Load } from "./redis_benchmark.ts";
import type { Runtime } from "./targets.ts";

export const LOAD_NAMES = ["p1", "p16", "c1"] as const;
export type LoadName = typeof LOAD_NAMES[number];
export const TESTS = ["set", "get"] as const;
export type Test = typeof TESTS[number];
export const SYNC_MODES = ["fsync", "nosync"] as const;
export type SyncMode = typeof SYNC_MODES[number];
export const RUNTIMES = ["node", "deno"] as const;
export const PEERS = ["redis", "ping-node", "ping-deno", "cmd"] as const;
export type Peer = typeof PEERS[number];
const BUILD_MODES = ["auto", "always", "never"] as const;

export interface ClusterBenchOptions {
  /** Requests per row at 50 clients (`-n`). */
  readonly requests: number;
  /** Requests per row at 1 client, the latency rows. */
  readonly latencyRequests: number;
  /** Requests of the untimed SET and GET run before a target's rows; 0 for none. */
  readonly warmupRequests: number;
  readonly nodeCounts: readonly number[];
  readonly syncModes: readonly SyncMode[];
  /** The runtimes uhaha runs on. */
  readonly runtimes: readonly Runtime[];
  readonly peers: readonly Peer[];
  readonly loads: readonly LoadName[];
  readonly tests: readonly Test[];
  /** BENCH_PEER_CMD: a command line with {id} {addr} {dir} {join} {nosync}. */
  readonly peerCommand?: string;
  readonly peerName: string;
  readonly build: BuildMode;
  /** Parent of every temp dir: the disk fsync is measured on. */
  readonly dataDir: string;
}

export const USAGE = `Usage: npm run bench:cluster   (or: deno task bench:cluster)

Every setting is an environment variable (lists are comma-separated):
  BENCH_REQUESTS=100000          requests per row at 50 clients (-n)
  BENCH_LATENCY_REQUESTS=10000   requests per row at 1 client (never more than BENCH_REQUESTS)
  BENCH_WARMUP=20000             untimed SET+GET requests per target first (never more than BENCH_REQUESTS; 0: none)
  BENCH_NODES=1,3                cluster sizes: one table per size and sync mode
  BENCH_SYNC=fsync,nosync        fsync: every write synced; nosync: uhaha --nosync, redis appendfsync no
  BENCH_RUNTIMES=node,deno       uhaha on dist/uhaha (node) and on deno run cli.ts (deno)
  BENCH_PEERS=redis,ping-node,ping-deno,cmd
                                 default: redis, ping-<each runtime>, and cmd when BENCH_PEER_CMD is set
  BENCH_LOADS=p1,p16,c1          p1: -c 50 -P 1, p16: -c 50 -P 16, c1: -c 1 -P 1 (latency)
  BENCH_TESTS=set,get
  BENCH_PEER_CMD='…'             another RESP cluster: '… -n {id} -a {addr} -d {dir} {join} {nosync}'
  BENCH_PEER_NAME=peer           its name in the tables
  BENCH_BUILD=auto               auto: npm run build when dist/uhaha is older than its sources; always; never
  BENCH_DIR=<os temp dir>        where the data dirs go (the disk fsync is measured on; now ${tmpdir()})

Smoke run of every code path: BENCH_REQUESTS=2000 BENCH_NODES=3 BENCH_SYNC=nosync npm run bench:cluster`;

function positiveInteger(env: Record<string, string | undefined>, name: string, fallback: number, allowZero = false): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new RangeError(`${name}=${text}: must be a ${allowZero ? "non-negative" : "positive"} integer`);
  }
  return value;
}

function list<T extends string>(env: Record<string, string | undefined>, name: string, allowed: readonly T[], fallback: readonly T[]): T[] {
  const text = env[name];
  if (text === undefined || text.trim() === "") return [...fallback];
  const items = text.split(",").map((item) => item.trim().toLowerCase()).filter((item) => item !== "");
  const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
  if (unknown.length > 0) throw new RangeError(`${name}=${text}: unknown ${unknown.join(", ")} (choose from ${allowed.join(", ")})`);
  return [...new Set(items as T[])];
}

function buildMode(text: string | undefined): BuildMode {
  const mode = text?.trim().toLowerCase() || "auto";
  if (!(BUILD_MODES as readonly string[]).includes(mode)) throw new RangeError(`BENCH_BUILD=${text}: choose from ${BUILD_MODES.join(", ")}`);
  return mode as BuildMode;
}

/** Reads and checks the options; throws a RangeError naming the variable on a bad value. */
export function optionsFromEnv(env: Record<string, string | undefined>): ClusterBenchOptions {
  const requests = positiveInteger(env, "BENCH_REQUESTS", 100_000);
  const nodeCounts = list(env, "BENCH_NODES", ["1", "2", "3", "4", "5", "6", "7", "8", "9"], ["1", "3"]).map(Number);
  const runtimes = list(env, "BENCH_RUNTIMES", RUNTIMES, RUNTIMES);
  const peerCommand = env.BENCH_PEER_CMD?.trim() || undefined;
  const defaultPeers: Peer[] = ["redis", ...runtimes.map((runtime) => `ping-${runtime}` as const), ...(peerCommand ? ["cmd" as const] : [])];
  const peers = list(env, "BENCH_PEERS", PEERS, defaultPeers);
  if (peers.includes("cmd") && !peerCommand) throw new RangeError("BENCH_PEERS has cmd but BENCH_PEER_CMD is not set");
  if (peerCommand && !peerCommand.includes("{addr}")) {
    throw new RangeError("BENCH_PEER_CMD must contain {addr} (and usually {id}, {dir}, {join})");
  }
  return {
    requests,
    latencyRequests: Math.min(requests, positiveInteger(env, "BENCH_LATENCY_REQUESTS", 10_000)),
    warmupRequests: Math.min(requests, positiveInteger(env, "BENCH_WARMUP", 20_000, true)),
    nodeCounts: nodeCounts.sort((a, b) => a - b),
    syncModes: list(env, "BENCH_SYNC", SYNC_MODES, SYNC_MODES),
    runtimes,
    peers,
    loads: list(env, "BENCH_LOADS", LOAD_NAMES, LOAD_NAMES),
    tests: list(env, "BENCH_TESTS", TESTS, TESTS),
    peerCommand,
    peerName: env.BENCH_PEER_NAME?.trim() || "peer",
    build: buildMode(env.BENCH_BUILD),
    dataDir: env.BENCH_DIR?.trim() || tmpdir(),
  };
}

/** The redis-benchmark load of a row. */
export function loadOf(name: LoadName, options: ClusterBenchOptions): Load {
  switch (name) {
    case "p1":
      return { clients: 50, pipeline: 1, requests: options.requests };
    case "p16":
      return { clients: 50, pipeline: 16, requests: options.requests };
    case "c1":
      return { clients: 1, pipeline: 1, requests: options.latencyRequests };
  }
}

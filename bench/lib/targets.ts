/**
 * What a benchmark row runs against: a uhaha kvdb cluster (the single
 * executable, or cli.ts on Deno), and the peers measured beside it in the
 * same run — redis-server with an append-only file, the bare ping server of
 * each runtime (its ceiling), and any RESP cluster given as a command line.
 * Each starts with its data in a temp dir and is ready to be measured: a
 * cluster has all its members and its leader has acknowledged a write.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { transformSync } from "esbuild";
import { EXECUTABLE } from "./executable.ts";
import { makeTempDir, REPO_ROOT, type RunningProcess, spawnTracked, waitFor } from "./processes.ts";
import { replyAsRecord, request } from "./resp_request.ts";
import { VALUE_BYTES } from "./redis_benchmark.ts";

export type Runtime = "node" | "deno";
export type TargetKind = "uhaha" | "redis" | "ping" | "peer";

/** The configuration a target is started in. */
export interface Setup {
  readonly nodes: number;
  readonly fsync: boolean;
  /** The parent of the temp dirs (the disk that fsync measures). */
  readonly dataDir: string;
}

export interface StartedTarget {
  /** Where redis-benchmark connects: the leader, or the only node. */
  readonly port: number;
  /** Every server process, the one at `port` first. */
  readonly processes: readonly RunningProcess[];
  /** Resolves once every node has applied what the leader has committed (at once for one server). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

export interface Target {
  /** The row label. */
  readonly name: string;
  readonly kind: TargetKind;
  /** The runtime whose ping ceiling this target is compared with, if any. */
  readonly runtime?: Runtime;
  /** Whether it runs as `setup.nodes` nodes (else always one). */
  readonly clustered: boolean;
  start(setup: Setup, ports: () => Promise<number>): Promise<StartedTarget>;
}

const DENO = join(REPO_ROOT, "node_modules", "deno", "deno");
/** `node` for the ping server: this one when the harness runs on Node, else the one on PATH. */
const NODE = "Deno" in globalThis ? "node" : process.execPath;
const STARTUP_TIMEOUT_MS = 60_000;

/** One member of a cluster as a command line sees it. */
export interface NodeSpec {
  readonly id: number;
  readonly address: string;
  readonly dir: string;
  /** The address of node 1, for nodes 2+. */
  readonly join?: string;
  readonly fsync: boolean;
}

/** Resolves once the server at `port` answers a PING with anything (an error reply counts: it is up). */
function waitForReply(port: number, watched: readonly RunningProcess[]): Promise<true> {
  return waitFor(`a reply on port ${port}`, () => request(port, ["PING"]).then(() => true as const), STARTUP_TIMEOUT_MS, watched);
}

function started(processes: readonly RunningProcess[], port: number, settle = () => Promise.resolve()): StartedTarget {
  return { port, processes, settle, stop: () => Promise.all(processes.map((p) => p.stop())).then(() => undefined) };
}

/** Waits until every port's node has applied the leader's commit index (as RAFT INFO tells). */
async function waitForApplied(name: string, leaderPort: number, ports: readonly number[], processes: readonly RunningProcess[]) {
  const info = async (port: number, key: string) => Number(replyAsRecord(await request(port, ["RAFT", "INFO", key]))[key]);
  const committed = await info(leaderPort, "commit_index");
  for (const port of ports) {
    await waitFor(`${name}: port ${port} to apply index ${committed}`, async () => {
      return await info(port, "applied_index") >= committed;
    }, STARTUP_TIMEOUT_MS, processes);
  }
}

/**
 * Starts a cluster of `setup.nodes`: node 1 first, then each other node
 * joining through node 1 once the one before it is a member; finds the
 * leader with RAFT LEADER, waits until a SET on it succeeds (kvdb answers
 * TRYAGAIN until its first TICK) and every node has applied that write.
 */
export async function startCluster(
  name: string,
  setup: Setup,
  nextPort: () => Promise<number>,
  command: (node: NodeSpec) => { command: string; args: string[] },
): Promise<StartedTarget> {
  const base = makeTempDir(setup.dataDir, `uhaha-bench-${name.replace(/\W+/g, "-")}-`);
  const processes: RunningProcess[] = [];
  const ports: number[] = [];
  try {
    for (let id = 1; id <= setup.nodes; id++) {
      const port = await nextPort();
      ports.push(port);
      const joinAddress = id === 1 ? undefined : `127.0.0.1:${ports[0]}`;
      const spec: NodeSpec = { id, address: `127.0.0.1:${port}`, dir: join(base, `node${id}`), join: joinAddress, fsync: setup.fsync };
      const { command: program, args } = command(spec);
      processes.push(spawnTracked(`${name} node ${id}`, program, args));
      await waitForReply(port, processes);
      if (id > 1) {
        await waitFor(`${name}: node 1 to count ${id - 1} peer(s)`, async () => {
          const info = replyAsRecord(await request(ports[0], ["RAFT", "INFO", "num_peers"]));
          return Number(info.num_peers) >= id - 1;
        }, STARTUP_TIMEOUT_MS, processes);
      }
    }
    const leader = await waitFor(`${name}: a leader`, async () => {
      const address = await request(ports[0], ["RAFT", "LEADER"]);
      const index = ports.findIndex((port) => address === `127.0.0.1:${port}`);
      return index >= 0 ? index : undefined;
    }, STARTUP_TIMEOUT_MS, processes);
    await waitFor(`${name}: a SET acknowledged by the leader`, async () => {
      return await request(ports[leader], ["SET", "bench:ready", "1"]) === "OK";
    }, STARTUP_TIMEOUT_MS, processes);
    await waitForApplied(name, ports[leader], ports, processes);
    const leaderFirst = [processes[leader], ...processes.filter((_, i) => i !== leader)];
    return started(leaderFirst, ports[leader], () => waitForApplied(name, ports[leader], ports, processes));
  } catch (error) {
    await Promise.all(processes.map((p) => p.stop()));
    throw error;
  }
}

/** Flags every uhaha node gets. */
function uhahaFlags(node: NodeSpec): string[] {
  return [
    "examples/kvdb.ts", "-n", String(node.id), "-a", node.address, "-d", node.dir, "-l", "warn",
    ...(node.join ? ["-j", node.join] : []),
    ...(node.fsync ? [] : ["--nosync"]),
  ];
}

/** kvdb on the single executable `dist/uhaha` (Node SEA). */
export const uhahaExecutable: Target = {
  name: "uhaha · Node SEA",
  kind: "uhaha",
  runtime: "node",
  clustered: true,
  start: (setup, ports) => startCluster("uhaha-node", setup, ports, (node) => ({ command: EXECUTABLE, args: uhahaFlags(node) })),
};

/** kvdb on `deno run -A cli.ts`. */
export const uhahaDeno: Target = {
  name: "uhaha · Deno",
  kind: "uhaha",
  runtime: "deno",
  clustered: true,
  start: (setup, ports) =>
    startCluster("uhaha-deno", setup, ports, (node) => ({ command: DENO, args: ["run", "-A", "cli.ts", ...uhahaFlags(node)] })),
};

/** redis-server, one node, AOF fsynced on every write (`always`), or never by redis (`no`) when the configuration is --nosync. */
export function redisTarget(fsync: boolean): Target {
  const appendfsync = fsync ? "always" : "no";
  return {
    name: `redis · aof ${appendfsync}`,
    kind: "redis",
    clustered: false,
    start: async (setup, ports) => {
      const port = await ports();
      const dir = makeTempDir(setup.dataDir, "uhaha-bench-redis-");
      const args = ["--port", String(port), "--appendonly", "yes", "--appendfsync", appendfsync, "--save", "", "--dir", dir];
      const server = spawnTracked("redis-server", "redis-server", args);
      await waitForReply(port, [server]).catch(async (error) => {
        await server.stop();
        throw error;
      });
      return started([server], port);
    },
  };
}

/**
 * `script` with its types stripped (esbuild), as a .mjs file in a new temp
 * dir: Node 20 runs it with nothing loaded but the script, where tsx would
 * add its loader's memory and threads to what the ceiling measures.
 */
function plainJavaScript(script: string, parent: string): string {
  const { code } = transformSync(readFileSync(script, "utf8"), { loader: "ts", format: "esm", sourcefile: script });
  const file = join(makeTempDir(parent, "uhaha-bench-ping-"), "ping_server.mjs");
  writeFileSync(file, code);
  return file;
}

/** The bare RESP server (bench/lib/ping_server.ts) on `runtime`. */
export function pingTarget(runtime: Runtime): Target {
  const script = join(REPO_ROOT, "bench", "lib", "ping_server.ts");
  return {
    name: `ping ceiling · ${runtime === "node" ? "Node" : "Deno"}`,
    kind: "ping",
    runtime,
    clustered: false,
    start: async (setup, ports) => {
      const port = await ports();
      const args = [String(port), String(VALUE_BYTES)];
      const server = runtime === "node"
        ? spawnTracked("ping server (Node)", NODE, [plainJavaScript(script, setup.dataDir), ...args])
        : spawnTracked("ping server (Deno)", DENO, ["run", "-A", script, ...args]);
      await waitForReply(port, [server]).catch(async (error) => {
        await server.stop();
        throw error;
      });
      return started([server], port);
    },
  };
}

/**
 * Substitutes a node into a BENCH_PEER_CMD template: {id}, {addr}, {dir},
 * {join} (`-j <addr of node 1>` for nodes 2+, empty for node 1) and
 * {nosync} (`--nosync` in --nosync configurations, else empty).
 */
export function peerCommandLine(template: string, node: NodeSpec): string {
  const values: Record<string, string> = {
    id: String(node.id),
    addr: node.address,
    dir: node.dir,
    join: node.join ? `-j ${node.join}` : "",
    nosync: node.fsync ? "" : "--nosync",
  };
  return template.replace(/\{(id|addr|dir|join|nosync)\}/g, (_, key: string) => values[key]);
}

/** Any RESP cluster that understands RAFT LEADER / RAFT INFO, run by /bin/sh as `exec <command line>`. */
export function peerTarget(name: string, template: string): Target {
  return {
    name,
    kind: "peer",
    clustered: true,
    start: (setup, ports) =>
      startCluster(name, setup, ports, (node) => ({ command: "/bin/sh", args: ["-c", `exec ${peerCommandLine(template, node)}`] })),
  };
}

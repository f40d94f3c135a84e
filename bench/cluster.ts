/**
 * kvdb clusters under redis-benchmark, beside peers started in the same run
 * (not a test: figures on a noisy 2-core machine vary). For each cluster
 * size (1, 3) and sync mode (fsync, --nosync) one Markdown table: uhaha on
 * the single executable (Node SEA) and on Deno; redis-server with an
 * append-only file; the bare ping server of each runtime (its ceiling); any
 * RESP cluster given as BENCH_PEER_CMD. Rows: SET and GET at
 * `-c 50 -P 1`, `-c 50 -P 16` and `-c 1`, each with req/s, p50/p99
 * latency, server CPU µs per request (all nodes), RSS per node, and ratios.
 *
 *   npm run bench:cluster                    (node --import tsx bench/cluster.ts)
 *   deno task bench:cluster                  (deno run -A bench/cluster.ts)
 *   BENCH_REQUESTS=2000 BENCH_NODES=1 BENCH_SYNC=nosync npm run bench:cluster   (smoke)
 *
 * Settings are environment variables: see USAGE in lib/cluster_options.ts,
 * or run with --help.
 */
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import {
  type ClusterBenchOptions,
  LOAD_NAMES,
  loadOf,
  optionsFromEnv,
  type SyncMode,
  USAGE,
} from "./lib/cluster_options.ts";
import { renderTable, type Row } from "./lib/cluster_table.ts";
import { commitMeasured, ensureExecutable } from "./lib/executable.ts";
import { CLOCK_TICKS_PER_SECOND, cpuSeconds, residentKiB } from "./lib/proc_stats.ts";
import { cleanUpOnSignals, freePort, onPath, removeTempDirs, REPO_ROOT, stopAll } from "./lib/processes.ts";
import { KEYSPACE, runBenchmark, VALUE_BYTES } from "./lib/redis_benchmark.ts";
import {
  peerTarget,
  pingTarget,
  redisTarget,
  type StartedTarget,
  type Target,
  uhahaDeno,
  uhahaExecutable,
} from "./lib/targets.ts";

const DENO = join(REPO_ROOT, "node_modules", "deno", "deno");

/** The targets of one configuration, in the order they run and are listed. */
function targetsFor(options: ClusterBenchOptions, sync: SyncMode): Target[] {
  return [
    ...options.runtimes.map((runtime) => (runtime === "node" ? uhahaExecutable : uhahaDeno)),
    ...(options.peers.includes("cmd") && options.peerCommand ? [peerTarget(options.peerName, options.peerCommand)] : []),
    ...(options.peers.includes("redis") ? [redisTarget(sync === "fsync")] : []),
    ...(options.peers.includes("ping-node") ? [pingTarget("node")] : []),
    ...(options.peers.includes("ping-deno") ? [pingTarget("deno")] : []),
  ];
}

function firstLine(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { stdio: ["ignore", "pipe", "ignore"] }).toString().split("\n")[0].trim();
  } catch {
    return `${command}: not found`;
  }
}

function describeRun(options: ClusterBenchOptions, build: string): string {
  let filesystem = "?";
  try {
    filesystem = execFileSync("stat", ["-f", "-c", "%T", options.dataDir]).toString().trim();
  } catch { /* stays "?" */ }
  const cpu = cpus();
  return [
    `## Cluster benchmark — commit ${commitMeasured()}`,
    "",
    `- ${new Date().toISOString()}, ${cpu.length} CPU(s) ${cpu[0]?.model ?? ""}`.trimEnd(),
    `- ${build}`,
    `- node ${firstLine("node", ["--version"])}, ${firstLine(DENO, ["--version"])}, ${firstLine("redis-server", ["--version"])}`,
    `- redis-benchmark -t set|get -r ${KEYSPACE} -d ${VALUE_BYTES}; -n ${options.requests} per row at -c 50` +
      `, -n ${options.latencyRequests} at -c 1; ${options.warmupRequests} untimed SET+GET requests per target first`,
    `- data dirs under ${options.dataDir} (${filesystem}); server CPU = utime+stime of every node from /proc` +
      ` (steps of ${(1e6 / CLOCK_TICKS_PER_SECOND / options.requests).toFixed(2)} µs/req at -n ${options.requests}), RSS = VmRSS after the row`,
    "",
  ].join("\n");
}

/** Runs every selected row against one started target; a failed row is recorded and the rest go on. */
async function measureTarget(target: Target, started: StartedTarget, options: ClusterBenchOptions, tag: string): Promise<Row[]> {
  const rows: Row[] = [];
  const pids = started.processes.map((p) => p.pid);
  if (options.warmupRequests > 0) {
    for (const test of options.tests) {
      await runBenchmark(started.port, test, { clients: 50, pipeline: 16, requests: options.warmupRequests });
    }
    await started.settle();
  }
  for (const load of options.loads) {
    for (const test of options.tests) {
      const spec = loadOf(load, options);
      console.error(`${tag} ${target.name}: ${test.toUpperCase()} -c ${spec.clients} -P ${spec.pipeline} -n ${spec.requests}`);
      try {
        const cpuBefore = cpuSeconds(pids);
        const figures = await runBenchmark(started.port, test, spec);
        const cpuAfter = cpuSeconds(pids);
        const dead = started.processes.find((p) => p.exitStatus() !== undefined);
        if (dead) throw new Error(`${dead.label} exited (${dead.exitStatus()}): ${dead.output().trim()}`);
        rows.push({
          target,
          load,
          test,
          figures,
          cpuMicrosPerRequest: ((cpuAfter - cpuBefore) * 1e6) / spec.requests,
          rssMiB: pids.map((pid) => residentKiB(pid) / 1024),
        });
        await started.settle();
      } catch (error) {
        console.error(`${tag} ${target.name}: ${(error as Error).message}`);
        rows.push({ target, load, test, error: (error as Error).message });
      }
    }
  }
  return rows;
}

/** Every configuration's table on stdout (progress on stderr); resolves with the number of failed rows. */
export async function runClusterBench(options: ClusterBenchOptions): Promise<number> {
  for (const tool of ["redis-benchmark", ...(options.peers.includes("redis") ? ["redis-server"] : [])]) {
    if (!onPath(tool)) throw new Error(`${tool} is not installed (Debian: apt-get install redis-tools redis-server)`);
  }
  const build = options.runtimes.includes("node") ? ensureExecutable(options.build) : "dist/uhaha: not used";
  console.log(describeRun(options, build));
  let failures = 0;
  for (const nodes of options.nodeCounts) {
    for (const sync of options.syncModes) {
      const title = `### ${nodes} node${nodes === 1 ? "" : "s"} · ${sync === "fsync" ? "fsync" : "--nosync"}`;
      const tag = `[${nodes} node${nodes === 1 ? "" : "s"} ${sync}]`;
      const rows: Row[] = [];
      for (const target of targetsFor(options, sync)) {
        const setup = { nodes: target.clustered ? nodes : 1, fsync: sync === "fsync", dataDir: options.dataDir };
        console.error(`${tag} starting ${target.name}${target.clustered && nodes > 1 ? ` (${nodes} nodes)` : ""}`);
        let started: StartedTarget | undefined;
        try {
          started = await target.start(setup, freePort);
          rows.push(...await measureTarget(target, started, options, tag));
        } catch (error) {
          console.error(`${tag} ${target.name}: ${(error as Error).message}`);
          for (const load of options.loads) {
            for (const test of options.tests) rows.push({ target, load, test, error: (error as Error).message });
          }
        } finally {
          await started?.stop();
        }
      }
      failures += rows.filter((row) => !row.figures).length;
      const targets = rows.map((row) => row.target).filter((target, i, all) => all.indexOf(target) === i);
      const order = (row: Row) =>
        (LOAD_NAMES.indexOf(row.load) * 2 + (row.test === "set" ? 0 : 1)) * 100 + targets.indexOf(row.target);
      console.log(renderTable(title, [...rows].sort((a, b) => order(a) - order(b)), options.peerName));
    }
  }
  return failures;
}

const meta = import.meta as ImportMeta & { main?: boolean };
if (meta.main ?? (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)) {
  if (process.argv.slice(2).some((arg) => arg === "-h" || arg === "--help")) {
    console.log(USAGE);
    process.exit(0);
  }
  let options: ClusterBenchOptions;
  try {
    options = optionsFromEnv(process.env);
  } catch (error) {
    console.error(`bench:cluster: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const removeSignalHandlers = cleanUpOnSignals();
  let code = 0;
  try {
    const failures = await runClusterBench(options);
    if (failures > 0) {
      console.error(`bench:cluster: ${failures} row(s) failed`);
      code = 1;
    }
  } catch (error) {
    console.error(`bench:cluster: ${(error as Error).message}`);
    code = 1;
  } finally {
    await stopAll();
    removeTempDirs();
    removeSignalHandlers();
  }
  process.exit(code);
}

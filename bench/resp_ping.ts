/**
 * RESP server throughput: redis-benchmark PING against redis-server (the
 * peer) and against a uhaha node on Node and on Deno, all in this run, as
 * ratios to the peer. Not a test: figures on a noisy 2-core machine vary.
 *
 * Usage: node --import tsx bench/resp_ping.ts  (needs redis-benchmark; redis-server for the peer)
 */
import { execFileSync } from "node:child_process";
import { freePort, makeTempDir, onPath, REPO_ROOT, removeTempDirs, spawnTracked, stopAll, waitFor } from "./lib/processes.ts";
import { request } from "./lib/resp_request.ts";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200_000);

interface Target {
  readonly name: string;
  readonly command: string;
  readonly args: (port: number) => string[];
}

/** Requests per second that redis-benchmark reports for one test. */
function benchmark(port: number, pipeline: number): number {
  const out = execFileSync("redis-benchmark", [
    "-p", String(port), "-q", "-t", "ping_mbulk", "-n", String(REQUESTS), "-c", "50", "-P", String(pipeline),
  ]).toString();
  const match = /PING_MBULK: ([\d.]+) requests per second/.exec(out.replace(/\r/g, "\n"));
  if (!match) throw new Error(`unexpected redis-benchmark output: ${out}`);
  return Number(match[1]);
}

export async function runRespPingBench(): Promise<void> {
  if (!onPath("redis-benchmark")) throw new Error("redis-benchmark is missing: apt-get install redis-tools");
  const deno = `${REPO_ROOT}node_modules/.bin/deno`;
  const targets: Target[] = [
    ...(onPath("redis-server")
      ? [{ name: "redis-server", command: "redis-server", args: (p: number) => ["--port", String(p), "--save", "", "--appendonly", "no"] }]
      : []),
    { name: "uhaha on Node", command: "node", args: (p) => ["--import", "tsx", "cli.ts", "-l", "warn", "-a", `127.0.0.1:${p}`, "-d", makeTempDir()] },
    { name: "uhaha on Deno", command: deno, args: (p) => ["run", "-A", "cli.ts", "-l", "warn", "-a", `127.0.0.1:${p}`, "-d", makeTempDir()] },
  ];
  if (!onPath("redis-server")) console.log("(redis-server not installed: apt-get install redis-server for the peer column)");

  const rows: Array<{ name: string; single: number; pipelined: number }> = [];
  for (const target of targets) {
    const port = await freePort();
    const server = spawnTracked(target.name, target.command, target.args(port));
    try {
      await waitFor(`${target.name} to answer PING`, () => request(port, ["PING"]).then(() => true), 20_000, [server]);
      benchmark(port, 1); // warm-up
      rows.push({ name: target.name, single: benchmark(port, 1), pipelined: benchmark(port, 16) });
    } finally {
      await server.stop();
    }
  }
  const peer = rows.find((row) => row.name === "redis-server");
  console.log(`\nPING (redis-benchmark, ${REQUESTS} requests, 50 clients)`);
  console.log("target            req/s P=1   vs redis   req/s P=16   vs redis");
  for (const row of rows) {
    const ratio = (value: number, base: number | undefined) => base ? `${(value / base).toFixed(2)}x` : "-";
    console.log(
      `${row.name.padEnd(16)} ${row.single.toFixed(0).padStart(10)} ${ratio(row.single, peer?.single).padStart(10)}` +
        ` ${row.pipelined.toFixed(0).padStart(12)} ${ratio(row.pipelined, peer?.pipelined).padStart(10)}`,
    );
  }
  await stopAll();
  removeTempDirs();
}

if (import.meta.main ?? process.argv[1]?.endsWith("resp_ping.ts")) {
  await runRespPingBench();
}

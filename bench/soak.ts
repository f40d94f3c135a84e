/**
 * Memory under a sustained write load: a kvdb cluster takes redis-benchmark
 * SETs (`-c 50 -P 16 -r 10000 -d 64`, back to back) for a fixed time while
 * each node's RSS is sampled. After the warm-up, each node's RSS range and
 * its least-squares growth in MiB per minute say whether memory is flat.
 * Not a test: it prints figures.
 *
 *   npm run bench:soak                                  (10 minutes, 3 nodes, fsync, dist/uhaha)
 *   BENCH_SOAK_SECONDS=120 BENCH_RUNTIMES=deno npm run bench:soak
 *
 * Settings: BENCH_SOAK_SECONDS (600), BENCH_SOAK_WARMUP_SECONDS (120),
 * BENCH_SOAK_SAMPLE_SECONDS (10), BENCH_NODES (3), BENCH_SYNC (fsync or
 * nosync), BENCH_RUNTIMES (node: dist/uhaha, or deno), BENCH_BUILD, BENCH_DIR.
 */
import process from "node:process";
import { tmpdir } from "node:os";
import { commitMeasured, ensureExecutable, type BuildMode } from "./lib/executable.ts";
import { residentKiB } from "./lib/proc_stats.ts";
import { cleanUpOnSignals, freePort, removeTempDirs, stopAll } from "./lib/processes.ts";
import { KEYSPACE, runBenchmark, VALUE_BYTES } from "./lib/redis_benchmark.ts";
import { uhahaDeno, uhahaExecutable } from "./lib/targets.ts";

const env = process.env;
const seconds = Number(env.BENCH_SOAK_SECONDS ?? 600);
const warmupSeconds = Number(env.BENCH_SOAK_WARMUP_SECONDS ?? Math.min(120, seconds / 5));
const sampleSeconds = Number(env.BENCH_SOAK_SAMPLE_SECONDS ?? 10);
const nodes = Number(env.BENCH_NODES ?? 3);
const fsync = (env.BENCH_SYNC ?? "fsync") !== "nosync";
const runtime = env.BENCH_RUNTIMES ?? "node";
for (const [name, value] of Object.entries({ seconds, warmupSeconds, sampleSeconds, nodes })) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`bench:soak: ${name} must be a positive number, got ${value}`);
}
if (runtime !== "node" && runtime !== "deno") throw new Error(`bench:soak: BENCH_RUNTIMES must be node or deno, got ${runtime}`);

interface Sample {
  readonly atSeconds: number;
  readonly rssMiB: readonly number[];
  readonly writes: number;
}

/** Least-squares slope of y over x. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / n;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const cleanUp = cleanUpOnSignals();
try {
  if (runtime === "node") ensureExecutable((env.BENCH_BUILD ?? "auto") as BuildMode);
  const target = runtime === "node" ? uhahaExecutable : uhahaDeno;
  console.log(`## Soak — commit ${commitMeasured()}\n`);
  console.log(`- ${target.name}, ${nodes} node(s), ${fsync ? "fsync" : "--nosync"}; redis-benchmark SET -c 50 -P 16 -r ${KEYSPACE} -d ${VALUE_BYTES} for ${seconds} s`);
  const started = await target.start({ nodes, fsync, dataDir: env.BENCH_DIR ?? tmpdir() }, freePort);
  const pids = started.processes.map((p) => p.pid);
  const begin = performance.now();
  const elapsed = () => (performance.now() - begin) / 1000;
  const samples: Sample[] = [];
  let writes = 0;
  const sampler = setInterval(() => {
    samples.push({ atSeconds: elapsed(), rssMiB: pids.map((pid) => residentKiB(pid) / 1024), writes });
  }, sampleSeconds * 1000);
  while (elapsed() < seconds) {
    const requests = 100_000;
    await runBenchmark(started.port, "set", { clients: 50, pipeline: 16, requests });
    writes += requests;
    const dead = started.processes.find((p) => p.exitStatus() !== undefined);
    if (dead) throw new Error(`${dead.label} exited (${dead.exitStatus()}): ${dead.output().trim()}`);
  }
  clearInterval(sampler);
  await started.stop();

  console.log(`\n| s | writes | RSS MiB per node |\n| ---: | ---: | --- |`);
  const perMinute = Math.max(1, Math.round(60 / sampleSeconds));
  for (const [i, s] of samples.entries()) {
    if (i % perMinute === perMinute - 1 || i === samples.length - 1) {
      console.log(`| ${s.atSeconds.toFixed(0)} | ${s.writes.toLocaleString("en-US")} | ${s.rssMiB.map((m) => m.toFixed(0)).join(" / ")} |`);
    }
  }
  const steady = samples.filter((s) => s.atSeconds >= warmupSeconds);
  if (steady.length < 2) throw new Error(`bench:soak: fewer than 2 samples after the ${warmupSeconds} s warm-up`);
  console.log(`\nAfter the ${warmupSeconds} s warm-up (${steady.length} samples, ${writes.toLocaleString("en-US")} writes in all):`);
  for (const [node, pid] of pids.entries()) {
    const series = steady.map((s) => [s.atSeconds / 60, s.rssMiB[node]] as const);
    const values = series.map(([, y]) => y);
    console.log(
      `- node ${node + 1} (pid ${pid}): RSS ${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} MiB, ` +
        `growth ${slope(series).toFixed(2)} MiB/min`,
    );
  }
} finally {
  await stopAll();
  removeTempDirs();
  cleanUp();
}

/**
 * Runs redis-benchmark (7.x) for one test against one port and reads its
 * `--csv` line: requests per second and the p50/p99 latencies it computes
 * from its own histogram (`"test","rps","avg_latency_ms","min_latency_ms",
 * "p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"`).
 */
import { spawnTracked } from "./processes.ts";

/** Key space and value size of every run: `-r 10000 -d 64`. */
export const KEYSPACE = 10_000;
export const VALUE_BYTES = 64;

/** A row's load: how many clients, how deep each pipelines, how many requests. */
export interface Load {
  readonly clients: number;
  readonly pipeline: number;
  readonly requests: number;
}

export interface BenchFigures {
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** A run may take this long before it counts as hung and is killed. */
const RUN_TIMEOUT_MS = 15 * 60_000;

/** The redis-benchmark arguments of one run. */
export function benchmarkArgs(port: number, test: "set" | "get", load: Load): string[] {
  return [
    "-h", "127.0.0.1", "-p", String(port), "-t", test, "--csv",
    "-c", String(load.clients), "-P", String(load.pipeline), "-n", String(load.requests),
    "-r", String(KEYSPACE), "-d", String(VALUE_BYTES),
  ];
}

/** Parses the figures of `test` from redis-benchmark's `--csv` output; undefined if absent. */
export function parseCsv(output: string, test: string): BenchFigures | undefined {
  for (const line of output.split(/\r?\n/)) {
    const cells = line.split(",").map((cell) => cell.replace(/^"|"$/g, ""));
    if (cells.length < 8 || cells[0] !== test.toUpperCase()) continue;
    const [requestsPerSec, p50Ms, p99Ms] = [cells[1], cells[4], cells[6]].map(Number);
    if ([requestsPerSec, p50Ms, p99Ms].every(Number.isFinite)) return { requestsPerSec, p50Ms, p99Ms };
  }
  return undefined;
}

/** Runs redis-benchmark once; throws with its output if it fails, errs or prints no figures. */
export async function runBenchmark(port: number, test: "set" | "get", load: Load): Promise<BenchFigures> {
  const args = benchmarkArgs(port, test, load);
  const run = spawnTracked("redis-benchmark", "redis-benchmark", args);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((resolve) => (timer = setTimeout(() => resolve("hung"), RUN_TIMEOUT_MS)));
  const status = await Promise.race([run.exited, hung]);
  clearTimeout(timer);
  if (status === "hung") await run.stop();
  const output = run.output();
  const figures = parseCsv(output, test);
  // redis-benchmark exits 1 on an error reply ("Error from server: …").
  if (status !== 0 || !figures || /Error from server/i.test(output)) {
    const why = status === "hung" ? `no result within ${RUN_TIMEOUT_MS / 1000} s` : `exit status ${status}`;
    throw new Error(`redis-benchmark ${args.join(" ")}: ${why}\n${output.trim()}`);
  }
  return figures;
}

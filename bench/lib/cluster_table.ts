/**
 * The Markdown table of one configuration of bench/cluster.ts: a row per
 * test × load × target with the absolute figures, then ratios of req/s to
 * each peer measured in the same configuration (redis, the ping ceiling of
 * the target's runtime, the BENCH_PEER_CMD cluster) and of CPU per request
 * to redis.
 */
import type { LoadName, Test } from "./cluster_options.ts";
import type { BenchFigures } from "./redis_benchmark.ts";
import type { Target } from "./targets.ts";

/** One measured (or failed) row. */
export interface Row {
  readonly target: Target;
  readonly load: LoadName;
  readonly test: Test;
  readonly figures?: BenchFigures;
  /** Server CPU (user + system, all nodes) per request, in µs. */
  readonly cpuMicrosPerRequest?: number;
  /** Resident memory of each node after the row in MiB, the leader first. */
  readonly rssMiB?: readonly number[];
  /** Why there are no figures. */
  readonly error?: string;
}

const LOAD_LABELS: Record<LoadName, string> = { p1: "-c 50 -P 1", p16: "-c 50 -P 16", c1: "-c 1" };

const integer = (value: number) => Math.round(value).toLocaleString("en-US");
const ratio = (value: number | undefined, base: number | undefined) =>
  value === undefined || base === undefined || base === 0 ? "–" : (value / base).toFixed(2);

/** An error message on one line of at most 160 characters. */
function shorten(message: string): string {
  const line = message.replace(/\s+/g, " ").trim();
  return line.length <= 160 ? line : `${line.slice(0, 157)}…`;
}

/** `title`, then the table; failed rows show their error, shortened. */
export function renderTable(title: string, rows: readonly Row[], peerName: string): string {
  const find = (row: Row, match: (target: Target) => boolean) =>
    rows.find((other) => other.load === row.load && other.test === row.test && match(other.target) && other.figures);
  const hasRedis = rows.some((row) => row.target.kind === "redis");
  const hasPing = rows.some((row) => row.target.kind === "ping");
  const hasPeer = rows.some((row) => row.target.kind === "peer");
  const header = [
    "test", "target", "req/s", "p50 ms", "p99 ms", "CPU µs/req", "RSS MiB/node",
    ...(hasRedis ? ["× redis"] : []), ...(hasPing ? ["× ping"] : []), ...(hasPeer ? [`× ${peerName}`] : []),
    ...(hasRedis ? ["CPU × redis"] : []),
  ];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map((_, i) => (i < 2 ? " --- |" : " ---: |")).join("")}`];
  for (const row of rows) {
    const label = `${row.test.toUpperCase()} ${LOAD_LABELS[row.load]}`;
    if (!row.figures) {
      const error = shorten(row.error ?? "no figures");
      lines.push(`| ${label} | ${row.target.name} | failed: ${error.replaceAll("|", "\\|")} |${" |".repeat(header.length - 3)}`);
      continue;
    }
    const redis = find(row, (target) => target.kind === "redis");
    const ping = find(row, (target) => target.kind === "ping" && target.runtime === row.target.runtime);
    const peer = find(row, (target) => target.kind === "peer");
    const rps = row.figures.requestsPerSec;
    lines.push(`| ${[
      label,
      row.target.name,
      integer(rps),
      row.figures.p50Ms.toFixed(3),
      row.figures.p99Ms.toFixed(3),
      row.cpuMicrosPerRequest === undefined ? "–" : row.cpuMicrosPerRequest.toFixed(1),
      row.rssMiB?.map((mib) => mib.toFixed(0)).join(" / ") ?? "–",
      ...(hasRedis ? [ratio(rps, redis?.figures?.requestsPerSec)] : []),
      ...(hasPing ? [row.target.runtime ? ratio(rps, ping?.figures?.requestsPerSec) : "–"] : []),
      ...(hasPeer ? [ratio(rps, peer?.figures?.requestsPerSec)] : []),
      ...(hasRedis ? [ratio(row.cpuMicrosPerRequest, redis?.cpuMicrosPerRequest)] : []),
    ].join(" | ")} |`);
  }
  return `${title}\n\n${lines.join("\n")}\n`;
}

/**
 * Long simulation campaigns and exact replays.
 *
 *   SIM_SEEDS=200000 npm run sim        # seeds 1..200000, sizes 1/3/5/7 in turn
 *   SIM_SEED_BASE=500000 npm run sim    # start somewhere fresh
 *   SIM_SEED=123 SIM_SIZE=5 npm run sim # replay one seed with a trace
 *
 * The last line gives the seeds run, the steps taken and the faults injected.
 */
import process from "node:process";
import { faultKinds } from "./network.ts";
import { runSeeds, runSimulation, sizeForSeed } from "./run.ts";

const env = process.env;
const traceLines = Number(env.SIM_TRACE_LINES ?? 400);

if (env.SIM_SEED !== undefined) {
  const seed = Number(env.SIM_SEED);
  const size = env.SIM_SIZE ? Number(env.SIM_SIZE) : sizeForSeed(seed);
  const result = runSimulation({ seed, size, trace: true });
  const trace = result.trace;
  console.log(trace.slice(Math.max(0, trace.length - traceLines)).join("\n"));
  console.log(result.ok ? `seed ${seed} size ${size}: ok` : `seed ${seed} size ${size}: FAILED\n${result.error}`);
  console.log(
    `sim: seeds=1 steps=${result.steps} ops=${result.operations} recoveryTicks=${result.recoveryTicks}`,
  );
  process.exit(result.ok ? 0 : 1);
}

const seeds = Number(env.SIM_SEEDS ?? 1000);
const base = Number(env.SIM_SEED_BASE ?? 1);
const fixedSize = env.SIM_SIZE ? Number(env.SIM_SIZE) : undefined;
const stopAfter = Number(env.SIM_MAX_FAILURES ?? 1);
const started = performance.now();
const summary = runSeeds({
  base,
  count: seeds,
  size: fixedSize,
  stopAfterFailures: stopAfter,
  onProgress: (done, s) => {
    if (done % 10000 === 0) {
      const secs = ((performance.now() - started) / 1000).toFixed(0);
      console.log(`... ${done} seeds, ${s.steps} steps, ${s.failures.length} failed, ${secs}s`);
    }
  },
});
for (const f of summary.failures) {
  console.log(`\nFAILED seed ${f.seed} size ${f.size}: ${f.error}`);
  console.log(`replay: SIM_SEED=${f.seed} SIM_SIZE=${f.size} npm run sim   (or: SIM_SEED=${f.seed} SIM_SIZE=${f.size} deno task sim)`);
}
if (summary.failures.length > 0) {
  const f = summary.failures[0];
  const replay = runSimulation({ seed: f.seed, size: f.size, trace: true });
  console.log(`\ntrace of seed ${f.seed} (last ${traceLines} lines):`);
  console.log(replay.trace.slice(Math.max(0, replay.trace.length - traceLines)).join("\n"));
}
const secs = ((performance.now() - started) / 1000).toFixed(1);
const faults = faultKinds.map((k) => `${k}=${summary.counts[k]}`).join(" ");
console.log(
  `sim: seeds=${summary.seeds} (base ${base}) failed=${summary.failures.length} steps=${summary.steps} ` +
    `ops=${summary.operations} maxRecoveryTicks=${summary.maxRecoveryTicks} (seed ${summary.slowest?.seed}) ` +
    `time=${secs}s faults: ${faults}`,
);
process.exit(summary.failures.length > 0 ? 1 : 0);

/** Runs one seed to its verdict, or many and sums their results (shared by sim_test.ts and campaign.ts). */
import { SafetyViolation } from "./checker.ts";
import { LivenessFailure, TICK } from "./limits.ts";
import { emptyCounts, type FaultCounts, faultKinds } from "./network.ts";
import { type SimConfig, Simulation } from "./simulation.ts";

export interface SimResult {
  readonly seed: number;
  readonly size: number;
  readonly ok: boolean;
  readonly error: string | undefined;
  readonly steps: number;
  readonly counts: FaultCounts;
  readonly operations: number;
  /** Ticks from the end of the chaos to a served write and read. */
  readonly recoveryTicks: number;
  readonly trace: readonly string[];
}

/** Runs one seed to completion; never throws. */
export function runSimulation(config: SimConfig): SimResult {
  const sim = new Simulation(config);
  let error: string | undefined;
  try {
    while (!sim.done && sim.step());
    if (!sim.done) throw new LivenessFailure("event queue ran dry");
    sim.finish();
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    if (e instanceof Error && !(e instanceof SafetyViolation) && !(e instanceof LivenessFailure)) {
      error += `\n${e.stack}`;
    }
  }
  return {
    seed: config.seed,
    size: config.size,
    ok: error === undefined,
    error,
    steps: sim.steps,
    counts: sim.counts,
    operations: sim.clients.history.length,
    recoveryTicks: Math.round((sim.now - sim.calmAt) / TICK),
    trace: sim.traceLines(),
  };
}

/** Cluster sizes cycled through by seed number. */
export const sizes = [1, 3, 5, 7] as const;

export function sizeForSeed(seed: number): number {
  return sizes[seed % sizes.length];
}

export interface Summary {
  seeds: number;
  steps: number;
  operations: number;
  maxRecoveryTicks: number;
  /** Seed and size of the slowest recovery, to look at its trace. */
  slowest: { seed: number; size: number } | undefined;
  counts: FaultCounts;
  failures: SimResult[];
}

export function runSeeds(opts: {
  base: number;
  count: number;
  size?: number;
  stopAfterFailures?: number;
  chaosTicks?: number;
  onProgress?: (done: number, summary: Summary) => void;
}): Summary {
  const summary: Summary = {
    seeds: 0, steps: 0, operations: 0, maxRecoveryTicks: 0, slowest: undefined, counts: emptyCounts(), failures: [],
  };
  for (let i = 0; i < opts.count; i++) {
    const seed = opts.base + i;
    const size = opts.size ?? sizeForSeed(seed);
    const r = runSimulation({ seed, size, chaosTicks: opts.chaosTicks });
    summary.seeds++;
    summary.steps += r.steps;
    summary.operations += r.operations;
    if (r.ok && r.recoveryTicks > summary.maxRecoveryTicks) {
      summary.maxRecoveryTicks = r.recoveryTicks;
      summary.slowest = { seed, size };
    }
    for (const k of faultKinds) summary.counts[k] += r.counts[k];
    if (!r.ok) {
      summary.failures.push(r);
      if (summary.failures.length >= (opts.stopAfterFailures ?? Infinity)) break;
    }
    opts.onProgress?.(summary.seeds, summary);
  }
  return summary;
}

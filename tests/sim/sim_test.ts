/**
 * CI run of the cluster simulator: 2,000+ seeds across sizes 1/3/5/7, each
 * checked for safety after every step, linearizability of the register
 * history, and recovery after the faults heal. A failure names the seed and
 * the command that replays it with a trace.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { faultKinds } from "./network.ts";
import { runSeeds, runSimulation } from "./run.ts";

const seeds = 8000;

test(`simulator: ${seeds} seeds across sizes 1/3/5/7 stay safe, linearizable and live`, () => {
  const summary = runSeeds({ base: 1, count: seeds, stopAfterFailures: 3 });
  const failures = summary.failures.map((f) =>
    `seed ${f.seed} size ${f.size}: ${f.error}\n  replay: SIM_SEED=${f.seed} SIM_SIZE=${f.size} npm run sim`
  );
  assert.deepEqual(failures, []);
  assert.equal(summary.seeds, seeds);
  // Every kind of fault was actually exercised.
  for (const kind of faultKinds) assert.ok(summary.counts[kind] > 0, `no ${kind} injected`);
});

test("a seed replays exactly (same steps, faults and history)", () => {
  for (const size of [3, 5]) {
    const a = runSimulation({ seed: 4242, size });
    const b = runSimulation({ seed: 4242, size, trace: true });
    assert.equal(a.steps, b.steps);
    assert.deepEqual(a.counts, b.counts);
    assert.equal(a.operations, b.operations);
    assert.ok(b.trace.length > 0);
  }
});

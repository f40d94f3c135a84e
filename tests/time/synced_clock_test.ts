import { test } from "node:test";
import assert from "node:assert/strict";
import { SyncedClock } from "../../time/synced_clock.ts";

const MS = 1_000_000n;

/** A clock over a monotonic time the test moves by hand. */
function manualClock() {
  let monotonic = 1_000n * MS;
  const clock = new SyncedClock(() => monotonic);
  return { clock, advance: (ns: bigint) => void (monotonic += ns), at: () => monotonic };
}

test("starts as the host wall clock, with sub-millisecond steps", () => {
  const clock = new SyncedClock();
  const first = clock.now();
  const wall = BigInt(Date.now()) * MS;
  assert.ok(first - wall < 50n * MS && wall - first < 50n * MS);
  const times = Array.from({ length: 1000 }, () => clock.now());
  assert.ok(times.some((t) => t % MS !== 0n), "some reading falls between milliseconds");
});

test("never goes backwards: a stalled host clock still gives strictly increasing times", () => {
  const { clock } = manualClock();
  const a = clock.now();
  assert.equal(clock.now(), a + 1n);
  assert.equal(clock.now(), a + 2n);
});

test("a correction forward is taken at once", () => {
  const { clock, at } = manualClock();
  const host = clock.targetOffsetNs;
  clock.setOffset(host + 3_600_000n * MS);
  assert.equal(clock.now(), at() + host + 3_600_000n * MS);
});

test("a correction backward is slewed at half speed, strictly increasing, until it reaches the target", () => {
  const { clock, advance, at } = manualClock();
  const host = clock.targetOffsetNs;
  clock.setOffset(host + 10_000n * MS);
  const before = clock.now();
  clock.setOffset(host); // 10 s back
  let last = before;
  for (let i = 0; i < 25; i++) {
    advance(1_000n * MS);
    const now = clock.now();
    assert.ok(now > last, `step ${i}: ${now} after ${last}`);
    last = now;
    if (i < 19) assert.equal(now - before, BigInt(i + 1) * 500n * MS, "half speed while slewing");
  }
  // Converged after 20 s of host time: host time again.
  assert.equal(clock.targetOffsetNs, host);
  advance(1_000n * MS);
  assert.equal(clock.now(), at() + host);
});

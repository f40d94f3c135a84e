import { test } from "node:test";
import assert from "node:assert/strict";
import { Pcg32 } from "../../machine/pcg.ts";

test("PCG32 matches the reference generator's first outputs (pcg32-demo, seed 42, stream 54)", () => {
  // From the PCG reference implementation's demo: pcg32_srandom_r(&rng, 42u, 54u).
  const rng = new Pcg32(42n, 54n);
  const expected = [0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e];
  assert.deepEqual(expected.map(() => rng.uint32()), expected);
});

test("same seed, same sequence; resuming from state continues it", () => {
  const a = new Pcg32(123456789n);
  const b = new Pcg32(123456789n);
  for (let i = 0; i < 100; i++) assert.equal(a.uint32(), b.uint32());
  const resumed = new Pcg32(0n, undefined, a.state);
  assert.deepEqual([a.uint64(), a.float64(), a.uuid()], [resumed.uint64(), resumed.float64(), resumed.uuid()]);
});

test("ranges and formats", () => {
  const rng = new Pcg32(7n);
  for (let i = 0; i < 1000; i++) {
    const f = rng.float64();
    assert.ok(f >= 0 && f < 1);
    const n = rng.int();
    assert.ok(Number.isSafeInteger(n) && n >= 0);
    assert.ok(rng.intn(6) < 6);
    assert.ok(rng.uint64() < 2n ** 64n);
  }
  assert.match(rng.uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(rng.bytes(7).length, 7);
  assert.throws(() => rng.intn(0), /positive safe integer/);
});

test("uint32 is roughly uniform (chi-square over 16 buckets)", () => {
  const rng = new Pcg32(99n);
  const buckets = new Array(16).fill(0);
  const draws = 160_000;
  for (let i = 0; i < draws; i++) buckets[rng.uint32() >>> 28]++;
  const expected = draws / 16;
  const chi = buckets.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
  assert.ok(chi < 40, `chi-square ${chi.toFixed(1)} too high for 15 degrees of freedom`);
});

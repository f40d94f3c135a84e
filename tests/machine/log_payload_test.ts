import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodePayload, encodeBatch, encodeTick } from "../../machine/log_payload.ts";

test("property: batches of binary commands round-trip", () => {
  const command = fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 6 });
  fc.assert(fc.property(fc.array(command, { maxLength: 20 }), (commands) => {
    assert.deepEqual(decodePayload(encodeBatch(commands)), { type: "batch", commands });
  }), { numRuns: 300 });
});

test("property: ticks round-trip", () => {
  fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (timeNs, seed) => {
    assert.deepEqual(decodePayload(encodeTick(timeNs, seed)), { type: "tick", timeNs, seed });
  }));
});

test("property: truncated or garbage payloads are errors, never exceptions", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
    const result = decodePayload(bytes);
    assert.ok(result instanceof Error || result.type === "batch" || result.type === "tick");
  }), { numRuns: 500 });
  const whole = encodeBatch([[new Uint8Array([1, 2, 3])]]);
  for (let cut = 0; cut < whole.length; cut++) {
    assert.ok(decodePayload(whole.subarray(0, cut)) instanceof Error, `cut at ${cut}`);
  }
});

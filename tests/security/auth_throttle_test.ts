/** AuthThrottle, the pure per-address guessing brake, with a hand-driven clock. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AuthThrottle, type AuthThrottleOptions, DEFAULT_AUTH_THROTTLE } from "../../server/auth_throttle.ts";

const OPTIONS: AuthThrottleOptions = {
  freeFailures: 3,
  firstDelayMs: 10,
  doublingFailures: 2,
  maxDelayMs: 100,
  forgetMs: 60_000,
  maxAddresses: 4,
  reportEveryMs: 1_000,
};

/** Fails `count` times from `address` at time `at`, each after its admit. */
function fail(throttle: AuthThrottle, address: string, count: number, at = 0): void {
  for (let i = 0; i < count; i++) {
    throttle.admit(address, at);
    throttle.failed(address, at);
  }
}

describe("AuthThrottle", () => {
  test("the first failures are free, then the delay doubles every doublingFailures, up to maxDelayMs", () => {
    const throttle = new AuthThrottle(OPTIONS);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 50].map((f) => throttle.delayAfter(f)), [0, 0, 0, 10, 14, 20, 28, 40, 57, 100, 100]);
  });

  test("an address is answered at once until its failures stop being free; then each answer waits", () => {
    const throttle = new AuthThrottle(OPTIONS);
    fail(throttle, "10.0.0.1", 2);
    assert.equal(throttle.admit("10.0.0.1", 0), 0);
    throttle.failed("10.0.0.1", 0);
    // Sequential attempts (each after the previous answer) wait the current delay.
    assert.equal(throttle.admit("10.0.0.1", 1_000), 10);
    throttle.failed("10.0.0.1", 1_010);
    assert.equal(throttle.admit("10.0.0.1", 2_000), 14);
  });

  test("parallel attempts from one address queue: n at once wait n delays", () => {
    const throttle = new AuthThrottle(OPTIONS);
    fail(throttle, "10.0.0.1", 3);
    assert.deepEqual([1, 2, 3, 4].map(() => throttle.admit("10.0.0.1", 500)), [10, 20, 30, 40]);
  });

  test("another address is not slowed; a right password clears the record", () => {
    const throttle = new AuthThrottle(OPTIONS);
    fail(throttle, "10.0.0.1", 10);
    assert.equal(throttle.admit("10.0.0.2", 0), 0);
    assert.ok(throttle.admit("10.0.0.1", 0) > 0);
    throttle.succeeded("10.0.0.1");
    assert.equal(throttle.admit("10.0.0.1", 0), 0);
  });

  test("failures are forgotten forgetMs after the last one", () => {
    const throttle = new AuthThrottle(OPTIONS);
    fail(throttle, "10.0.0.1", 10, 0);
    assert.ok(throttle.admit("10.0.0.1", 60_000) > 0);
    assert.equal(throttle.admit("10.0.0.1", 60_001), 0);
    assert.equal(throttle.size, 0);
  });

  test("at most maxAddresses are remembered, the least recently failed forgotten first", () => {
    const throttle = new AuthThrottle(OPTIONS);
    for (let i = 1; i <= 6; i++) fail(throttle, `10.0.0.${i}`, 5);
    assert.equal(throttle.size, 4);
    assert.equal(throttle.admit("10.0.0.1", 0), 0);
    assert.ok(throttle.admit("10.0.0.6", 0) > 0);
  });

  test("an address is reported when it starts being slowed, then at most once per reportEveryMs", () => {
    const throttle = new AuthThrottle(OPTIONS);
    /** The failure counts reported among `count` failures at time `at`. */
    const reports = (count: number, at: number) =>
      Array.from({ length: count }, () => throttle.failed("10.0.0.1", at)).filter((f) => f.report).map((f) => f.failures);
    assert.deepEqual(reports(2, 0), []);
    assert.deepEqual(reports(20, 0), [3]);
    assert.deepEqual(reports(5, 999), []);
    assert.deepEqual(reports(5, 1_000), [28]);
  });

  test("the defaults: 10 free failures, ~0.3 s after 50, at most one guess per 2 s after ~70", () => {
    const throttle = new AuthThrottle();
    assert.equal(DEFAULT_AUTH_THROTTLE.freeFailures, 10);
    assert.equal(throttle.delayAfter(9), 0);
    assert.equal(throttle.delayAfter(10), 10);
    assert.equal(throttle.delayAfter(50), 320);
    assert.equal(throttle.delayAfter(72), 2_000);
  });
});

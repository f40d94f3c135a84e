import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkRegister, type RegisterOp } from "./linearizability.ts";

const w = (value: number, invokedAt: number, returnedAt: number, client = "a"): RegisterOp =>
  ({ kind: "write", value, invokedAt, returnedAt, client });
const r = (value: number, invokedAt: number, returnedAt: number, client = "b"): RegisterOp =>
  ({ kind: "read", value, invokedAt, returnedAt, client });

test("sequential reads see the latest write", () => {
  assert.ok(checkRegister([w(1, 1, 2), r(1, 3, 4), w(2, 5, 6), r(2, 7, 8)]).ok);
  assert.ok(checkRegister([r(0, 1, 2)]).ok, "the initial value");
});

test("a stale read after a completed write is caught", () => {
  const result = checkRegister([w(1, 1, 2), w(2, 3, 4), r(1, 5, 6)]);
  assert.equal(result.ok, false);
  assert.match(result.explanation, /no linearization/);
});

test("a read concurrent with a write may see either value", () => {
  assert.ok(checkRegister([w(1, 1, 2), w(2, 3, 10), r(1, 4, 5), r(2, 6, 7)]).ok);
  assert.equal(checkRegister([w(1, 1, 2), w(2, 3, 10), r(2, 4, 5), r(1, 6, 7)]).ok, false, "no going back");
});

test("writes with unknown outcome may take effect late or never", () => {
  assert.ok(checkRegister([w(1, 1, Infinity), r(0, 2, 3), r(1, 10, 11)]).ok);
  assert.ok(checkRegister([w(1, 1, Infinity), r(0, 2, 3)]).ok);
  assert.equal(checkRegister([w(1, 5, Infinity), r(1, 1, 2)]).ok, false, "not before it was invoked");
});

test("a read of a value nobody wrote is caught", () => {
  assert.equal(checkRegister([r(7, 1, 2)]).ok, false);
});

test("property: histories produced by a real register are linearizable", () => {
  const opArb = fc.record({ read: fc.boolean(), before: fc.nat(5), after: fc.nat(5), client: fc.nat(3) });
  fc.assert(fc.property(fc.array(opArb, { maxLength: 25 }), (ops) => {
    let value = 0;
    let next = 1;
    const history: RegisterOp[] = ops.map((o, k) => {
      const at = 10 * (k + 1); // the real linearization point
      const span = { invokedAt: at - o.before, returnedAt: at + o.after, client: `c${o.client}` };
      if (o.read) return { kind: "read", value, ...span };
      value = next++;
      return { kind: "write", value, ...span };
    });
    assert.ok(checkRegister(history).ok);
  }), { numRuns: 300 });
});

import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeValue, encodeValue } from "../../store/value_codec.ts";
import { KvU64 } from "../../store/kv_u64.ts";

test("structured-clone types round-trip; class instances become plain objects; nested KvU64 a plain { value }", () => {
  class Point {
    x = 1;
  }
  const value = {
    s: "é\0", n: -0, nan: NaN, inf: -Infinity, big: -(2n ** 70n), t: true, f: false, nul: null, u: undefined,
    bytes: new Uint8Array([0, 255]), u16: new Uint16Array([1, 65535]), date: new Date(5), re: /a+b/gi,
    map: new Map<unknown, unknown>([[1n, "x"], [{ k: 1 }, [1]]]), set: new Set([1, "1"]),
    arr: [1, , 3], obj: { nested: { deep: [new Date(0)] } }, point: new Point(), counter: new KvU64(5n),
  };
  const back = decodeValue(encodeValue(value)) as Record<string, unknown>;
  assert.deepEqual(back, { ...value, point: { x: 1 }, counter: { value: 5n } });
  assert.ok(Object.is(back.n, -0));
  assert.ok(!(1 in (back.arr as unknown[])), "a hole stays a hole");
  assert.ok(decodeValue(encodeValue(new KvU64(7n))) instanceof KvU64);
  assert.ok(decodeValue(encodeValue(new Uint8Array([1]))) instanceof Uint8Array);
});

test("a __proto__ key is data", () => {
  const value = JSON.parse('{"__proto__": {"polluted": 1}}');
  const back = decodeValue(encodeValue(value)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(back), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(back), Object.prototype);
});

test("what cannot be stored is a TypeError", () => {
  assert.throws(() => encodeValue(() => 1), { name: "TypeError", message: /^\(\) ?=> ?1 could not be cloned\.$/ });
  assert.throws(() => encodeValue(Symbol("s")), /could not be cloned/);
  assert.throws(() => encodeValue(new WeakMap()), /could not be cloned/);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => encodeValue(cyclic), /cyclic/);
});

test("property: deterministic — equal values give equal bytes, and decoding re-encodes to the same bytes", () => {
  fc.assert(fc.property(fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: false, withSparseArray: true }), (value) => {
    let bytes: Uint8Array;
    try {
      bytes = encodeValue(value);
    } catch (error) {
      assert.match((error as Error).message, /could not be cloned/);
      return;
    }
    assert.deepEqual(encodeValue(structuredClone(value)), bytes);
    assert.deepEqual(encodeValue(decodeValue(bytes)), bytes);
  }), { numRuns: 500 });
});

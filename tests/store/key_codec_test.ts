import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { bytesOf, decodeKey, encodeKey } from "../../store/key_codec.ts";
import type { KvKey, KvKeyPart } from "../../store/types.ts";

const hex = (key: KvKey) => Array.from(bytesOf(encodeKey(key)), (b) => b.toString(16).padStart(2, "0")).join("");

test("byte layout of each part type (FoundationDB tuple layer, as Deno KV)", () => {
  assert.equal(hex(["hello"]), "0268656c6c6f00");
  assert.equal(hex([new Uint8Array([1, 2, 0, 7, 8])]), "01010200ff070800");
  assert.equal(hex([0n]), "14");
  assert.equal(hex([1n]), "1501");
  assert.equal(hex([-1n]), "13fe");
  assert.equal(hex([256n]), "160100");
  assert.equal(hex([2n ** 64n]), "1d09010000000000000000");
  assert.equal(hex([-(2n ** 64n)]), "0bf6feffffffffffffffff");
  assert.equal(hex([1]), "21bff0000000000000");
  assert.equal(hex([-1]), "21400fffffffffffff");
  assert.equal(hex([0]), "218000000000000000");
  assert.equal(hex([-0]), "217fffffffffffffff");
  assert.equal(hex([NaN]), "21fff8000000000000");
  assert.equal(hex([false, true]), "2627");
  assert.equal(hex([]), "");
});

test("type order: Uint8Array < string < bigint < number < boolean; -0 < 0; NaN after Infinity", () => {
  const ordered: KvKeyPart[] = [
    new Uint8Array(), new Uint8Array([0]), new Uint8Array([0, 0]), new Uint8Array([1]),
    "", "\0", "a", "a\0", "ab", "b", "é",
    -(2n ** 100n), -(2n ** 64n), -256n, -1n, 0n, 1n, 255n, 256n, 2n ** 64n, 2n ** 100n,
    -Infinity, -1e300, -1, -Number.MIN_VALUE, -0, 0, Number.MIN_VALUE, 1, 1e300, Infinity, NaN,
    false, true,
  ];
  for (let i = 1; i < ordered.length; i++) {
    assert.ok(encodeKey([ordered[i - 1]]) < encodeKey([ordered[i]]), `${String(ordered[i - 1])} < ${String(ordered[i])}`);
  }
  assert.ok(encodeKey(["a"]) < encodeKey(["a", 0n]), "a key sorts before the keys it prefixes");
  assert.ok(encodeKey(["a", true]) < encodeKey(["a\0"]));
});

test("NaN is canonical by sign; -0 stays distinct from 0", () => {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, 0x7ff80000);
  view.setUint32(4, 1);
  assert.equal(encodeKey([view.getFloat64(0)]), encodeKey([NaN]));
  assert.notEqual(encodeKey([-0]), encodeKey([0]));
  assert.ok(Object.is(decodeKey(encodeKey([-0]))[0], -0));
});

test("bad parts and keys are TypeErrors with Deno KV's messages", () => {
  for (const bad of [{}, undefined, null, Symbol("x"), [1]]) {
    assert.throws(() => encodeKey([bad as unknown as KvKeyPart]), { name: "TypeError", message: "expected string, number, bigint, ArrayBufferView, boolean" });
  }
  assert.throws(() => encodeKey("a" as unknown as KvKey), /expected: array, got: string/);
});

const part: fc.Arbitrary<KvKeyPart> = fc.oneof(
  fc.uint8Array({ maxLength: 6 }),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: "binary", maxLength: 4 }),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  fc.double(),
  fc.boolean(),
);

function compareParts(a: KvKeyPart, b: KvKeyPart): number {
  const rank = (p: KvKeyPart) => p instanceof Uint8Array ? 0 : typeof p === "string" ? 1 : typeof p === "bigint" ? 2 : typeof p === "number" ? 3 : 4;
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (a instanceof Uint8Array || typeof a === "string") {
    const x = a instanceof Uint8Array ? a : new TextEncoder().encode(a);
    const y = b instanceof Uint8Array ? b : new TextEncoder().encode(b as string);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  }
  if (typeof a === "number") {
    const n = b as number;
    const order = (v: number) => Number.isNaN(v) ? 3 : Object.is(v, -0) ? -0.5 : 0;
    if (Number.isNaN(a) || Number.isNaN(n) || (a === 0 && n === 0)) return order(a) - order(n);
    return a < n ? -1 : a > n ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

test("property: encoded order is the naive key order; decode(encode(k)) is k", () => {
  fc.assert(fc.property(fc.array(part, { maxLength: 4 }), fc.array(part, { maxLength: 4 }), (a, b) => {
    let naive = 0;
    for (let i = 0; i < Math.min(a.length, b.length) && naive === 0; i++) naive = compareParts(a[i], b[i]);
    if (naive === 0) naive = a.length - b.length;
    const ea = encodeKey(a);
    const eb = encodeKey(b);
    assert.equal(Math.sign(ea < eb ? -1 : ea > eb ? 1 : 0), Math.sign(naive));
    assert.deepEqual(decodeKey(ea), a.map((p) => typeof p === "number" && Number.isNaN(p) ? NaN : p));
  }), { numRuns: 2000 });
});

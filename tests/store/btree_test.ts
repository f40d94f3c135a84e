import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BTree } from "../../store/btree.ts";

function scanAll(tree: BTree<number>, start: string, end: string, reverse: boolean, limit = Infinity): string[] {
  const out: string[] = [];
  tree.scan(start, end, reverse, (key) => {
    out.push(key);
    return out.length < limit;
  });
  return out;
}

test("property: a B+ tree behaves as a sorted map under inserts, overwrites, deletes and range scans", () => {
  const key = fc.string({ unit: fc.constantFrom("a", "b", "c", "\0", "\xff"), maxLength: 5 });
  const op = fc.oneof(
    fc.record({ type: fc.constant("set" as const), key, value: fc.integer() }),
    fc.record({ type: fc.constant("delete" as const), key }),
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 600 }), key, key, fc.boolean(), fc.nat({ max: 50 }), (ops, a, b, reverse, limit) => {
    const tree = new BTree<number>();
    const naive = new Map<string, number>();
    for (const o of ops) {
      if (o.type === "set") {
        tree.set(o.key, o.value);
        naive.set(o.key, o.value);
      } else {
        assert.equal(tree.delete(o.key), naive.delete(o.key));
      }
    }
    assert.equal(tree.size, naive.size);
    for (const [k, v] of naive) assert.equal(tree.get(k), v);
    const [start, end] = a < b ? [a, b] : [b, a];
    let expected = [...naive.keys()].sort().filter((k) => k >= start && k < end);
    if (reverse) expected.reverse();
    expected = expected.slice(0, limit || Infinity);
    assert.deepEqual(scanAll(tree, start, end, reverse, limit || Infinity), expected);
  }), { numRuns: 300 });
});

test("100,000 keys in, every other one out, then all out: order and links hold at depth", () => {
  const tree = new BTree<number>();
  const keys = Array.from({ length: 100_000 }, (_, i) => String(i * 7919 % 100_000).padStart(6, "0"));
  keys.forEach((k, i) => tree.set(k, i));
  const sorted = [...keys].sort();
  assert.deepEqual(scanAll(tree, "", "\uffff", false), sorted);
  for (let i = 0; i < sorted.length; i += 2) assert.ok(tree.delete(sorted[i]));
  const odd = sorted.filter((_, i) => i % 2 === 1);
  assert.deepEqual(scanAll(tree, "", "\uffff", false), odd);
  assert.deepEqual(scanAll(tree, "", "\uffff", true), [...odd].reverse());
  for (const k of odd) assert.ok(tree.delete(k));
  assert.equal(tree.size, 0);
  assert.deepEqual(scanAll(tree, "", "\uffff", false), []);
});

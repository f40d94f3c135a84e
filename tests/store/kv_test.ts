import { test } from "node:test";
import assert from "node:assert/strict";
import { KvU64, openKv } from "../../store/mod.ts";
import type { KvKey } from "../../store/types.ts";

async function keys(iter: AsyncIterable<{ key: KvKey }>): Promise<KvKey[]> {
  const out: KvKey[] = [];
  for await (const entry of iter) out.push(entry.key);
  return out;
}

test("get/set/delete/getMany with versionstamps that increase", async () => {
  const kv = await openKv();
  assert.deepEqual(await kv.get(["a"]), { key: ["a"], value: null, versionstamp: null });
  const one = await kv.set(["a"], { n: 1 });
  const two = await kv.set(["b"], "x");
  assert.ok(one.ok && two.ok && one.versionstamp < two.versionstamp);
  assert.match(one.versionstamp, /^[0-9a-f]{20}$/);
  assert.deepEqual(await kv.get(["a"]), { key: ["a"], value: { n: 1 }, versionstamp: one.versionstamp });
  const many = await kv.getMany([["a"], ["zz"], ["b"]]);
  assert.deepEqual(many.map((e) => e.value), [{ n: 1 }, null, "x"]);
  await kv.delete(["a"]);
  assert.equal((await kv.get(["a"])).versionstamp, null);
  await assert.rejects(kv.getMany(Array.from({ length: 11 }, (_, i) => [i])), { message: "Too many ranges (max 10)" });
  await assert.rejects(kv.set([], 1), { message: "key cannot be empty" });
});

test("list: prefix excludes the prefix key; start/end; reverse; limit; cursor resumes", async () => {
  const kv = await openKv();
  for (const k of [["p"], ["p", 1], ["p", 2], ["p", 3], ["p", 4], ["q"]]) await kv.set(k, k.length);
  assert.deepEqual(await keys(kv.list({ prefix: ["p"] })), [["p", 1], ["p", 2], ["p", 3], ["p", 4]]);
  assert.deepEqual(await keys(kv.list({ prefix: ["p"] }, { reverse: true, limit: 2 })), [["p", 4], ["p", 3]]);
  assert.deepEqual(await keys(kv.list({ start: ["p", 2], end: ["q"] })), [["p", 2], ["p", 3], ["p", 4]]);
  assert.deepEqual(await keys(kv.list({ prefix: ["p"], start: ["p", 3] })), [["p", 3], ["p", 4]]);
  assert.deepEqual(await keys(kv.list({ prefix: ["p"], end: ["p", 3] })), [["p", 1], ["p", 2]]);
  const first = kv.list({ prefix: ["p"] }, { limit: 2 });
  assert.throws(() => first.cursor, /before first iteration/);
  assert.deepEqual(await keys(first), [["p", 1], ["p", 2]]);
  assert.equal(first.cursor, "IcAAAAAAAAAA"); // the key less the prefix: 0x21, then 2.0 with its sign bit flipped
  const rest = kv.list({ prefix: ["p"] }, { cursor: first.cursor });
  assert.deepEqual(await keys(rest), [["p", 3], ["p", 4]]);
  assert.equal(rest.cursor, "");
  const back = kv.list({ prefix: ["p"] }, { cursor: "IcAAAAAAAAAA", reverse: true });
  assert.deepEqual(await keys(back), [["p", 1]]);
  assert.deepEqual(await keys(kv.list({ prefix: ["p"] }, { batchSize: 1 })), [["p", 1], ["p", 2], ["p", 3], ["p", 4]]);
  assert.throws(() => kv.list({ prefix: ["p"] }, { limit: 0 }), { message: "Limit must be a positive integer: received 0" });
  assert.throws(() => kv.list({ start: ["a"] } as never), /either 'prefix' or both/);
  await assert.rejects(keys(kv.list({ prefix: ["p"], start: ["q"] })), { message: "Start key is not in the keyspace defined by prefix" });
  await assert.rejects(keys(kv.list({ start: ["q"], end: ["p"] })), { message: "Start key is greater than end key" });
  await assert.rejects(keys(kv.list({ prefix: ["p"] }, { cursor: "!" })), { message: "invalid cursor" });
  await assert.rejects(keys(kv.list({ start: ["p", 3], end: ["q"] }, { cursor: "AA==" })), { message: "cursor out of bounds" });
  await assert.rejects(keys(kv.list({ prefix: [] }, { batchSize: 1001 })), { message: "Too many entries (max 1000)" });
});

test("atomic: checks pass and fail; sum/min/max on KvU64; all or nothing", async () => {
  const kv = await openKv();
  const set = await kv.set(["k"], 1);
  assert.ok(set.ok);
  assert.deepEqual(await kv.atomic().check({ key: ["k"], versionstamp: null }).set(["k"], 2).commit(), { ok: false });
  const ok = await kv.atomic().check({ key: ["k"], versionstamp: set.versionstamp }, { key: ["none"], versionstamp: null })
    .set(["k"], 2).sum(["c"], 5n).commit();
  assert.ok(ok.ok);
  await kv.atomic().sum(["c"], 2n ** 64n - 1n).min(["lo"], 9n).max(["hi"], 3n).commit();
  await kv.atomic().min(["lo"], 4n).max(["hi"], 8n).commit();
  const [c, lo, hi] = await kv.getMany([["c"], ["lo"], ["hi"]]);
  assert.deepEqual([c.value, lo.value, hi.value], [new KvU64(4n), new KvU64(4n), new KvU64(8n)]);
  assert.ok(c.value instanceof KvU64, "sum wraps modulo 2^64");
  await assert.rejects(kv.atomic().set(["x"], 1).sum(["k"], 1n).commit(), { message: "Failed to perform 'sum' mutation on a non-U64 value in the database" });
  assert.equal((await kv.get(["x"])).value, null, "a refused write leaves nothing behind");
  assert.throws(() => kv.atomic().sum(["c"], -1n), { name: "RangeError", message: "Value must be a positive bigint: received -1" });
  await assert.rejects(kv.atomic().check({ key: ["k"], versionstamp: "zz" }).commit(), { message: "Invalid check" });
});

test("limits: key and value sizes as Deno KV", async () => {
  const kv = await openKv();
  assert.ok((await kv.set(["x".repeat(2046)], 1)).ok, "2048 encoded bytes may be written");
  await assert.rejects(kv.set(["x".repeat(2047)], 1), { message: "Key too large for write (max 2048 bytes)" });
  assert.equal((await kv.get(["x".repeat(2046)])).value, 1);
  await assert.rejects(kv.get(["x".repeat(2047)]), { message: "Key too large for read (max 2049 bytes)" });
  assert.ok((await kv.set(["v"], new Uint8Array(65536))).ok);
  await assert.rejects(kv.set(["v"], new Uint8Array(65537)), { message: "Value too large (max 65536 bytes)" });
  await assert.rejects(kv.set(["e"], 1, { expireIn: -5 }), { message: "expireIn must be a non-negative integer: received -5" });
});

test("expireIn: an entry vanishes once the clock reaches its expiry; a plain set or a sum makes it permanent", async () => {
  let now = 1_000;
  const kv = await openKv({ clock: () => now });
  await kv.set(["t"], "temp", { expireIn: 100 });
  await kv.set(["p"], "perm", { expireIn: 100 });
  await kv.set(["p"], "perm");
  await kv.set(["u"], new KvU64(1n), { expireIn: 100 });
  await kv.atomic().sum(["u"], 1n).commit();
  now = 1_099;
  assert.equal((await kv.get(["t"])).value, "temp");
  now = 1_100;
  assert.equal((await kv.get(["t"])).value, null);
  assert.deepEqual(await keys(kv.list({ prefix: [] })), [["p"], ["u"]]);
  assert.ok((await kv.atomic().check({ key: ["t"], versionstamp: null }).commit()).ok);
});

test("mutate: sum also adds numbers and bigints (a bigint onto a KvU64 stays one); min/max only take KvU64", async () => {
  const kv = await openKv();
  const sum = (key: KvKey, value: unknown) => kv.atomic().mutate({ type: "sum", key, value: value as bigint }).commit();
  await sum(["n"], 5);
  await sum(["n"], 2.5);
  await sum(["b"], 5n);
  await sum(["b"], -7n);
  await kv.set(["u"], new KvU64(5n));
  await sum(["u"], 3n);
  assert.deepEqual((await kv.getMany([["n"], ["b"], ["u"]])).map((e) => e.value), [7.5, -2n, new KvU64(8n)]);
  await assert.rejects(sum(["b"], 1), { message: "Cannot sum BigInt with Number" });
  await assert.rejects(sum(["n"], 1n), { message: "Cannot sum Number with BigInt" });
  await assert.rejects(sum(["u"], 1), { message: "Cannot sum KvU64 with Number" });
  await assert.rejects(sum(["s"], "x"), { message: "Some of the parameters are not valid V8 values" });
  await kv.set(["str"], "x");
  await assert.rejects(sum(["str"], 1), { message: "unsupported value type" });
  await assert.rejects(kv.atomic().mutate({ type: "min", key: ["m"], value: 1 as unknown as bigint }).commit(), {
    message: "Failed to perform 'min' mutation on a non-U64 operand",
  });
  assert.throws(() => kv.atomic().mutate({ type: "delete", key: ["x"], value: 1 } as never), { message: "Invalid mutation 'delete' with value" });
});

test("commitVersionstamp(): as a set key's last part it becomes the commit's versionstamp", async () => {
  const kv = await openKv();
  const first = await kv.set(["log", kv.commitVersionstamp()], "a");
  const second = await kv.atomic().set(["log", kv.commitVersionstamp()], "b").set(["plain"], 1).commit();
  assert.ok(second.ok);
  assert.deepEqual(await keys(kv.list({ prefix: ["log"] })), [["log", first.versionstamp], ["log", second.versionstamp]]);
  await assert.rejects(kv.set(["log", kv.commitVersionstamp(), "x"], "c"), { message: "expected string, number, bigint, ArrayBufferView, boolean" });
  await assert.rejects(kv.set([kv.commitVersionstamp()], "d"), { message: "key cannot be empty" });
});

test("awaiting an atomic operation instead of its commit() is an error, as in Deno KV", async () => {
  const kv = await openKv();
  await assert.rejects(async () => await (kv.atomic().set(["a"], 1) as unknown as Promise<unknown>), { message: /did you forget to call 'commit\(\)'/ });
  assert.equal((await kv.get(["a"])).value, null);
});

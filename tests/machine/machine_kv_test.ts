import { test } from "node:test";
import assert from "node:assert/strict";
import type { App } from "../../api/app.ts";
import { encodeBatch, encodeTick } from "../../machine/log_payload.ts";
import { ReplicatedMachine } from "../../machine/machine.ts";
import { KvU64 } from "../../store/kv_u64.ts";

const enc = new TextEncoder();
const cmd = (...args: string[]) => args.map((a) => enc.encode(a));

const app: App<null> = {
  name: "kvtest",
  kv: true,
  initialData: () => null,
  jsonSnapshots: true,
  commands: {
    put: { kind: "write", run: (m, args) => m.kv.set(["k", args[1]], args[2], args[3] ? { expireIn: Number(args[3]) } : undefined).versionstamp },
    twice: {
      kind: "write",
      run: (m) => [m.kv.set(["t", 1], 1).versionstamp, m.kv.atomic().sum(["n"], 5n).commit().ok ? "ok" : "no"].join(" "),
    },
    get: { kind: "read", run: (m, args) => String(m.kv.get(["k", args[1]]).value) },
    sneaky: { kind: "read", run: (m) => m.kv.set(["k", "x"], 1).versionstamp },
    list: { kind: "read", run: (m) => [...m.kv.list({ prefix: [] })].map((e) => e.key.join("/")).join(",") },
  },
};

test("versionstamps are the log index then the commit's position in the entry", () => {
  const machine = new ReplicatedMachine(app);
  machine.apply(encodeTick(1_000_000_000n, 1n), 1);
  const outcome = machine.apply(encodeBatch([cmd("put", "a", "1"), cmd("twice"), cmd("put", "b", "2")]), 0x2a);
  assert.deepEqual((outcome as { results: unknown[] }).results, [
    "000000000000002a0000",
    "000000000000002a0001 ok",
    "000000000000002a0003",
  ]);
  assert.deepEqual(machine.kv!.get(["n"]), { key: ["n"], value: new KvU64(5n), versionstamp: "000000000000002a0002" });
  assert.equal(machine.read(cmd("get", "a")), "1");
  assert.throws(() => machine.apply(encodeBatch([cmd("put", "a", "1")])), /log index/);
});

test("a read command cannot write; an app without kv has no m.kv", () => {
  const machine = new ReplicatedMachine(app);
  machine.apply(encodeTick(1_000_000_000n, 1n), 1);
  assert.match(String(machine.read(cmd("sneaky"))), /a read command cannot write to the store/);
  assert.equal(machine.read(cmd("list")), "", "nothing was written");
  const plain = new ReplicatedMachine<null>({ name: "p", initialData: () => null, jsonSnapshots: true, commands: { w: { kind: "write", run: (m) => String(m.kv.get(["a"]).value) } } });
  const result = plain.apply(encodeBatch([cmd("w")]));
  assert.match(String((result as { results: unknown[] }).results[0]), /add kv: true/);
});

test("expiry follows machine time: an entry vanishes at the first entry applied at or after its expiry, on every replica", () => {
  const replicas = [new ReplicatedMachine(app), new ReplicatedMachine(app)];
  for (const m of replicas) {
    m.apply(encodeTick(1_000_000_000n, 1n), 1); // 1000 ms
    m.apply(encodeBatch([cmd("put", "gone", "x", "500"), cmd("put", "kept", "y")]), 2);
    m.apply(encodeTick(1_499_000_000n, 2n), 3);
    assert.equal(m.read(cmd("get", "gone")), "x");
    m.apply(encodeTick(1_500_000_000n, 3n), 4);
    assert.equal(m.read(cmd("get", "gone")), "null");
    assert.equal(m.read(cmd("list")), "k/kept");
  }
  assert.deepEqual(replicas[0].snapshot(), replicas[1].snapshot());
});

test("snapshot and restore carry the store, its versionstamps and expiries; the app's data beside it", () => {
  const machine = new ReplicatedMachine(app);
  machine.apply(encodeTick(1_000_000_000n, 1n), 1);
  machine.apply(encodeBatch([cmd("put", "a", "1", "60000"), cmd("twice"), cmd("put", "b", "2")]), 2);
  const copy = new ReplicatedMachine(app);
  copy.restore(machine.snapshot());
  assert.deepEqual(copy.snapshot(), machine.snapshot());
  assert.equal(copy.read(cmd("list")), "k/a,k/b,n,t/1");
  assert.deepEqual([...copy.kv!.list({ prefix: [] })], [...machine.kv!.list({ prefix: [] })]);
  copy.apply(encodeTick(1_060_000_000_000n, 2n), 3);
  assert.equal(copy.read(cmd("get", "a")), "null", "the expiry came through the snapshot");
  const plain = new ReplicatedMachine<null>({ name: "p", initialData: () => null, jsonSnapshots: true, commands: {} });
  assert.throws(() => plain.restore(machine.snapshot()), /needs kv: true/);
  const before = new ReplicatedMachine(app);
  before.restore(plain.snapshot());
  assert.equal(before.read(cmd("list")), "", "a snapshot from before the app had a store restores with an empty one");
});

test("restoreChunks: the snapshot streamed in chunks of any size restores the same state; a cut one changes nothing", async () => {
  const machine = new ReplicatedMachine(app);
  machine.apply(encodeTick(1_000_000_000n, 1n), 1);
  for (let i = 0; i < 40; i++) machine.apply(encodeBatch([cmd("put", `k${i}`, "v".repeat(i), i % 3 ? "" : "90000"), cmd("twice")]), 2 + i);
  const bytes = machine.snapshot();
  for (const size of [1, 2, 3, 7, 12, 13, 31, 32, 33, 64, 1000, bytes.length]) {
    const copy: ReplicatedMachine<null> = new ReplicatedMachine(app);
    await copy.restoreChunks((async function* () {
      for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
    })());
    assert.deepEqual(copy.snapshot(), bytes, `chunks of ${size}`);
  }
  const untouched = new ReplicatedMachine(app);
  untouched.apply(encodeTick(1_000_000_000n, 1n), 1);
  untouched.apply(encodeBatch([cmd("put", "mine", "1")]), 2);
  const before = untouched.snapshot();
  await assert.rejects(untouched.restoreChunks((async function* () {
    yield bytes.subarray(0, bytes.length - 5);
  })()), /truncated/);
  assert.deepEqual(untouched.snapshot(), before, "a failed restore leaves the state as it was");
});

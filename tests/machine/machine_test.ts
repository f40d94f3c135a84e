import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { App } from "../../api/app.ts";
import { encodeBatch, encodeTick } from "../../machine/log_payload.ts";
import { ReplicatedMachine } from "../../machine/machine.ts";

const enc = new TextEncoder();
const cmd = (...args: string[]) => args.map((a) => enc.encode(a));

interface Data {
  ticket: number;
  log: string[];
  ticks: number;
}

const app: App<Data> = {
  name: "test",
  initialData: () => ({ ticket: 0, log: [], ticks: 0 }),
  jsonSnapshots: true,
  tick: (m) => void m.data.ticks++,
  commands: {
    ticket: { kind: "write", run: (m) => ++m.data.ticket },
    stamp: {
      kind: "write",
      run: (m) => {
        const line = `${m.now()} ${m.rand.uint64()} ${m.rand.uuid()}`;
        m.data.log.push(line);
        return line;
      },
    },
    boom: { kind: "write", run: () => { throw new Error("boom"); } },
    get: { kind: "read", run: (m) => m.data.ticket },
  },
};

test("writes apply in order; errors are results", () => {
  const machine = new ReplicatedMachine(app);
  assert.equal(machine.ticked, false);
  machine.apply(encodeTick(1_000n, 7n));
  const outcome = machine.apply(encodeBatch([cmd("TICKET"), cmd("boom"), cmd("ticket", "extra"), cmd("nope")]));
  assert.equal(outcome.type, "batch");
  const results = (outcome as { results: unknown[] }).results;
  assert.deepEqual(results.slice(0, 3).map(String), ["1", "Error: boom", "2"]);
  assert.match(String(results[3]), /unknown command 'nope'/);
  assert.equal(machine.read(cmd("GET")), 2);
  assert.equal(machine.data.ticks, 1);
});

test("time never goes backwards and strictly increases per write", () => {
  const machine = new ReplicatedMachine(app);
  machine.apply(encodeTick(5_000n, 1n));
  const first = machine.timeNs;
  machine.apply(encodeTick(4_000n, 2n)); // an older leader clock
  assert.ok(machine.timeNs > first);
  let last = machine.timeNs;
  for (let i = 0; i < 5; i++) {
    machine.apply(encodeBatch([cmd("stamp")]));
    assert.ok(machine.timeNs > last);
    last = machine.timeNs;
  }
  assert.equal(machine.bootNs, 5_000n);
});

test("property: replicas and a replica restored from a snapshot compute identical now() and rand()", () => {
  const step = fc.oneof(
    fc.record({ tick: fc.bigInt({ min: 1n, max: 2n ** 62n }), seed: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
    fc.integer({ min: 1, max: 4 }),
  );
  fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), fc.nat(), (steps, cut) => {
    const payloads = [encodeTick(1n, 1n), ...steps.map((s) =>
      typeof s === "number" ? encodeBatch(Array.from({ length: s }, () => cmd("stamp"))) : encodeTick(s.tick, s.seed)
    )];
    const a = new ReplicatedMachine(app);
    const b = new ReplicatedMachine(app);
    const split = cut % payloads.length;
    payloads.forEach((p) => a.apply(p));
    payloads.slice(0, split).forEach((p) => b.apply(p));
    const c = new ReplicatedMachine(app);
    c.restore(b.snapshot());
    payloads.slice(split).forEach((p) => c.apply(p));
    assert.deepEqual(c.data, a.data);
    assert.equal(c.timeNs, a.timeNs);
    assert.deepEqual(c.snapshot(), a.snapshot());
  }), { numRuns: 200 });
});

test("custom binary snapshots and a clear error for foreign bytes", () => {
  const binary: App<Map<string, string>> = {
    name: "bin",
    initialData: () => new Map(),
    snapshot: (data) => enc.encode(JSON.stringify([...data])),
    restore: (bytes) => new Map(JSON.parse(new TextDecoder().decode(bytes))),
    commands: { set: { kind: "write", run: (m, args) => void m.data.set(args[1], args[2]) } },
  };
  const machine = new ReplicatedMachine(binary);
  machine.apply(encodeTick(10n, 3n));
  machine.apply(encodeBatch([cmd("SET", "k", "v")]));
  const copy = new ReplicatedMachine(binary);
  copy.restore(machine.snapshot());
  assert.equal(copy.data.get("k"), "v");
  assert.throws(() => copy.restore(enc.encode("garbage that is long enough to have a header")), /not a machine snapshot/);
});

test("an invalid payload is reported, not thrown", () => {
  const machine = new ReplicatedMachine(app);
  assert.equal(machine.apply(new Uint8Array([9, 9])).type, "invalid");
});

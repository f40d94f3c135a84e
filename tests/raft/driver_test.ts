/**
 * One driver on its own (a single-voter cluster, memory stores unless said
 * otherwise): what stops it for good and what its log says then, the
 * read-only status it hands out, its snapshots, and a data directory
 * written by an earlier version.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { type Applier, type DriverOptions, type DriverTransport, RaftDriver } from "../../raft/driver.ts";
import type { LogEntry } from "../../raft/log_entry.ts";
import type { Message } from "../../raft/core/mod.ts";
import { NodeStoppedError, OutcomeUnknownError } from "../../raft/errors.ts";
import {
  MemoryLogStore,
  MemorySnapshotStore,
  MemoryStableStore,
  openFileLogStore,
  openFileSnapshotStore,
  openFileStableStore,
  StorageCorruptError,
  StorageFailedError,
} from "../../raft/storage/mod.ts";
import { waitFor } from "../helpers/process.ts";
import { restoreFromSnapshot } from "../../raft/snapshot_io.ts";

const text = (s: string) => new TextEncoder().encode(s);
const solo = { members: [{ id: 1, address: "n1", voter: true }] };

/** A memory log whose next append fails with `failNext`. */
class FailingLog extends MemoryLogStore {
  failNext: Error | undefined;
  override append(batch: readonly LogEntry[]): Promise<void> {
    const error = this.failNext;
    this.failNext = undefined;
    return error ? Promise.reject(error) : super.append(batch);
  }
}

/** A machine keeping what it applied; it throws on data "boom". */
function recordingApplier(): Applier & { applied: string[] } {
  let applied: string[] = [];
  return {
    get applied() {
      return applied;
    },
    apply: (data) => {
      const value = new TextDecoder().decode(data);
      if (value === "boom") throw new TypeError("cannot read properties of undefined");
      applied.push(value);
      return value.toUpperCase();
    },
    snapshot: () => text(JSON.stringify(applied)),
    restore: (bytes) => void (applied = JSON.parse(new TextDecoder().decode(bytes))),
    snapshotHeader: () => ({ time: 0, seed: "" }),
  };
}

const transport: DriverTransport = { setPeers() {}, send() {}, sendSnapshot: () => Promise.resolve(false) };
const drivers: RaftDriver[] = [];
after(() => Promise.all(drivers.map((d) => d.close())));

async function startSolo(overrides: Partial<DriverOptions> = {}) {
  const lines: string[] = [];
  const say = (level: string) => (line: string) => void lines.push(`${level}: ${line}`);
  const applier = recordingApplier();
  const log = new FailingLog();
  const driver = await RaftDriver.open({
    id: 1,
    log,
    stable: new MemoryStableStore(),
    snapshots: new MemorySnapshotStore(),
    applier,
    logger: { debug() {}, verb() {}, info: say("info"), warn: say("warn") },
    initialConfig: solo,
    tickMs: 3_600_000,
    ...overrides,
  });
  drivers.push(driver);
  driver.start(transport);
  await waitFor("node 1 to lead", () => driver.status.role === "leader" && driver.status.appliedIndex >= 1);
  return { driver, applier, log, lines };
}

test("a machine that throws stops the node as a bug in the machine, at that entry, not as a storage failure", async () => {
  const { driver, applier, lines } = await startSolo();
  assert.equal(await driver.propose(text("a")), "A");
  const doomed = driver.propose(text("boom"));
  const next = driver.propose(text("b")); // committed after it, never applied
  await assert.rejects(doomed, (e: unknown) =>
    e instanceof OutcomeUnknownError && e.reason === "the node stopped: the state machine failed applying entry 3");
  await assert.rejects(next, OutcomeUnknownError);
  const failure = driver.failed;
  assert.ok(failure instanceof NodeStoppedError);
  assert.equal(failure.kind, "applier");
  assert.equal(failure.index, 3);
  assert.ok(failure.cause instanceof TypeError);
  assert.match(failure.message, /^the state machine failed applying entry 3, a bug in the machine \(not a storage failure\): cannot read properties of undefined\. The node stopped applying entries and serving requests/);
  assert.deepEqual(applier.applied, ["a"], "nothing after the entry it could not apply");
  const said = lines.join("\n");
  assert.match(said, /warn: the state machine failed applying entry 3/);
  assert.match(said, /warn: TypeError: cannot read properties of undefined\n\s+at /, "the stack of the bug is logged");
  assert.doesNotMatch(said, /storage failure, node stopped/);
  await assert.rejects(driver.propose(text("c")), (e: unknown) => e === failure);
  await assert.rejects(driver.linearizableRead(), (e: unknown) => e === failure);
  assert.equal(driver.status.appliedIndex, 2, "the status still answers");
});

test("a storage error no retry fixes stops the node as a storage failure, as before", async () => {
  const { driver, log, lines } = await startSolo();
  log.failNext = new StorageCorruptError("log/00000000000000000001.seg", 42, "checksum mismatch", "Restore it.");
  await assert.rejects(driver.propose(text("x")), (e: unknown) =>
    e instanceof OutcomeUnknownError && /^log\/0+1\.seg at offset 42: checksum mismatch/.test(e.reason));
  assert.equal(driver.failed?.kind, "storage");
  assert.equal(driver.failed?.message, "storage failure, node stopped taking writes: log/00000000000000000001.seg at offset 42: checksum mismatch. Restore it.");
  assert.match(lines.join("\n"), /warn: storage failure, node stopped taking writes: /);
});

test("status is a read-only view of the current core: frozen, no core methods, the same object throughout", async () => {
  const { driver, log } = await startSolo({ storageRetryMaxMs: 20 });
  const status = driver.status;
  assert.equal(driver.status, status);
  assert.ok(Object.isFrozen(status));
  for (const method of ["tick", "step", "propose", "campaign", "stepDown", "ready", "advance", "compact"]) {
    assert.equal((status as unknown as Record<string, unknown>)[method], undefined, method);
  }
  assert.throws(() => ((status as { term: number }).term = 99), TypeError);
  const before = status.lastIndex;
  await driver.propose(text("a"));
  assert.equal(status.lastIndex, before + 1, "reads the live core");
  // A refused write pauses the node; resuming builds a new core, which the view reads.
  const term = status.term;
  log.failNext = new StorageFailedError("disk full", "ENOSPC");
  await assert.rejects(driver.propose(text("b")), OutcomeUnknownError);
  await waitFor("the node to resume and lead again", () => !driver.storageFailure && status.role === "leader", 5_000);
  assert.ok(status.term > term, `term ${status.term} after ${term}`);
  assert.equal(status.progress().length, 1);
  assert.equal(status.termAt(status.lastIndex), status.term);
});

test("snapshots are taken every snapshotThresholdEntries applied entries; the log is compacted up to the previous one", async () => {
  const snapshots = new MemorySnapshotStore();
  const { driver, log } = await startSolo({ snapshots, snapshotThresholdEntries: 5 });
  // The no-op of the term is entry 1; one write per Ready loop run (the policy hears of each when the run ends).
  for (let i = 0; i < 12; i++) {
    await driver.propose(text(`v${i}`));
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  assert.equal(driver.status.appliedIndex, 13);
  await waitFor("the log compacted up to the first snapshot", () => log.firstIndex() === 6);
  assert.deepEqual((await snapshots.list()).map((s) => s.index), [10, 5]);
  assert.equal(driver.status.snapshotMeta.index, 5);
  assert.deepEqual((await snapshots.list())[0].config, solo, "the configuration in effect, as a MembershipConfig");
});

/** A stable file exactly as earlier versions wrote it (format 1: ids as text): node 2, term 7, voted for 3. */
const FORMAT_1_STABLE = "47e9ec2d\n" +
  `{"format":"uhaha-stable/1","currentTerm":7,"votedFor":"3","nodeId":"2","config":{"members":[` +
  `{"id":1,"address":"127.0.0.1:11001","voter":true},{"id":2,"address":"127.0.0.1:11002","voter":true},` +
  `{"id":3,"address":"127.0.0.1:11003","voter":false}]}}`;

test("a data directory an earlier version wrote opens: its term and its vote (stored as text) hold", async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "uhaha-driver-legacy-"));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  await fs.writeFile(path.join(dir, "stable.json"), FORMAT_1_STABLE);
  const stable = await openFileStableStore(path.join(dir, "stable.json"));
  const log = await openFileLogStore(path.join(dir, "log"));
  t.after(async () => {
    await log.close();
    await stable.close();
  });
  const sent: Message[] = [];
  const driver = await RaftDriver.open({
    id: 2,
    log,
    stable,
    snapshots: await openFileSnapshotStore(path.join(dir, "snapshots")),
    applier: recordingApplier(),
    logger: { debug() {}, verb() {}, info() {}, warn() {} },
    initialConfig: stable.get().config!,
    tickMs: 3_600_000,
  });
  drivers.push(driver);
  driver.start({ ...transport, send: (messages) => void sent.push(...messages) });
  assert.equal(driver.status.term, 7);
  const ask = (from: number) => driver.receive({ type: "vote", from, to: 2, term: 7, lastIndex: 0, lastTerm: 0, transfer: false });
  ask(1);
  ask(3);
  await waitFor("both answers", () => sent.filter((m) => m.type === "voteResponse").length === 2);
  const granted = sent.flatMap((m) => m.type === "voteResponse" ? [[m.to, m.granted]] : []);
  assert.deepEqual(granted, [[1, false], [3, true]], "voted for 3 in term 7, and for no one else");
  assert.equal(stable.get().votedFor, 3);
});

test("a machine's snapshot given in chunks is stored whole, and restores through the chunked path", async () => {
  const snapshots = new MemorySnapshotStore();
  const chunked = recordingApplier();
  const applier: Applier = { ...chunked, snapshot: () => [text("["), text(JSON.stringify(chunked.applied).slice(1, -1)), text("]")] };
  const { driver } = await startSolo({ applier, snapshots });
  for (const value of ["a", "b", "c"]) await driver.propose(text(value));
  const info = await driver.snapshotNow();
  const reader = await snapshots.open(info.id);
  try {
    assert.equal(new TextDecoder().decode(await reader.readData()), JSON.stringify(chunked.applied));
  } finally {
    await reader.close();
  }
  let streamed = "";
  await restoreFromSnapshot(snapshots, info, {
    restore: () => assert.fail("the chunked path is taken when the machine has one"),
    restoreChunks: async (chunks) => {
      for await (const chunk of chunks) streamed += new TextDecoder().decode(chunk);
    },
  });
  assert.equal(streamed, JSON.stringify(chunked.applied));
});

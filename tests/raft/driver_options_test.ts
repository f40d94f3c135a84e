/** The driver's tunables: defaults, and one clear message per bad value, checked before anything is opened. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DRIVER_DEFAULTS, type DriverOptions, resolveDriverOptions } from "../../raft/driver_options.ts";
import { RaftDriver } from "../../raft/driver.ts";
import { MemoryLogStore, MemorySnapshotStore, MemoryStableStore } from "../../raft/storage/mod.ts";
import type { Logger } from "../../raft/logger.ts";
import { createLogger } from "../../cluster/logger.ts";

const parts: DriverOptions = {
  id: 1,
  log: new MemoryLogStore(),
  stable: new MemoryStableStore(),
  snapshots: new MemorySnapshotStore(),
  applier: { apply: () => undefined, snapshot: () => new Uint8Array(), restore: () => {}, snapshotHeader: () => ({ time: 0, seed: "" }) },
  logger: { debug() {}, verb() {}, info() {}, warn() {} },
  initialConfig: { members: [] },
};

test("driver options: every tunable left out or undefined gets its default", () => {
  assert.deepEqual(DRIVER_DEFAULTS, {
    tickMs: 100,
    electionTicks: 10,
    snapshotThresholdEntries: 8192,
    snapshotThresholdBytes: 8 * 1024 * 1024,
    snapshotIntervalMs: 120_000,
    proposalTimeoutMs: 10_000,
    storageRetryMaxMs: 2_000,
    storageRetryLogMs: 10_000,
  });
  const resolved = resolveDriverOptions({ ...parts, tickMs: undefined, electionTicks: 3, snapshotThresholdEntries: undefined });
  assert.equal(resolved.tickMs, 100);
  assert.equal(resolved.electionTicks, 3);
  assert.equal(resolved.snapshotThresholdEntries, 8192);
  assert.equal(resolved.storageRetryLogMs, 10_000);
  assert.equal(resolved.log, parts.log, "the parts are passed through");
});

test("driver options: a bad value is refused by name, with what it must be and what it was", () => {
  const refused: [Partial<DriverOptions>, string][] = [
    [{ id: 0 }, "id must be a node id (an integer ≥ 1), got 0"],
    [{ electionTicks: 1 }, "electionTicks must be an integer ≥ 2, got 1"],
    [{ electionTicks: 2.5 }, "electionTicks must be an integer ≥ 2, got 2.5"],
    [{ tickMs: 0 }, "tickMs must be an integer from 1 to 2147483647, got 0"],
    [{ tickMs: 2 ** 31 }, "tickMs must be an integer from 1 to 2147483647, got 2147483648"],
    [{ snapshotThresholdEntries: 0 }, "snapshotThresholdEntries must be an integer ≥ 1, got 0"],
    [{ snapshotIntervalMs: -5 }, "snapshotIntervalMs must be an integer from 1 to 2147483647, got -5"],
    [{ proposalTimeoutMs: Number.NaN }, "proposalTimeoutMs must be an integer from 1 to 2147483647, got NaN"],
    [{ storageRetryMaxMs: 0 }, "storageRetryMaxMs must be an integer from 1 to 2147483647, got 0"],
    [{ storageRetryLogMs: -1 }, "storageRetryLogMs must be an integer ≥ 0, got -1"],
  ];
  for (const [bad, message] of refused) {
    assert.throws(() => resolveDriverOptions({ ...parts, ...bad }), (e: unknown) => e instanceof RangeError && e.message === message, message);
  }
  assert.doesNotThrow(() => resolveDriverOptions({ ...parts, electionTicks: 2, storageRetryLogMs: 0, snapshotThresholdEntries: 1e9 }));
});

test("RaftDriver.open refuses bad options before reading any state", async () => {
  let read = false;
  const log = new MemoryLogStore();
  const watched = Object.assign(Object.create(log), { lastIndex: () => (read = true, log.lastIndex()) });
  await assert.rejects(RaftDriver.open({ ...parts, log: watched, electionTicks: 1 }), /electionTicks must be an integer ≥ 2, got 1/);
  assert.equal(read, false);
});

test("the node's logger is the Logger the driver and the transport take", () => {
  const lines: string[] = [];
  const logger: Logger = createLogger("debug", (line) => void lines.push(line));
  logger.verb("hello");
  assert.match(lines[0], /- hello$/);
});

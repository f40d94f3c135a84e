/** When the driver snapshots: the threshold on applied notifications, the interval, and never while busy or paused. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SnapshotPolicy } from "../../raft/snapshot_policy.ts";
import type { SnapshotInfo } from "../../raft/storage/snapshot_store.ts";

/** A snapshotter that records when it is asked, and takes a snapshot at the index it is told. */
class FakeSnapshotter {
  lastIndex = 0;
  lastStateBytes = 0;
  busy = false;
  taken: number[] = [];
  appliedIndex = 0;
  take(): Promise<SnapshotInfo> {
    this.taken.push(this.appliedIndex);
    this.lastIndex = this.appliedIndex;
    return Promise.resolve({} as SnapshotInfo);
  }
}

const quiet = { debug() {}, verb() {}, info() {}, warn() {} };

/** A policy whose entry threshold is out of reach, so only `bytes` (and the state's size) decide; `applied` feeds it. */
function byteThresholdPolicy(bytes: number) {
  const snapshotter = new FakeSnapshotter();
  const policy = new SnapshotPolicy(
    { snapshotThresholdEntries: 1000, snapshotThresholdBytes: bytes, snapshotIntervalMs: 3_600_000, logger: quiet },
    snapshotter,
    () => true,
  );
  const applied = (index: number, appliedBytes: number) => {
    snapshotter.appliedIndex = index;
    policy.applied(index, appliedBytes);
  };
  return { snapshotter, applied };
}

test("snapshot policy: one snapshot per threshold of applied entries, none while busy or not allowed", () => {
  const snapshotter = new FakeSnapshotter();
  let allowed = true;
  const policy = new SnapshotPolicy({ snapshotThresholdEntries: 10, snapshotThresholdBytes: 1_000_000, snapshotIntervalMs: 3_600_000, logger: quiet }, snapshotter, () => allowed);
  const applied = (index: number) => {
    snapshotter.appliedIndex = index;
    policy.applied(index, index);
  };
  applied(9);
  assert.deepEqual(snapshotter.taken, []);
  applied(10);
  assert.deepEqual(snapshotter.taken, [10]);
  applied(19);
  assert.deepEqual(snapshotter.taken, [10]);
  snapshotter.busy = true;
  applied(25);
  assert.deepEqual(snapshotter.taken, [10], "one at a time");
  snapshotter.busy = false;
  allowed = false;
  applied(26);
  assert.deepEqual(snapshotter.taken, [10], "not while closed or paused");
  allowed = true;
  applied(27);
  assert.deepEqual(snapshotter.taken, [10, 27]);
});

test("snapshot policy: the interval takes one when anything at all was applied since the last", async () => {
  const snapshotter = new FakeSnapshotter();
  const lines: string[] = [];
  const logger = { ...quiet, warn: (line: string) => void lines.push(line) };
  const policy = new SnapshotPolicy({ snapshotThresholdEntries: 1000, snapshotThresholdBytes: 1_000_000, snapshotIntervalMs: 5, logger }, snapshotter, () => true);
  policy.start();
  try {
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.deepEqual(snapshotter.taken, [], "nothing applied: nothing to snapshot");
    snapshotter.appliedIndex = 3;
    policy.applied(3, 3);
    assert.deepEqual(snapshotter.taken, [], "below the threshold");
    while (snapshotter.taken.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(snapshotter.taken, [3]);
    snapshotter.take = () => Promise.reject(new Error("disk gone"));
    policy.applied(4, 4);
    while (lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(lines[0], "automatic snapshot failed: disk gone");
  } finally {
    policy.stop();
  }
});

test("snapshot policy: entries holding the byte threshold take one even below the entry threshold", () => {
  const { snapshotter, applied } = byteThresholdPolicy(5_000);
  applied(3, 4_999);
  assert.deepEqual(snapshotter.taken, []);
  applied(4, 5_000);
  assert.deepEqual(snapshotter.taken, [4], "5,000 bytes in 4 entries");
  applied(5, 9_999);
  assert.deepEqual(snapshotter.taken, [4], "bytes count again from the snapshot");
  applied(6, 10_000);
  assert.deepEqual(snapshotter.taken, [4, 6]);
});

test("snapshot policy: a state larger than the byte threshold waits for as many bytes of commands, up to 4 times it", () => {
  const { snapshotter, applied } = byteThresholdPolicy(5_000);
  applied(1, 5_000);
  assert.deepEqual(snapshotter.taken, [1]);
  snapshotter.lastStateBytes = 20_000;
  applied(2, 24_999);
  assert.deepEqual(snapshotter.taken, [1], "19,999 bytes of commands: less than the 20,000-byte state");
  applied(3, 25_000);
  assert.deepEqual(snapshotter.taken, [1, 3]);
  snapshotter.lastStateBytes = 100;
  applied(4, 30_000);
  assert.deepEqual(snapshotter.taken, [1, 3, 4], "a small state: the byte threshold again");
  snapshotter.lastStateBytes = 1_000_000;
  applied(5, 49_999);
  assert.deepEqual(snapshotter.taken, [1, 3, 4], "a huge state: at most 4 times the byte threshold");
  applied(6, 50_000);
  assert.deepEqual(snapshotter.taken, [1, 3, 4, 6]);
});

/**
 * What the driver applies before a Ready's own writes: only committed
 * entries already on disk (below the Ready's first new entry), and never an
 * entry twice.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MachineFeed } from "../../raft/machine_feed.ts";
import { PendingProposals } from "../../raft/pending_requests.ts";
import { EntryKind, type LogEntry } from "../../raft/log_entry.ts";
import type { Ready } from "../../raft/core/types.ts";
import { MemorySnapshotStore } from "../../raft/storage/memory_snapshot_store.ts";

const entry = (index: number): LogEntry => ({ index, term: 1, kind: EntryKind.Command, data: new Uint8Array([index]) });

function feed(): { machine: MachineFeed; applied: number[] } {
  const applied: number[] = [];
  const applier = {
    apply: (_data: Uint8Array, index: number) => applied.push(index),
    snapshot: () => new Uint8Array(),
    restore: () => {},
    snapshotHeader: () => ({ time: 0, seed: "" }),
  };
  return { machine: new MachineFeed(applier, new MemorySnapshotStore(), new PendingProposals(1_000), 0), applied };
}

function ready(committed: number[], fresh: number[], snapshot = false): Ready {
  return {
    hardState: undefined,
    snapshot: snapshot ? { index: 0, term: 0, config: { members: [] } } : undefined,
    entries: fresh.map(entry),
    messages: [],
    committedEntries: committed.map(entry),
    readStates: [],
    failedReads: [],
  };
}

test("applyDurable applies committed entries below the Ready's first new entry; apply then skips them", () => {
  const { machine, applied } = feed();
  const leaderReady = ready([1, 2, 3], [4, 5]);
  machine.applyDurable(leaderReady);
  assert.deepEqual(applied, [1, 2, 3], "a leader's committed entries are on disk already");
  machine.apply(leaderReady.committedEntries);
  assert.deepEqual(applied, [1, 2, 3], "nothing is applied twice");

  // A follower told to commit entries that arrive in this same Ready: those wait for the fsync.
  const followerReady = ready([4, 5, 6], [5, 6]);
  machine.applyDurable(followerReady);
  assert.deepEqual(applied, [1, 2, 3, 4]);
  machine.apply(followerReady.committedEntries);
  assert.deepEqual(applied, [1, 2, 3, 4, 5, 6]);
  assert.equal(machine.index, 6);
});

test("applyDurable leaves a Ready with a snapshot alone (the snapshot is installed first)", () => {
  const { machine, applied } = feed();
  machine.applyDurable(ready([1], [], true));
  assert.deepEqual(applied, []);
});

test("restore streams a stored snapshot to a machine that takes chunks; its refusal is the applier's, a read failure the storage's", async () => {
  const snapshots = new MemorySnapshotStore();
  const meta = { index: 5, term: 2, config: { members: [] }, time: 0, seed: "" };
  const sink = await snapshots.create(meta);
  await sink.write(new Uint8Array([1, 2, 3]));
  await sink.write(new Uint8Array([4]));
  await sink.commit();
  let received: number[] = [];
  let refuse = false;
  const applier = {
    apply: () => undefined,
    snapshot: () => new Uint8Array(),
    restore: () => assert.fail("the whole-bytes restore is not used when restoreChunks exists"),
    restoreChunks: async (chunks: AsyncIterable<Uint8Array>) => {
      received = [];
      for await (const chunk of chunks) received.push(...chunk);
      if (refuse) throw new Error("not my snapshot");
    },
    snapshotHeader: () => ({ time: 0, seed: "" }),
  };
  const machine = new MachineFeed(applier, snapshots, new PendingProposals(1_000), 0);
  await machine.restore(meta);
  assert.deepEqual(received, [1, 2, 3, 4]);
  assert.equal(machine.index, 5);
  refuse = true;
  await assert.rejects(machine.restore(meta), (error: Error & { kind?: string }) => error.kind === "applier" && /not my snapshot/.test(String(error.cause ?? error.message)));
  const broken = new MachineFeed({ ...applier, restoreChunks: async (chunks: AsyncIterable<Uint8Array>) => {
    for await (const _ of chunks) { /* read it all */ }
  } }, {
    ...snapshots,
    list: () => snapshots.list(),
    open: async (id: string) => ({ ...(await snapshots.open(id)), readDataChunks: async function* () {
      yield new Uint8Array([1]);
      throw new Error("disk read failed");
    } }),
  } as unknown as MemorySnapshotStore, new PendingProposals(1_000), 0);
  await assert.rejects(broken.restore(meta), (error: Error & { kind?: string }) => error.kind === "storage");
});

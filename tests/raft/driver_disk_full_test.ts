/**
 * The driver on a disk that fills up and is freed again: three in-process
 * RaftDrivers on real file stores whose writes can be made to fail with
 * ENOSPC (half of the write lands first, as on a real full disk). A node
 * whose disk is full steps down, acknowledges nothing it could not write,
 * fails its waiting proposals with an unknown outcome, and resumes by itself
 * once writes succeed again; every acknowledged write ends up on every node.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { type DriverTransport, RaftDriver } from "../../raft/driver.ts";
import { NotLeaderError, OutcomeUnknownError } from "../../raft/errors.ts";
import { toClientError } from "../../commands/client_errors.ts";
import type { Member } from "../../raft/core/types.ts";
import { type FileIO, nodeFileIO } from "../../raft/storage/file_io.ts";
import { type FileLogStore, openFileLogStore } from "../../raft/storage/file_log_store.ts";
import { MemorySnapshotStore } from "../../raft/storage/memory_snapshot_store.ts";
import { type FileStableStore, openFileStableStore } from "../../raft/storage/stable_store.ts";
import { waitFor } from "../helpers/process.ts";

/** node:fs, except that while `full`, writes to files matching `scope` fail with ENOSPC after writing half. */
class Disk {
  full = false;
  scope = /./;
  readonly #paths = new Map<number, string>();
  readonly io: FileIO = {
    ...nodeFileIO,
    open: async (file, flags) => {
      const fd = await nodeFileIO.open(file, flags);
      this.#paths.set(fd, file);
      return fd;
    },
    writeAll: async (fd, data, position) => {
      const file = this.#paths.get(fd) ?? "";
      if (this.full && this.scope.test(file)) {
        await nodeFileIO.writeAll(fd, data.subarray(0, data.byteLength >> 1), position);
        throw Object.assign(new Error(`ENOSPC: no space left on device, write '${file}'`), { code: "ENOSPC" });
      }
      return nodeFileIO.writeAll(fd, data, position);
    },
  };
}

interface TestNode {
  readonly id: number;
  readonly disk: Disk;
  readonly driver: RaftDriver;
  readonly log: FileLogStore;
  readonly stable: FileStableStore;
  /** What the machine applied, in order. */
  readonly applied: string[];
  /** Driver and storage log lines. */
  readonly lines: string[];
}

const text = (s: string) => new TextEncoder().encode(s);
const LOG_INTERVAL_MS = 300;

async function startCluster(t: { after(fn: () => Promise<void>): void }): Promise<TestNode[]> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "uhaha-driver-disk-"));
  const members: Member[] = [1, 2, 3].map((id) => ({ id, address: `node${id}`, voter: true }));
  const nodes = new Map<number, TestNode>();
  for (const { id } of members) {
    const disk = new Disk();
    const lines: string[] = [];
    const storeLogger = (level: string, message: string) => void lines.push(`store ${level}: ${message}`);
    const stable = await openFileStableStore(path.join(root, `${id}`, "stable.json"), { io: disk.io, logger: storeLogger });
    const log = await openFileLogStore(path.join(root, `${id}`, "log"), { io: disk.io, logger: storeLogger });
    let applied: string[] = [];
    const say = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
    const driver = await RaftDriver.open({
      id,
      log,
      stable,
      snapshots: new MemorySnapshotStore(),
      applier: {
        apply: (data) => applied.push(new TextDecoder().decode(data)),
        snapshot: () => text(JSON.stringify(applied)),
        restore: (bytes) => void (applied = JSON.parse(new TextDecoder().decode(bytes))),
        snapshotHeader: () => ({ time: 0, seed: "" }),
      },
      logger: { debug: () => {}, verb: () => {}, info: say("info"), warn: say("warn") },
      initialConfig: { members },
      tickMs: 10,
      electionTicks: 10,
      snapshotThresholdEntries: 1e9,
      storageRetryMaxMs: 40,
      storageRetryLogMs: LOG_INTERVAL_MS,
    });
    nodes.set(id, { id, disk, driver, log, stable, get applied() { return applied; }, lines });
  }
  // Messages go through a macrotask, like a network.
  const transport: DriverTransport = {
    setPeers: () => {},
    send: (messages) => {
      for (const m of messages) setTimeout(() => nodes.get(m.to)?.driver.receive(m), 0);
    },
    sendSnapshot: () => Promise.resolve(false),
  };
  for (const node of nodes.values()) node.driver.start(transport);
  t.after(async () => {
    for (const node of nodes.values()) {
      await node.driver.close();
      await node.log.close();
      await node.stable.close();
    }
    await fs.rm(root, { recursive: true, force: true });
  });
  return [...nodes.values()];
}

function leaderOf(nodes: TestNode[], excluding?: TestNode): Promise<TestNode> {
  return waitFor("a leader", () => nodes.find((n) => n !== excluding && n.driver.status.role === "leader" && !n.driver.storageFailure), 5_000);
}

/** Writes `count` values through whichever node leads (retrying elsewhere on refusals); returns the acknowledged ones. */
async function write(nodes: TestNode[], prefix: string, count: number): Promise<string[]> {
  const acked: string[] = [];
  for (let i = 0; i < count; i++) {
    const value = `${prefix}${i}`;
    await waitFor(`write ${value}`, async () => {
      const leader = await leaderOf(nodes);
      try {
        await leader.driver.propose(text(value));
        return true;
      } catch {
        return false; // not leader any more, or unknown outcome: a new value next time round is fine too
      }
    }, 5_000);
    acked.push(value);
  }
  return acked;
}

/** Every node resumed and applied exactly what the leader applied. */
async function converged(nodes: TestNode[]): Promise<void> {
  await waitFor("every node resumed and caught up", () => {
    const leader = nodes.find((n) => n.driver.status.role === "leader");
    if (!leader || nodes.some((n) => n.driver.storageFailure)) return false;
    const index = leader.driver.status.commitIndex;
    return nodes.every((n) => n.driver.status.appliedIndex === index && n.driver.status.commitIndex === index);
  }, 10_000);
  const [first, ...rest] = nodes;
  for (const node of rest) assert.deepEqual(node.applied, first.applied, `node ${node.id} applied what node ${first.id} did`);
}

function assertAll(nodes: TestNode[], acked: string[]): void {
  for (const node of nodes) {
    const applied = new Set(node.applied);
    const missing = acked.filter((value) => !applied.has(value));
    assert.deepEqual(missing, [], `node ${node.id} lacks acknowledged writes`);
  }
}

test("a follower whose disk fills acknowledges nothing it could not write, and resumes by itself", async (t) => {
  const nodes = await startCluster(t);
  const acked = await write(nodes, "a", 10);
  const leader = await leaderOf(nodes);
  const follower = nodes.find((n) => n !== leader)!;
  follower.disk.full = true;
  const fullAt = Date.now();
  acked.push(...await write(nodes, "b", 20));
  await waitFor("the follower to notice", () => follower.driver.storageFailure);
  assert.equal(follower.driver.storageFailure?.code, "ENOSPC");
  assert.equal(follower.driver.status.role, "follower");
  // The leader's view of the follower never runs past what is on the follower's disk.
  const durable = follower.log.lastIndex();
  const match = leader.driver.status.progress().find((p) => p.id === follower.id)!.match;
  assert.ok(match <= durable, `leader has match ${match} for node ${follower.id}, whose log holds up to ${durable}`);
  assert.ok(durable < leader.driver.status.lastIndex, "the follower missed entries while full");
  // Stay full a while: many attempts to resume, few lines about them.
  while (Date.now() - fullAt < 1_000) acked.push(...await write(nodes, "c", 1));
  follower.disk.full = false;
  acked.push(...await write(nodes, "d", 5));
  await converged(nodes);
  assertAll(nodes, acked);

  const said = follower.lines.join("\n");
  assert.equal(follower.lines.filter((l) => /storage write failed \(ENOSPC\)/.test(l)).length, 1, said);
  const stillFailing = follower.lines.filter((l) => /storage still failing/.test(l)).length;
  const attempts = Number(/storage takes writes again, [\d.]+ s after it failed \((\d+) attempts/.exec(said)?.[1]);
  assert.ok(attempts >= 8, `attempts ${attempts}\n${said}`);
  assert.ok(stillFailing <= Math.ceil((Date.now() - fullAt) / LOG_INTERVAL_MS), `${stillFailing} lines\n${said}`);
  assert.ok(stillFailing < attempts / 2, `one line per interval, not per attempt (${stillFailing} lines, ${attempts} attempts)`);
  const storeErrors = follower.lines.filter((l) => l.startsWith("store error")).length;
  assert.ok(storeErrors <= 3, `storage errors are logged once per interval too:\n${said}`);
});

test("a leader whose disk fills steps down at once, its proposal's outcome is unknown, and it rejoins", async (t) => {
  const nodes = await startCluster(t);
  const acked = await write(nodes, "a", 10);
  const leader = await leaderOf(nodes);
  leader.disk.full = true;
  const doomed = leader.driver.propose(text("doomed"));
  await assert.rejects(doomed, (e: unknown) => e instanceof OutcomeUnknownError && /storage failed \(ENOSPC\)/.test(e.message));
  assert.notEqual(leader.driver.status.role, "leader", "stepped down");
  // What a client is told: the error reply made from the driver's NotLeaderError.
  const clientReply = (promise: Promise<unknown>) => promise.catch((error) => Promise.reject(toClientError(error, { tryErrors: false })));
  await assert.rejects(leader.driver.propose(text("refused")), NotLeaderError);
  await assert.rejects(clientReply(leader.driver.propose(text("refused"))), /CLUSTERDOWN|MOVED/);
  await assert.rejects(clientReply(leader.driver.linearizableRead()), /CLUSTERDOWN|MOVED/);
  const next = await leaderOf(nodes, leader);
  assert.notEqual(next, leader);
  acked.push(...await write(nodes, "b", 20));
  leader.disk.full = false;
  acked.push(...await write(nodes, "c", 5));
  await converged(nodes);
  assertAll(nodes, acked);
  // The leader sent the entry while writing it (§10.2.1), so the followers may
  // have kept it and a later leader committed it: that is why its client was
  // told "outcome unknown". Whichever it was, every node agrees, at most once.
  const doomedCounts = nodes.map((node) => node.applied.filter((value) => value === "doomed").length);
  assert.ok(doomedCounts.every((count) => count === doomedCounts[0] && count <= 1), `"doomed" applied ${doomedCounts.join("/")} times`);
  assert.match(leader.lines.join("\n"), /stepping down as leader/);
  assert.match(leader.lines.join("\n"), /rejoining as a follower from the durable state/);
});

test("a failed term/vote write pauses the node the same way, and it resumes in the new term", async (t) => {
  const nodes = await startCluster(t);
  const acked = await write(nodes, "a", 5);
  const leader = await leaderOf(nodes);
  const [stuck, target] = nodes.filter((n) => n !== leader);
  stuck.disk.scope = /stable/;
  stuck.disk.full = true;
  const termBefore = leader.driver.status.term;
  leader.driver.transferLeadership(target.id);
  await waitFor("the vote request to hit the full disk", () => stuck.driver.storageFailure, 5_000);
  assert.match(stuck.driver.storageFailure!.message, /saving the stable state .* failed with ENOSPC/);
  assert.equal(stuck.stable.get().currentTerm, termBefore, "the old term/vote stays");
  acked.push(...await write(nodes, "b", 10));
  stuck.disk.full = false;
  await converged(nodes);
  assertAll(nodes, acked);
  const term = nodes.find((n) => n.driver.status.role === "leader")!.driver.status.term;
  assert.ok(term > termBefore);
  assert.equal(stuck.driver.status.term, term);
  assert.equal(stuck.stable.get().currentTerm, term);
});

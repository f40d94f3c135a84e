/**
 * A full disk, for real: three kvdb nodes, each with its data directory on
 * its own 48 MiB tmpfs, under a steady write load. A follower's file system
 * is filled to the last byte for 2 s and freed, then the leader's. Each node
 * that hit ENOSPC must resume by itself; the cluster keeps (or promptly
 * regains) a leader and serves writes; and every acknowledged write ends up
 * on every node. Needs root to mount (skipped, visibly, elsewhere).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { Redis } from "ioredis";
import { type ClusterNode, waitApplied } from "../helpers/cluster.ts";
import { cleanup, freePort, killAll, makeTempDir, spawnCli, unlessExited, waitFor, waitForPong } from "../helpers/process.ts";
import { askPort, raftInfo } from "../helpers/resp.ts";
import { fillToTheLastByte, mountTmpfs, tmpfsSkipReason, unmount } from "../helpers/tmpfs.ts";
import { LeaderFollowingClient } from "./support.ts";

const KVDB = new URL("../../examples/kvdb.ts", import.meta.url).pathname;
const DISK_MB = 48;
const HOLD_FULL_MS = 2_000;

/** Three kvdb nodes, node i with `-d mounts[i]` (so its directory is on that file system). */
async function startNodes(mounts: string[]): Promise<ClusterNode[]> {
  const ports = await Promise.all(mounts.map(() => freePort()));
  const nodes: ClusterNode[] = mounts.map((dir, i) => ({
    id: i + 1,
    port: ports[i],
    address: `127.0.0.1:${ports[i]}`,
    process: spawnCli([
      KVDB, "-n", String(i + 1), "-a", `127.0.0.1:${ports[i]}`, "-d", dir, "-l", "verb", "--openreads",
      ...(i === 0 ? [] : ["-j", `127.0.0.1:${ports[0]}`]),
    ]),
    args: [],
  }));
  for (const node of nodes) await unlessExited(node.process, waitForPong(node.port), `node ${node.id}`);
  await waitFor("3 members with a leader", async () => {
    for (const node of nodes) {
      const info = await raftInfo(node.port);
      if (info.state === "Leader" && info.num_peers === "2") return true;
    }
    return false;
  }, 30_000);
  return nodes;
}

async function leaderOf(nodes: ClusterNode[], excluding?: ClusterNode): Promise<ClusterNode> {
  return await waitFor("a leader", async () => {
    for (const node of nodes) {
      if (node !== excluding && (await raftInfo(node.port).catch(() => undefined))?.state === "Leader") return node;
    }
    return undefined;
  }, 15_000);
}

/** Sequential SETs of new keys through whichever node leads; remembers what was acknowledged. */
class WriteLoad {
  readonly acked: Array<{ key: string; value: string; at: number }> = [];
  /** Writes whose reply never came (may or may not have been applied). */
  unknown = 0;
  readonly #client: LeaderFollowingClient;
  #stopping = false;
  readonly #done: Promise<void>;

  constructor(addresses: string[]) {
    this.#client = new LeaderFollowingClient(addresses);
    this.#done = this.#run();
  }

  async #run(): Promise<void> {
    for (let n = 0; !this.#stopping; n++) {
      const key = `key:${n}`;
      const value = `value:${n}`;
      const reply = await this.#client.send(["SET", key, value], Date.now() + 20_000);
      if (reply === "OK") this.acked.push({ key, value, at: Date.now() });
      else this.unknown++;
    }
  }

  /** Resolves once `count` more writes than now are acknowledged; returns how long that took. */
  async more(count: number, timeoutMs: number): Promise<number> {
    const from = Date.now();
    const target = this.acked.length + count;
    await waitFor(`${count} more acknowledged writes`, () => this.acked.length >= target, timeoutMs);
    return Date.now() - from;
  }

  /** The longest time between two acknowledgements since `since`. */
  longestGapSince(since: number): number {
    let gap = 0;
    let last = since;
    for (const { at } of this.acked) {
      if (at < since) continue;
      gap = Math.max(gap, at - last);
      last = at;
    }
    return gap;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#done;
    this.#client.close();
  }

  errors(): string {
    return [...this.#client.errors].map(([kind, n]) => `${kind}×${n}`).join(" ");
  }
}

const count = (text: string, pattern: RegExp) => (text.match(new RegExp(pattern, "g")) ?? []).length;

/** Fills `node`'s file system to the last byte until it has hit ENOSPC and HOLD_FULL_MS passed; then frees it. */
async function fillAndFree(node: ClusterNode, mount: string, note: (line: string) => void): Promise<number> {
  const failuresBefore = count(node.process.stderr(), /storage write failed \(ENOSPC\)/);
  const filler = path.join(mount, "filler");
  const start = Date.now();
  const bytes = fillToTheLastByte(filler);
  note(`node ${node.id}: file system full (${(bytes / 2 ** 20).toFixed(1)} MiB of filler)`);
  await waitFor(`node ${node.id} to hit ENOSPC`, () => count(node.process.stderr(), /storage write failed \(ENOSPC\)/) > failuresBefore, 10_000);
  note(`node ${node.id}: hit ENOSPC after ${Date.now() - start} ms and paused`);
  await waitFor("the hold to end", () => Date.now() - start >= HOLD_FULL_MS, HOLD_FULL_MS + 1_000);
  fs.rmSync(filler);
  const freedAt = Date.now();
  note(`node ${node.id}: space freed after ${freedAt - start} ms`);
  await waitFor(`node ${node.id} to resume by itself`, () => {
    const err = node.process.stderr();
    return count(err, /storage takes writes again/) >= count(err, /storage write failed/);
  }, 10_000);
  note(`node ${node.id}: resumed ${Date.now() - freedAt} ms after its space was freed`);
  return freedAt;
}

const skip = tmpfsSkipReason();

test("a node whose disk filled up resumes by itself; no acknowledged write is lost", { skip: skip ?? false }, async (t) => {
  const mounts: string[] = [];
  const note = (line: string) => t.diagnostic(line);
  let load: WriteLoad | undefined;
  try {
    for (let i = 0; i < 3; i++) {
      const dir = makeTempDir("uhaha-disk-full-");
      const problem = mountTmpfs(dir, DISK_MB);
      if (problem) {
        t.diagnostic(`skipped: ${problem}`);
        t.skip(problem);
        return;
      }
      mounts.push(dir);
    }
    const nodes = await startNodes(mounts);
    const began = Date.now();
    load = new WriteLoad(nodes.map((n) => n.address));
    await load.more(200, 15_000);

    // A follower's disk fills: the other two carry on.
    const leader = await leaderOf(nodes);
    const follower = nodes.find((n) => n !== leader)!;
    const followerFull = Date.now();
    await fillAndFree(follower, mounts[nodes.indexOf(follower)], note);
    note(`longest wait for an acknowledgement while node ${follower.id} was out: ${load.longestGapSince(followerFull)} ms`);
    await load.more(100, 10_000);

    // Then the leader's: it steps down, another leads.
    const oldLeader = await leaderOf(nodes);
    const leaderFull = Date.now();
    const freedAt = await fillAndFree(oldLeader, mounts[nodes.indexOf(oldLeader)], note);
    const newLeader = await leaderOf(nodes, oldLeader);
    const tookMs = await load.more(50, 5_000);
    note(`node ${newLeader.id} leads now; 50 more writes acknowledged ${Date.now() - freedAt} ms after the space was freed (${tookMs} ms for the 50)`);
    const stalledMs = load.longestGapSince(leaderFull);
    note(`longest wait for an acknowledgement since the leader's disk filled (its step-down and an election): ${stalledMs} ms`);
    assert.ok(stalledMs < 8_000, `writes stalled for ${stalledMs} ms`);

    await load.stop();
    note(`load: ${load.acked.length} writes acknowledged, ${load.unknown} unknown in ${((Date.now() - began) / 1000).toFixed(1)} s; error replies: ${load.errors()}`);

    // Every node catches up, and holds every acknowledged write.
    await waitApplied(await leaderOf(nodes), nodes);
    for (const node of nodes) {
      const err = node.process.stderr();
      assert.doesNotMatch(err, /stopped taking writes/, `node ${node.id} gave up:\n${err.slice(-2000)}`);
      assert.equal((await raftInfo(node.port)).state === "Shutdown", false, `node ${node.id} is shut down`);
      const redis = new Redis({ port: node.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
      redis.on("error", () => {});
      try {
        const pipeline = redis.pipeline();
        for (const { key } of load.acked) pipeline.get(key);
        const replies = (await pipeline.exec()) ?? [];
        const missing: WriteLoad["acked"] = load.acked.filter((w, i) => replies[i]?.[1] !== w.value);
        assert.deepEqual(missing.slice(0, 5), [], `node ${node.id} lacks ${missing.length} acknowledged writes`);
      } finally {
        redis.disconnect();
      }
    }
    assert.equal(await askPort(nodes[0].port, "PING"), "PONG");
    for (const node of [follower, oldLeader]) {
      const lines = node.process.stderr().split("\n").filter((l) => /storage (write failed|still failing|takes writes again)/.test(l));
      for (const line of lines) note(`node ${node.id} log: ${line.slice(0, 200)}`);
    }
  } finally {
    await load?.stop().catch(() => {});
    await killAll();
    for (const dir of mounts) unmount(dir);
    await cleanup();
  }
});

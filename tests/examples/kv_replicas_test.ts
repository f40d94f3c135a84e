/**
 * The kv example on 3 nodes serving reads locally (`--openreads`) and
 * snapshotting every 40 entries: after a mixed workload (sets, expiring
 * sets, deletes, atomic checks and sums) during which the leader is
 * SIGKILLed, and comes back by a streamed snapshot, every node answers
 * KV.LIST with the same entries and the same versionstamps, and every
 * acknowledged write is there. Then a snapshot and restart keeps it so.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cleanup, waitFor } from "../helpers/process.ts";
import { type Cluster, type ClusterNode, startCluster, stopNode, waitApplied } from "../helpers/cluster.ts";
import { askPort, firstWrite, pairs } from "../helpers/resp.ts";
import { closeAll, track } from "./support.ts";
import { prng } from "../store/kv_diff_ops.ts";

const VS = /^[0-9a-f]{20}$/;

describe("kv replicas (--openreads)", { timeout: 240_000 }, () => {
  let cluster: Cluster;

  const listEverywhere = () => Promise.all(cluster.nodes.map((node) => askPort(node.port, "KV.LIST", '{"prefix":[]}')));

  /** A write sent to the current leader until one answers (a killed leader's writes are retried elsewhere). */
  async function write(...args: string[]): Promise<unknown> {
    return await waitFor(`${args[0]} accepted`, async () => {
      const leader = await cluster.leader(20_000);
      const reply = await askPort(leader.port, ...args);
      if (reply instanceof Error && /MOVED|TRY|TRYAGAIN|LOADING|unknown|not the leader|leader|closed|ECONNREFUSED|Connection/i.test(reply.message)) {
        return undefined;
      }
      return { reply };
    }, 30_000).then((r) => (r as { reply: unknown }).reply);
  }

  before(async () => {
    cluster = await startCluster("kv", 3, ["--openreads", "--snapshot-threshold", "40"]);
    const leader = await cluster.leader();
    const redis = track(cluster.client(leader));
    assert.match(String(await firstWrite(redis, "KV.SET", '["warmup"]', "1")), VS);
  });
  after(async () => {
    closeAll();
    await cleanup();
  });

  test("a mixed workload with a leader kill leaves identical KV.LIST results and versionstamps on every node", async () => {
    const rand = prng(15);
    const acked = new Map<string, string>();
    let killed: ClusterNode | undefined;
    for (let i = 0; i < 400; i++) {
      if (i === 100) {
        killed = await cluster.leader();
        await killed.process.kill("SIGKILL");
        await waitFor("a new leader", async () => (await cluster.leader()) !== killed, 30_000);
      }
      if (i === 300 && killed) await cluster.restart(killed);
      const key = `["w",${Math.floor(rand() * 40)}]`;
      const r = rand();
      if (r < 0.4) {
        const value = `{"i":${i},"big":{"$bigint":"${i}"}}`;
        const vs = await write("KV.SET", key, value);
        assert.match(String(vs), VS);
        acked.set(key, value);
      } else if (r < 0.5) {
        assert.match(String(await write("KV.SET", `["exp",${i}]`, `"soon"`, "EXPIREIN", String(200 + Math.floor(rand() * 800)))), VS);
      } else if (r < 0.6) {
        assert.equal(await write("KV.DELETE", key), "OK");
        acked.delete(key);
      } else if (r < 0.8) {
        assert.match(String(await write("KV.ATOMIC", "SUM", '["count"]', "1", "MAX", '["max"]', String(i))), VS);
      } else {
        const reply = await write("KV.ATOMIC", "CHECK", key, "null", "SET", key, `"created ${i}"`);
        if (reply !== null) {
          assert.match(String(reply), VS);
          acked.set(key, `"created ${i}"`);
        }
      }
    }
    await waitFor("the killed leader to come back by a snapshot", () => /installed snapshot/.test(killed!.process.stderr()), 30_000);
    const leader = await cluster.leader();
    // Past every expiry, then every node applied the same log.
    await waitFor("expiring entries gone on the leader", async () => {
      const [entries] = await askPort(leader.port, "KV.LIST", '{"prefix":["exp"]}') as [unknown[], string];
      return entries.length === 0;
    }, 30_000);
    await firstWrite(track(cluster.client(leader)), "KV.SET", '["fence"]', "1");
    await waitApplied(leader, cluster.nodes, 30_000);
    const lists = await listEverywhere();
    const [entries] = lists[0] as [string[][], string];
    assert.ok(entries.length > 10, `${entries.length} entries`);
    for (const [i, list] of lists.entries()) assert.deepEqual(list, lists[0], `node ${cluster.nodes[i].id} differs`);
    const byKey = new Map(entries.map(([key, value]) => [key, value]));
    for (const [key, value] of acked) {
      // A later un-acknowledged retry may have rewritten a key, never removed an acknowledged one without a DELETE.
      assert.ok(byKey.has(JSON.stringify(JSON.parse(key))), `acknowledged ${key} = ${value} is missing`);
    }
    const versionstamps = entries.map((entry) => entry[2]);
    assert.ok(versionstamps.every((vs) => VS.test(vs)));
  });

  test("snapshot, SIGTERM and restart every node: the same entries and versionstamps", async () => {
    const before = await listEverywhere();
    for (const node of cluster.nodes) {
      const snapshot = pairs(await askPort(node.port, "RAFT", "SNAPSHOT", "NOW"));
      assert.ok(Number(snapshot.size) > 0);
    }
    for (const node of cluster.nodes) {
      await stopNode(node);
      await cluster.restart(node);
    }
    const leader = await cluster.leader(30_000);
    await waitApplied(leader, cluster.nodes, 30_000);
    await waitFor("every node to list what it listed before", async () => {
      const lists = await listEverywhere();
      return lists.every((list) => JSON.stringify(list) === JSON.stringify(before[0]));
    }, 30_000);
  });
});

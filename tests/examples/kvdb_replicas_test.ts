/**
 * kvdb on a 3-node cluster whose nodes serve reads locally (`--openreads`),
 * so every replica's own state can be read: writes and SETRANDQUOTE reach
 * every node, `EX` keys disappear on every node (expiry runs in the machine
 * on TICKs, by machine time), and data survives snapshots and restarts
 * (custom binary snapshot → restore).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { cleanup, waitFor } from "../helpers/process.ts";
import { type Cluster, type ClusterNode, startCluster, stopNode, waitApplied } from "../helpers/cluster.ts";
import { ask, askPort, firstWrite, loadedRaftInfo, pairs } from "../helpers/resp.ts";
import { QUOTES } from "../../examples/lib/quotes.ts";
import { closeAll, track } from "./support.ts";

describe("kvdb replicas (--openreads)", { timeout: 180_000 }, () => {
  let cluster: Cluster;
  let leader: ClusterNode;
  let redis: Redis;

  /** GET on every node, in node order. */
  const getEverywhere = (key: string) => Promise.all(cluster.nodes.map((node) => askPort(node.port, "GET", key)));

  before(async () => {
    cluster = await startCluster("kvdb", 3, ["--openreads"]);
    leader = await cluster.leader();
    redis = track(cluster.client(leader));
    assert.equal(await firstWrite(redis, "SET", "warmup", "1"), "OK");
  });
  after(async () => {
    closeAll();
    await cleanup();
  });

  test("writes and SETRANDQUOTE reach every node; followers still redirect writes", async () => {
    assert.equal(await ask(redis, "SET", "r:a", "alpha"), "OK");
    assert.equal(await ask(redis, "SETRANDQUOTE", "r:quote"), "OK");
    const quote = await ask(redis, "GET", "r:quote");
    assert.ok(QUOTES.includes(quote as string));
    await waitFor("every node to have both keys", async () =>
      (await getEverywhere("r:a")).every((v) => v === "alpha") && (await getEverywhere("r:quote")).every((v) => v === quote));
    const follower = cluster.nodes.find((node) => node !== leader)!;
    assert.match(String(await askPort(follower.port, "SET", "r:b", "x")), new RegExp(`MOVED 0 ${leader.address}`));
  });

  test("a key SET with EX 1 disappears on every node", async () => {
    const sizes = () => Promise.all(cluster.nodes.map((node) => askPort(node.port, "DBSIZE")));
    assert.equal(await ask(redis, "SET", "r:keep", "forever", "EX", "3600"), "OK");
    await waitApplied(leader, cluster.nodes);
    const before = await sizes();
    const setAt = Date.now();
    assert.equal(await ask(redis, "SET", "r:ttl", "short-lived", "EX", "1"), "OK");
    await waitFor("r:ttl on every node", async () => (await getEverywhere("r:ttl")).every((v) => v === "short-lived"));
    await waitFor("r:ttl to expire on every node", async () => (await getEverywhere("r:ttl")).every((v) => v === null), 15_000);
    const elapsed = Date.now() - setAt;
    // Machine time advances with the leader's TICKs (every 200 ms), so expiry is about 1 s after the SET.
    assert.ok(elapsed >= 700, `expired after only ${elapsed} ms`);
    for (const node of cluster.nodes) {
      assert.deepEqual(await askPort(node.port, "KEYS", "r:ttl"), [], `node ${node.id}`);
      assert.equal(await askPort(node.port, "GET", "r:keep"), "forever", `node ${node.id}`);
    }
    assert.deepEqual(await sizes(), before);
    assert.equal(await ask(redis, "DEL", "r:ttl"), 0, "an expired key is gone for DEL too");
  });

  test("snapshot, then SIGTERM and restart: every node keeps its data", async () => {
    const bytes = Buffer.from([0, 255, 10, 13, 0x80]);
    assert.equal(await redis.call("SET", "snap:bin", bytes), "OK");
    assert.equal(await ask(redis, "SET", "snap:ttl", "later", "EX", "3600"), "OK");
    for (let i = 0; i < 50; i++) await ask(redis, "SET", `snap:${i}`, `value ${i}`);
    await waitApplied(leader, cluster.nodes);

    // A snapshot on every node (RAFT SNAPSHOT NOW works on followers: it is local).
    const snapshotIndex = new Map<number, number>();
    for (const node of cluster.nodes) {
      const snapshot = pairs(await askPort(node.port, "RAFT", "SNAPSHOT", "NOW"));
      assert.match(snapshot.id, /^\d+-\d+-\d+$/);
      assert.ok(Number(snapshot.size) > 0);
      snapshotIndex.set(node.id, Number(snapshot.id.split("-")[1]));
    }
    // Written after the snapshots: comes back from the log.
    assert.equal(await ask(redis, "SET", "snap:after", "from the log"), "OK");
    await waitApplied(leader, cluster.nodes);

    closeAll();
    for (const node of cluster.nodes) await stopNode(node);
    for (const node of cluster.nodes) await cluster.restart(node);
    leader = await cluster.leader(30_000);
    redis = track(cluster.client(leader));

    for (const node of cluster.nodes) {
      const info = await loadedRaftInfo(node.port);
      assert.ok(Number(info.last_snapshot_index) >= snapshotIndex.get(node.id)!, `node ${node.id}: ${info.last_snapshot_index}`);
      await waitFor(`node ${node.id} to serve the data again`, async () =>
        (await askPort(node.port, "GET", "snap:after")) === "from the log");
      const client = track(cluster.client(node));
      assert.deepEqual(await client.callBuffer("GET", "snap:bin"), bytes);
      assert.equal(await ask(client, "GET", "snap:ttl"), "later");
      assert.equal(await ask(client, "GET", "snap:49"), "value 49");
      assert.equal((await ask(client, "KEYS", "snap:*") as string[]).length, 53);
      assert.equal(await ask(client, "GET", "r:keep"), "forever");
    }
    assert.equal(await firstWrite(redis, "SET", "snap:new", "after restart"), "OK");
  });
});

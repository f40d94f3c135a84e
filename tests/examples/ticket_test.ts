/**
 * The ticket example on a 3-node cluster: TICKET answers the next number as
 * a bulk string (extra arguments ignored), through ioredis and redis-cli
 * (skipped, with the reason, where it is not installed); followers redirect; the counter survives a snapshot and a restart of
 * every node.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Redis } from "ioredis";
import { cleanup } from "../helpers/process.ts";
import { type Cluster, type ClusterNode, startCluster, stopNode, waitApplied } from "../helpers/cluster.ts";
import { ask, askPort, errorText, firstWrite, pairs, redisCli, redisCliSkip } from "../helpers/resp.ts";
import { closeAll, track } from "./support.ts";

describe("ticket on a 3-node cluster", { timeout: 180_000 }, () => {
  let cluster: Cluster;
  let leader: ClusterNode;
  let redis: Redis;
  let last = 0;

  before(async () => {
    cluster = await startCluster("ticket", 3);
    leader = await cluster.leader();
    redis = track(cluster.client(leader));
    last = Number(await firstWrite(redis, "TICKET"));
  });
  after(async () => {
    closeAll();
    await cleanup();
  });

  test("TICKET: the next number as a bulk string", async () => {
    assert.equal(last, 1);
    assert.equal(await ask(redis, "TICKET"), "2");
    assert.equal(await ask(redis, "ticket", "extra", "args"), "3", "extra arguments are ignored");
    const burst = await Promise.all(Array.from({ length: 50 }, () => ask(redis, "TICKET")));
    assert.deepEqual(burst.map(Number), Array.from({ length: 50 }, (_, i) => 4 + i), "pipelined, in order");
    last = 53;
    const follower = cluster.nodes.find((node) => node !== leader)!;
    assert.equal(errorText(await askPort(follower.port, "TICKET")), `MOVED 0 ${leader.address}`);
    assert.equal(await ask(redis, "VERSION"), "ticket version 0.1.0");
  });

  test("redis-cli: a bulk string, MOVED from a follower, -c follows it", { skip: redisCliSkip() }, async () => {
    assert.equal(await redisCli(leader.port, "--no-raw", "TICKET"), `"${++last}"`);
    const follower = cluster.nodes.find((node) => node !== leader)!;
    assert.equal(await redisCli(follower.port, "TICKET"), `MOVED 0 ${leader.address}`);
    assert.equal(await redisCli(follower.port, "-c", "TICKET"), String(++last));
    assert.equal(await redisCli(leader.port, "VERSION"), "ticket version 0.1.0");
  });

  test("snapshot, SIGTERM every node, restart: the counter continues", async () => {
    await waitApplied(leader, cluster.nodes);
    for (const node of cluster.nodes) {
      assert.match(pairs(await askPort(node.port, "RAFT", "SNAPSHOT", "NOW")).id, /^\d+-\d+-\d+$/);
    }
    assert.equal(await ask(redis, "TICKET"), String(++last), "one more after the snapshots, from the log");
    closeAll();
    for (const node of cluster.nodes) await stopNode(node);
    for (const node of cluster.nodes) await cluster.restart(node);
    leader = await cluster.leader(30_000);
    redis = track(cluster.client(leader));
    assert.equal(await firstWrite(redis, "TICKET"), String(last + 1));
  });
});

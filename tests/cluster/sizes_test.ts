/**
 * Clusters of 1, 3 and 5 ticket nodes: they start and join, agree on one
 * leader, redis-cli on a follower gets `MOVED 0 <leader>` (and `-c` follows
 * it), and ioredis' Cluster client works against the cluster unmodified.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Cluster as RedisCluster } from "ioredis";
import { cleanup, waitFor } from "../helpers/process.ts";
import { startCluster } from "../helpers/cluster.ts";
import { askPort, redisCli, serverList } from "../helpers/resp.ts";
import { notYetText, untilAccepted } from "../helpers/until_accepted.ts";

describe("cluster sizes", () => {
  after(() => cleanup());

  for (const size of [1, 3, 5]) {
    test(`${size} node(s): start, join, MOVED from followers, ioredis Cluster`, { timeout: 120_000 }, async () => {
      const cluster = await startCluster("ticket", size);
      const leader = await cluster.leader();

      // Every node is a voter, exactly one is the leader, and all name the same one.
      const list = await serverList(leader.port);
      assert.deepEqual(list.map((m) => m.address).sort(), cluster.nodes.map((n) => n.address).sort());
      assert.ok(list.every((m) => m.voter === "true"));
      assert.deepEqual(list.filter((m) => m.leader === "true").map((m) => m.address), [leader.address]);
      await waitFor("every node to name the leader", async () => {
        for (const node of cluster.nodes) if ((await askPort(node.port, "RAFT", "LEADER")) !== leader.address) return false;
        return true;
      });

      // redis-cli: the leader answers, followers redirect; -c follows the redirect.
      // (Until the leader's first TICK is applied, writes answer TRYAGAIN.)
      const firstReply = await untilAccepted(() => redisCli(leader.port, "TICKET"), {
        retryable: notYetText,
        what: "a first ticket",
      });
      assert.match(firstReply, /^\d+$/);
      const first = Number(firstReply);
      let last = first;
      for (const follower of cluster.nodes.filter((n) => n !== leader)) {
        assert.equal(await redisCli(follower.port, "TICKET"), `MOVED 0 ${leader.address}`);
        const followed = Number(await redisCli(follower.port, "-c", "TICKET"));
        assert.ok(followed > last, `redis-cli -c via ${follower.address}: ${followed} after ${last}`);
        last = followed;
      }

      // ioredis' Cluster client, seeded with a follower (or the only node), finds the leader.
      const seed = cluster.nodes.find((n) => n !== leader) ?? leader;
      const client = new RedisCluster([{ host: "127.0.0.1", port: seed.port }], { clusterRetryStrategy: () => 100 });
      client.on("error", () => {});
      try {
        for (let i = 0; i < 5; i++) {
          const ticket = Number(await client.call("TICKET"));
          assert.ok(ticket > last, `Cluster client: ${ticket} after ${last}`);
          last = ticket;
        }
        const pipelined = await Promise.all(Array.from({ length: 10 }, () => client.call("ticket")));
        const numbers = pipelined.map(Number);
        assert.equal(new Set(numbers).size, 10);
        assert.ok(numbers.every((n) => n > last));
      } finally {
        client.disconnect();
      }
    });
  }
});

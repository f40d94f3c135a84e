/**
 * Clusters of 1, 3 and 5 ticket nodes: they start and join, agree on one
 * leader, a follower answers `MOVED 0 <leader>` (ioredis, and redis-cli,
 * whose `-c` follows it, where it is installed), and ioredis' Cluster
 * client works against the cluster unmodified.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Cluster as RedisCluster } from "ioredis";
import { cleanup, waitFor } from "../helpers/process.ts";
import { type Cluster, type ClusterNode, startCluster } from "../helpers/cluster.ts";
import { askPort, errorText, redisCli, redisCliSkip, serverList } from "../helpers/resp.ts";
import { untilAccepted } from "../helpers/until_accepted.ts";

for (const size of [1, 3, 5]) {
  describe(`cluster of ${size} node(s)`, { timeout: 120_000 }, () => {
    let cluster: Cluster;
    let leader: ClusterNode;
    let followers: ClusterNode[];
    /** The last ticket handed out, through any client. */
    let last = 0;

    before(async () => {
      cluster = await startCluster("ticket", size);
      leader = await cluster.leader();
      followers = cluster.nodes.filter((n) => n !== leader);
    });
    after(() => cleanup());

    test("start, join: every node a voter, one leader that every node names", async () => {
      const list = await serverList(leader.port);
      assert.deepEqual(list.map((m) => m.address).sort(), cluster.nodes.map((n) => n.address).sort());
      assert.ok(list.every((m) => m.voter === "true"));
      assert.deepEqual(list.filter((m) => m.leader === "true").map((m) => m.address), [leader.address]);
      await waitFor("every node to name the leader", async () => {
        for (const node of cluster.nodes) if ((await askPort(node.port, "RAFT", "LEADER")) !== leader.address) return false;
        return true;
      });
    });

    test("the leader answers; followers answer MOVED 0 <leader>", async () => {
      // Until the leader's first TICK is applied, writes answer TRYAGAIN.
      const first = await untilAccepted(() => askPort(leader.port, "TICKET"), { what: "a first ticket" });
      assert.match(String(first), /^\d+$/);
      last = Number(first);
      for (const follower of followers) {
        assert.equal(errorText(await askPort(follower.port, "TICKET")), `MOVED 0 ${leader.address}`);
      }
    });

    test("redis-cli: MOVED from followers, and -c follows it", { skip: redisCliSkip() }, async () => {
      const fromLeader = await redisCli(leader.port, "TICKET");
      assert.ok(/^\d+$/.test(fromLeader) && Number(fromLeader) > last, `redis-cli on the leader: ${fromLeader} after ${last}`);
      last = Number(fromLeader);
      for (const follower of followers) {
        assert.equal(await redisCli(follower.port, "TICKET"), `MOVED 0 ${leader.address}`);
        const followed = Number(await redisCli(follower.port, "-c", "TICKET"));
        assert.ok(followed > last, `redis-cli -c via ${follower.address}: ${followed} after ${last}`);
        last = followed;
      }
    });

    test("ioredis' Cluster client, seeded with a follower (or the only node), finds the leader", async () => {
      const seed = followers[0] ?? leader;
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
  });
}

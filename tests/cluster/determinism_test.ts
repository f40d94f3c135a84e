/**
 * Deterministic time and randomness: every CLOCK write returns `m.now()`
 * and values of `m.rand`, and keeps them. With `--openreads` each node
 * answers LAST/HISTORY from its own replica: all must hold exactly the
 * values the leader returned, also after a follower replays its log.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cleanup, waitFor } from "../helpers/process.ts";
import { leaderAmong, startCluster } from "../helpers/cluster.ts";
import { ask, askPort, connect, serverList } from "../helpers/resp.ts";
import { anyError, untilAccepted } from "../helpers/until_accepted.ts";
import { CLOCK_EXAMPLE } from "./support.ts";

/** One CLOCK reply (now, rand values), sent again while the node answers with an error. */
async function clock(send: () => Promise<unknown>, what: string): Promise<string[]> {
  const reply = await untilAccepted(send, { retryable: anyError, what });
  assert.ok(Array.isArray(reply), `CLOCK answered ${String(reply)}`);
  return reply as string[];
}

describe("deterministic now() and rand()", () => {
  after(() => cleanup());

  test("every replica computes the same now/rand sequence", { timeout: 60_000 }, async () => {
    const cluster = await startCluster(CLOCK_EXAMPLE, 3, ["--openreads"]);
    const leader = await cluster.leader();
    const redis = connect(leader.port);
    const replies: string[][] = [];
    try {
      // The first write may wait for the leader's first TICK.
      replies.push(await clock(() => ask(redis, "CLOCK"), "a first CLOCK"));
      for (let i = 0; i < 10; i++) replies.push(await redis.call("CLOCK") as string[]);
      // Pipelined writes share log entries (and TICKs): time still advances per write.
      replies.push(...await Promise.all(Array.from({ length: 20 }, () => redis.call("CLOCK") as Promise<string[]>)));
      // At least one TICK in between: the machine's time moves past the last write's.
      const lastNow = BigInt((replies.at(-1) as string[])[1]);
      await waitFor("a TICK after the writes", async () => {
        const machine = await redis.call("MACHINE") as string[];
        return BigInt(machine[machine.indexOf("now") + 1]) > lastNow + 1_000n;
      });
      for (let i = 0; i < 5; i++) replies.push(await redis.call("CLOCK") as string[]);
    } finally {
      redis.disconnect();
    }

    replies.sort((a, b) => Number(a[0]) - Number(b[0]));
    assert.deepEqual(replies.map((r) => Number(r[0])), Array.from({ length: replies.length }, (_, i) => i + 1));
    for (let i = 1; i < replies.length; i++) {
      assert.ok(BigInt(replies[i][1]) > BigInt(replies[i - 1][1]), `now() did not increase at write ${i + 1}`);
    }
    const nowMs = Number(BigInt(replies[0][1]) / 1_000_000n);
    assert.ok(Math.abs(nowMs - Date.now()) < 60_000, `machine time ${nowMs} is far from the host clock`);
    assert.ok(new Set(replies.map((r) => r[2])).size > replies.length / 2, "rand.uint32() barely varies");
    for (const r of replies) assert.match(r[6], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const history = replies.map((r) => r.slice(1).join(" "));

    const expectSameEverywhere = async (nodes = cluster.nodes) => {
      for (const node of nodes) {
        await waitFor(`node ${node.id} to apply every write`, async () => {
          const got = await askPort(node.port, "HISTORY");
          return Array.isArray(got) && got.length === history.length;
        });
        assert.deepEqual(await askPort(node.port, "HISTORY"), history, `node ${node.id}'s history`);
        assert.deepEqual(await askPort(node.port, "LAST"), replies.at(-1), `node ${node.id}'s last values`);
      }
    };
    await expectSameEverywhere();

    // A follower killed and restarted replays its log to the same values.
    const follower = cluster.nodes.find((n) => n !== leader)!;
    await follower.process.kill("SIGKILL");
    await cluster.restart(follower);
    await expectSameEverywhere([follower]);

    // Removing the leader must not make the replicas diverge: the two left
    // elect a leader, take more writes, and agree.
    assert.equal(await askPort(leader.port, "RAFT", "SERVER", "REMOVE", String(leader.id)), "1");
    const rest = cluster.nodes.filter((n) => n !== leader);
    const next = await leaderAmong(rest, 15_000);
    for (let i = 0; i < 5; i++) {
      const reply = await clock(() => askPort(next.port, "CLOCK"), "a CLOCK on the new leader");
      assert.ok(BigInt(reply[1]) > BigInt(replies.at(-1)![1]), "time went backwards across the leader change");
      replies.push(reply);
      history.push(reply.slice(1).join(" "));
    }
    await expectSameEverywhere(rest);
    assert.deepEqual((await serverList(next.port)).map((m) => m.id).sort(), rest.map((n) => String(n.id)).sort());
  });
});

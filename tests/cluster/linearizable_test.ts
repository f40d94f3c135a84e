/**
 * Linearizable reads: a leader paused with SIGSTOP is deposed while it
 * sleeps, the new leader takes a write, and reads that reach the old
 * leader when it resumes (queued on its sockets while it was stopped, and
 * sent fresh afterwards) must never return the old value: they redirect,
 * error, or return the new value.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cleanup, signalProcess, waitFor } from "../helpers/process.ts";
import { ask, type ClusterNode, startCluster } from "../helpers/cluster.ts";
import { askPort, CLOCK_EXAMPLE, connect } from "./support.ts";

async function incr(node: ClusterNode): Promise<string> {
  return await waitFor(`an INCR on node ${node.id}`, async () => {
    const reply = await askPort(node.port, "INCR");
    return typeof reply === "string" ? reply : undefined;
  });
}

describe("linearizable reads", () => {
  after(() => cleanup());

  test("a deposed leader resumed after SIGSTOP serves no stale read", { timeout: 60_000 }, async () => {
    const cluster = await startCluster(CLOCK_EXAMPLE, 3);
    const old = await cluster.leader();
    const others = cluster.nodes.filter((n) => n !== old);
    const before = await incr(old);
    assert.equal(await askPort(old.port, "GET"), before);

    // Connections to the old leader opened while it runs; reads are sent while it is stopped.
    const conns = Array.from({ length: 5 }, () => connect(old.port));
    try {
      for (const conn of conns) assert.equal(await conn.call("PING"), "PONG");
      signalProcess(old.process.pid, "SIGSTOP");
      let resumed = false;
      try {
        const next = await waitFor("a new leader among the others", async () => {
          for (const node of others) if ((await askPort(node.port, "RAFT", "LEADER")) === node.address) return node;
          return undefined;
        }, 20_000);
        const after = await incr(next);
        assert.ok(Number(after) > Number(before));

        const queued = conns.map((conn) => ask(conn, "GET"));
        signalProcess(old.process.pid, "SIGCONT");
        resumed = true;
        const fresh = await askPort(old.port, "GET");
        const replies = [...await Promise.all(queued), fresh];
        for (const reply of replies) {
          if (reply instanceof Error) assert.match(reply.message, /^(MOVED 0 |CLUSTERDOWN |TRYAGAIN )/);
          else assert.equal(reply, after, `the old leader served ${String(reply)}; the value is ${after} since before it resumed`);
        }
        // It settles as a follower that redirects to the new leader.
        await waitFor("the old leader to redirect to the new one", async () => {
          const reply = await askPort(old.port, "GET");
          return reply instanceof Error && reply.message === `MOVED 0 ${next.address}`;
        });
      } finally {
        if (!resumed) signalProcess(old.process.pid, "SIGCONT");
      }
    } finally {
      for (const conn of conns) conn.disconnect();
    }
  });
});

/**
 * Linearizable reads: a leader paused with SIGSTOP is deposed while it
 * sleeps, the new leader takes a write, and reads that reach the old
 * leader when it resumes (queued on its sockets while it was stopped, and
 * sent fresh afterwards) must never return the old value: they redirect,
 * error, or return the new value. A write queued the same way is not
 * acknowledged unless it survives.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cleanup, freePort, makeTempDir, signalProcess, waitFor } from "../helpers/process.ts";
import { type ClusterNode, leaderAmong, startCluster } from "../helpers/cluster.ts";
import { ask, askPort, connect, serverList } from "../helpers/resp.ts";
import { anyError, untilAccepted } from "../helpers/until_accepted.ts";
import { CLOCK_APP, CLOCK_EXAMPLE, FreezableProxy, startNode } from "./support.ts";

/** How a node may refuse a command it cannot answer correctly: a redirect, no leader, or "try again". */
const REFUSAL = /^(MOVED 0 |CLUSTERDOWN |TRYAGAIN )/;

async function incr(node: ClusterNode | number): Promise<string> {
  const port = typeof node === "number" ? node : node.port;
  const reply = await untilAccepted(() => askPort(port, "INCR"), { retryable: anyError, what: `an INCR on ${port}` });
  assert.equal(typeof reply, "string", `INCR answered ${String(reply)}`);
  return reply as string;
}

/** Each read the old leader answered is a refusal or the value written since: never the stale one. */
function assertNoStaleRead(replies: readonly unknown[], latest: string): void {
  for (const reply of replies) {
    if (reply instanceof Error) assert.match(reply.message, REFUSAL);
    else assert.equal(reply, latest, `the old leader served ${String(reply)}; the value is ${latest} since before it resumed`);
  }
}

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no reply in ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
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
        const next = await leaderAmong(others, 20_000);
        const after = await incr(next);
        assert.ok(Number(after) > Number(before));

        const queued = conns.slice(1).map((conn) => ask(conn, "GET"));
        const queuedWrite = ask(conns[0], "INCR");
        signalProcess(old.process.pid, "SIGCONT");
        resumed = true;
        const fresh = await askPort(old.port, "GET");
        const replies = [...await Promise.all(queued), fresh];
        // A write the deposed leader took must not be acknowledged unless the new leader has it.
        const write = await queuedWrite;
        if (write instanceof Error) assert.match(write.message, REFUSAL);
        else {
          assert.notEqual(write, after, "the deposed leader acknowledged a write that reused a committed value");
          const latest = Number(await incr(next));
          assert.ok(latest > Number(write), `acknowledged INCR ${String(write)} is not in the new leader's state (${latest})`);
        }
        assertNoStaleRead(replies, after);
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

  // Here the old leader hears nothing from its peers when it resumes (its
  // advertised address is a proxy that is frozen), so it still believes it
  // leads when the reads arrive: only ReadIndex keeps them from being stale.
  test("a leader cut off from its peers and paused serves no stale read when resumed", { timeout: 60_000 }, async () => {
    const [p1, p2, p3] = await Promise.all([freePort(), freePort(), freePort()]);
    const proxy = await FreezableProxy.start(p1);
    const dir = makeTempDir("uhaha-cluster-");
    const args = (id: number, port: number) => [CLOCK_APP, "-n", String(id), "-a", `127.0.0.1:${port}`, "-d", dir, "-l", "verb"];
    const old = await startNode(p1, [...args(1, p1), "--advertise", `127.0.0.1:${proxy.port}`]);
    let resumed = true;
    const conns = Array.from({ length: 5 }, () => connect(p1));
    try {
      await waitFor("node 1 to lead", async () => (await askPort(p1, "RAFT", "LEADER")) === `127.0.0.1:${proxy.port}`);
      await startNode(p2, [...args(2, p2), "-j", `127.0.0.1:${p1}`]);
      await startNode(p3, [...args(3, p3), "-j", `127.0.0.1:${p1}`]);
      await waitFor("3 members", async () => (await serverList(p1)).length === 3);
      const before = await incr(p1);
      for (const conn of conns) assert.equal(await conn.call("PING"), "PONG");

      proxy.freeze();
      signalProcess(old.pid, "SIGSTOP");
      resumed = false;
      const { port: next } = await leaderAmong([p2, p3].map((port) => ({ port, address: `127.0.0.1:${port}` })), 20_000);
      const after = await incr(next);
      assert.ok(Number(after) > Number(before));

      const queued = conns.slice(1).map((conn) => ask(conn, "GET"));
      const queuedWrite = ask(conns[0], "INCR");
      signalProcess(old.pid, "SIGCONT");
      resumed = true;
      const replies = await within(15_000, "GET on the cut-off old leader", Promise.all(queued));
      // A write it took could not commit without its peers; once it hears from
      // them its log slot goes to the new leader's entries: it fails, never succeeds.
      proxy.thaw();
      const write = await within(15_000, "INCR on the cut-off old leader", queuedWrite);
      assert.ok(write instanceof Error, `the cut-off old leader acknowledged INCR = ${String(write)}`);
      assert.match(write.message, REFUSAL);
      assertNoStaleRead(replies, after);
      await waitFor("the old leader to redirect to the new one", async () => {
        const reply = await askPort(p1, "GET");
        return reply instanceof Error && reply.message === `MOVED 0 127.0.0.1:${next}`;
      });
    } finally {
      if (!resumed) signalProcess(old.pid, "SIGCONT");
      for (const conn of conns) conn.disconnect();
      proxy.thaw();
      await proxy.close();
    }
  });
});

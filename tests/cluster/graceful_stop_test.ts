/**
 * A graceful stop, on a 3-node kvdb cluster: SIGTERM on the leader under a
 * 20-client write load hands leadership over before the node exits, so
 * writes fail for want of a leader for less than one heartbeat interval
 * (writes sent during the handover wait and are redirected, so none
 * fails), and the longest time without any acknowledged write stays below
 * an election timeout; the node rejoins on restart and catches up; no
 * acknowledged write is lost. And `--leave-on-exit`: a follower, then the leader, stopped with it
 * are no longer in the configuration, and neither starts again on its data.
 * (The leader is stopped by SHUTDOWN there: the same stop as SIGTERM.)
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cleanup, exitWithin, waitFor } from "../helpers/process.ts";
import { type ClusterNode, startCluster, stopNode, waitApplied } from "../helpers/cluster.ts";
import { askPort, serverList } from "../helpers/resp.ts";
import { anyError, untilAccepted } from "../helpers/until_accepted.ts";
import { DRIVER_DEFAULTS } from "../../raft/driver_options.ts";
import { WriteLoad } from "./write_load.ts";

/** The leader's heartbeat is one tick (raft/driver.ts builds its core with heartbeatTicks: 1). */
const HEARTBEAT_INTERVAL_MS = DRIVER_DEFAULTS.tickMs;
/** The shortest election timeout (electionTicks ticks, randomized upwards from there). */
const ELECTION_TIMEOUT_MS = DRIVER_DEFAULTS.electionTicks * DRIVER_DEFAULTS.tickMs;
const CLIENTS = 20;

/** Waits until `port` takes a write (its first TICK applied, a leader known). */
function firstWrite(port: number): Promise<unknown> {
  return untilAccepted(() => askPort(port, "SET", "first", "write"), { retryable: anyError, what: "a first write", timeoutMs: 30_000 });
}

/** Every key in `keys` is on `node` (read from its own state: the cluster runs with --openreads). */
async function assertHasKeys(node: ClusterNode, keys: ReadonlySet<string>): Promise<void> {
  const present = new Set(await askPort(node.port, "KEYS", "*") as string[]);
  const missing = [...keys].filter((key) => !present.has(key));
  assert.deepEqual(missing.slice(0, 10), [], `node ${node.id} lacks ${missing.length} of ${keys.size} acknowledged keys`);
}

describe("graceful stop", () => {
  after(() => cleanup());

  test("leader SIGTERM under a 20-client write load: no election gap, rejoins, nothing lost", { timeout: 120_000 }, async () => {
    const cluster = await startCluster("kvdb", 3, ["--openreads", "--localtime"]);
    const leader = await cluster.leader();
    await firstWrite(leader.port);
    const load = new WriteLoad(cluster.nodes.map((n) => n.port));
    load.start(CLIENTS);
    try {
      await waitFor("the load to be acknowledged 500 times", () => load.acked.size >= 500, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // a steady second to compare with
      const sigtermAt = performance.now();
      const steadyGap = load.longestAckGapMs(sigtermAt - 1_000, sigtermAt);
      const steadySlowest = load.slowestWriteMs(sigtermAt - 1_000, sigtermAt);
      await stopNode(leader);
      const exitedAt = performance.now();
      const ackedAtExit = load.acked.size;
      await waitFor("500 more acknowledgements after the exit", () => load.acked.size >= ackedAtExit + 500, 30_000);
      await load.stop();
      const noLeaderGap = load.longestNoLeaderGapMs();
      const ackGap = load.longestAckGapMs(sigtermAt, performance.now());
      const slowest = load.slowestWriteMs(sigtermAt, performance.now());
      console.log(
        `leader SIGTERM (${process.versions.deno ? "deno" : "node"}): longest write gap for want of a leader ${noLeaderGap.toFixed(1)} ms ` +
          `(heartbeat interval ${HEARTBEAT_INTERVAL_MS} ms); longest interval without any acknowledgement ${ackGap.toFixed(1)} ms ` +
          `(in the steady second before: ${steadyGap.toFixed(1)} ms); slowest write ${slowest.toFixed(1)} ms ` +
          `(steady: ${steadySlowest.toFixed(1)} ms); ` +
          `stop took ${(exitedAt - sigtermAt).toFixed(0)} ms; ${load.acked.size} writes acknowledged; failed attempts ${JSON.stringify(Object.fromEntries(load.failures))}`,
      );
      assert.match(leader.process.stderr(), /handing leadership over to node \d+/);
      assert.match(leader.process.stderr(), /leadership handed over \(leader now: \d+\)/);
      assert.deepEqual(load.otherErrors.slice(0, 5), []);
      assert.deepEqual(load.unacknowledged, []);
      // Clients still connected to it (idle since their redirect) do not hold it up for the 5 s grace.
      assert.ok(exitedAt - sigtermAt < 3_000, `the stop took ${(exitedAt - sigtermAt).toFixed(0)} ms`);
      assert.ok(noLeaderGap < HEARTBEAT_INTERVAL_MS, `writes failed for want of a leader for ${noLeaderGap.toFixed(1)} ms`);
      // Writes sent during the handover wait for it instead of failing: that wait is below an election
      // timeout (the least a leader's plain exit costs: its followers wait that long before campaigning).
      assert.ok(ackGap < ELECTION_TIMEOUT_MS, `no write was acknowledged for ${ackGap.toFixed(1)} ms`);

      // The departed node rejoins on restart and catches up; every acknowledged write is everywhere.
      await cluster.restart(leader);
      const newLeader = await cluster.leader();
      assert.notEqual(newLeader, leader);
      await waitFor("the restarted node to follow", async () => (await askPort(leader.port, "RAFT", "LEADER")) === newLeader.address);
      await waitApplied(newLeader, cluster.nodes);
      for (const node of cluster.nodes) await assertHasKeys(node, load.acked);
    } finally {
      await load.stop();
    }
  });

  test("--leave-on-exit: a follower (SIGTERM), then the leader (SHUTDOWN), leave the configuration; neither restarts on its data", { timeout: 120_000 }, async () => {
    const cluster = await startCluster("kvdb", 3, ["--localtime", "--leave-on-exit"]);
    const leader = await cluster.leader();
    await firstWrite(leader.port);
    const [follower, other] = cluster.nodes.filter((n) => n !== leader);

    await stopNode(follower);
    assert.match(follower.process.stderr(), new RegExp(`left the cluster: node ${follower.id} is no longer a member`));
    assert.deepEqual((await serverList(leader.port)).map((m) => m.id).sort(), [leader.id, other.id].map(String).sort());

    // The leader by SHUTDOWN this time: the same clean leave as on SIGTERM.
    assert.equal(await askPort(leader.port, "SHUTDOWN"), "OK");
    assert.equal(await exitWithin(leader.process, 20_000, "the leader"), 0);
    assert.match(leader.process.stderr(), /handing leadership over/);
    await waitFor("the last node to lead", async () => (await askPort(other.port, "RAFT", "LEADER")) === other.address);
    assert.deepEqual((await serverList(other.port)).map((m) => m.id), [String(other.id)]);
    assert.equal(await askPort(other.port, "SET", "k", "v"), "OK", "the one node left takes writes alone");

    // A node that left is gone for good: its old data does not start again.
    await assert.rejects(cluster.restart(follower), /was removed from the cluster .*it left the cluster \(--leave-on-exit\).*--reset/s);
  });
});

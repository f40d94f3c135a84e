/**
 * The ticket app under failures: 20 clients take tickets from a 3-node
 * cluster for ~10 s while the leader is SIGKILLed (and restarted) twice.
 * Every acknowledged ticket is unique, each client's tickets increase in
 * the order they were acknowledged, and none is lost: after healing, a new
 * ticket is greater than every acknowledged one, also after the whole
 * cluster is SIGKILLed and restarted.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cleanup, isRunning, waitFor } from "../helpers/process.ts";
import { type ClusterNode, startCluster } from "../helpers/cluster.ts";
import { raftInfo } from "../helpers/resp.ts";
import { LeaderFollowingClient } from "./support.ts";

const CLIENTS = 20;
const LOAD_MS = 10_000;

describe("ticket cluster failover", () => {
  after(() => cleanup());

  test("20 clients, leader SIGKILLed twice: tickets unique, increasing per client, none lost", { timeout: 120_000 }, async () => {
    await failover();
  });

  // The same with a snapshot every 50 entries: snapshots, compaction and
  // snapshot installs happen while nodes die and come back.
  test("the same with frequent automatic snapshots", { timeout: 120_000 }, async () => {
    await failover(["--snapshot-threshold", "50"]);
  });
});

/** With `extraArgs` that make snapshots frequent, also checks that some were taken. */
async function failover(extraArgs: string[] = []): Promise<void> {
  const expectSnapshots = extraArgs.length > 0;
  const cluster = await startCluster("ticket", 3, extraArgs);
  const addresses = cluster.nodes.map((n) => n.address);
  const acked: string[][] = Array.from({ length: CLIENTS }, () => []);
  const clients = Array.from({ length: CLIENTS }, () => new LeaderFollowingClient(addresses));
  const start = Date.now();
  const stopAt = start + LOAD_MS;
  let ackedAfterLastKill = 0;
  let killsDone = 0;

  const load = clients.map(async (client, i) => {
    while (Date.now() < stopAt) {
      const reply = await client.send(["TICKET"], stopAt);
      if (reply === undefined) break;
      assert.match(String(reply), /^\d+$/, `client ${i} got ${String(reply)}`);
      acked[i].push(String(reply));
      if (killsDone === 2) ackedAfterLastKill++;
    }
  });

  const killed: ClusterNode[] = [];
  const chaos = (async () => {
    for (const at of [2_000, 5_500]) {
      await waitFor(`load to run ${at} ms`, () => Date.now() - start >= at, LOAD_MS);
      const leader = await cluster.leader();
      await leader.process.kill("SIGKILL");
      killed.push(leader);
      // A new leader among the survivors, then the killed node comes back.
      await waitFor("a new leader", async () => (await cluster.leader()) !== leader, 20_000);
      await cluster.restart(leader);
      killsDone++;
    }
  })();

  try {
    await Promise.all([chaos, ...load]);
  } finally {
    for (const client of clients) client.close();
  }

  // Heal: every node runs, one leader; a new ticket beats every acknowledged one.
  assert.ok(cluster.nodes.every((node) => isRunning(node.process)), "all nodes run again");
  assert.equal(killed.length, 2);
  const all = acked.flat().map(Number);
  assert.ok(all.length > 100, `only ${all.length} tickets acknowledged`);
  assert.equal(new Set(all).size, all.length, "a ticket was acknowledged twice");
  for (const [i, tickets] of acked.entries()) {
    for (let j = 1; j < tickets.length; j++) {
      assert.ok(Number(tickets[j]) > Number(tickets[j - 1]), `client ${i}: ${tickets[j - 1]} then ${tickets[j]}`);
    }
  }
  assert.ok(ackedAfterLastKill > 0, "no ticket acknowledged after the second failover");
  // Only the errors a failover explains: redirects, no leader, retry, a node starting or stopping, dead connections.
  const allowed = ["MOVED", "CLUSTERDOWN", "TRYAGAIN", "LOADING", "SHUTDOWN", "connection"];
  for (const client of clients) {
    for (const [kind, sample] of client.errorSamples) assert.ok(allowed.includes(kind), `unexpected error reply: ${sample}`);
  }
  const max = Math.max(...all);
  const nextTicket = async () => {
    const healer = new LeaderFollowingClient(addresses);
    try {
      return Number(await healer.send(["TICKET"], Date.now() + 20_000));
    } finally {
      healer.close();
    }
  };
  const next = await nextTicket();
  assert.ok(next > max, `ticket after healing ${next} <= acknowledged ${max}`);

  // Acknowledged means on disk: SIGKILL the whole cluster at once, restart it, and nothing is lost.
  await Promise.all(cluster.nodes.map((node) => node.process.kill("SIGKILL")));
  await Promise.all(cluster.nodes.map((node) => cluster.restart(node)));
  const afterCrash = await nextTicket();
  assert.ok(afterCrash > next, `ticket after a whole-cluster crash ${afterCrash} <= ${next}`);
  if (expectSnapshots) {
    const leader = await cluster.leader();
    assert.ok(Number((await raftInfo(leader.port)).last_snapshot_index) > 0, "no automatic snapshot was taken");
  }
  await Promise.all(cluster.nodes.map((node) => node.process.kill()));
}

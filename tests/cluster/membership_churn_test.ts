/**
 * Membership changes under load: while 10 clients write to a 3-node kvdb
 * cluster, a fourth node is added (as a non-voter, by -j), promoted,
 * handed the leadership (every other round; else another voter is),
 * demoted and removed — 20 rounds in a row (CHURN_ROUNDS to scale). Every
 * acknowledged write is on every node at the end.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cleanup, exitWithin, freePort, type Spawned, waitFor } from "../helpers/process.ts";
import { appPath, type ClusterNode, leaderAmong, startCluster, waitApplied } from "../helpers/cluster.ts";
import { askPort, serverList } from "../helpers/resp.ts";
import { anyError, errorReplyText, untilAccepted } from "../helpers/until_accepted.ts";
import { startNode } from "./support.ts";
import { WriteLoad } from "./write_load.ts";

const ROUNDS = Number(process.env.CHURN_ROUNDS ?? 20);
const CLIENTS = 10;

describe("membership churn under load", () => {
  after(() => cleanup());

  test(`${ROUNDS} rounds of add, promote, transfer, demote, remove while ${CLIENTS} clients write`, { timeout: 240_000 }, async () => {
    const cluster = await startCluster("kvdb", 3, ["--localtime", "--openreads"]);
    const first = await cluster.leader();
    await untilAccepted(() => askPort(first.port, "SET", "k", "v"), { retryable: anyError, timeoutMs: 30_000 });
    // Paced (2 ms between a client's writes), so the rounds, not a flood of entries for each new node to catch up on, fill the time.
    const load = new WriteLoad(cluster.nodes.map((n) => n.port), { pauseMs: 2 });
    load.start(CLIENTS);
    const startedAt = performance.now();
    const spare: Array<{ port: number; address: string; process?: Spawned }> = [];
    let transfersToSpare = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const id = 4 + round;
        const port = await freePort();
        const node = { port, address: `127.0.0.1:${port}`, process: undefined as Spawned | undefined };
        spare.push(node);
        const everyone = () => [...cluster.nodes, node];
        /** Sends a RAFT command to the leader until it answers without an error (a new leader may still be settling). */
        const admin = (...args: string[]) =>
          untilAccepted(async () => askPort((await leaderAmong(everyone())).port, "RAFT", ...args), {
            retryable: anyError,
            what: `RAFT ${args.join(" ")} (round ${round})`,
            timeoutMs: 20_000,
          });
        const leader = await leaderAmong(everyone());
        node.process = await startNode(port, [
          appPath("kvdb"), "-n", String(id), "-a", node.address, "-d", cluster.dataDir, "--localtime", "--openreads", "--nonvoter", "-j", leader.address,
        ]);
        await waitFor(`node ${id} to be added`, async () => (await serverList((await leaderAmong(everyone())).port)).some((m) => m.id === String(id)), 20_000);
        await admin("SERVER", "PROMOTE", String(id));
        // Every other round the new voter takes over, so that it is then demoted and removed as leader.
        const current = await leaderAmong(everyone());
        const target = round % 2 === 0 ? id : cluster.nodes.find((n) => n !== current)!.id;
        if (target !== id || current !== node) {
          const targetAddress = target === id ? node.address : cluster.nodes.find((n) => n.id === target)!.address;
          // A transfer to a node still catching up is abandoned after an election timeout: ask again.
          await waitFor(`node ${target} to lead`, async () => {
            await admin("TRANSFER", String(target));
            const leads = () => askPort(node.port, "RAFT", "LEADER").then((leader) => leader === targetAddress);
            return await waitFor("the transfer", leads, 3_000).catch(() => false);
          }, 30_000);
          if (target === id) transfersToSpare++;
        }
        await admin("SERVER", "DEMOTE", String(id));
        await admin("SERVER", "REMOVE", String(id));
        await node.process.kill("SIGTERM");
        await exitWithin(node.process, 20_000, `node ${id}`);
      }
      const churnMs = performance.now() - startedAt;
      const ackedDuringChurn = load.acked.size;
      await load.stop();
      console.log(
        `membership churn (${process.versions.deno ? "deno" : "node"}): ${ROUNDS} rounds in ${(churnMs / 1000).toFixed(1)} s ` +
          `(${transfersToSpare} with the new node leading); ${ackedDuringChurn} writes acknowledged; longest interval without an acknowledgement ` +
          `${load.longestAckGapMs(startedAt, startedAt + churnMs).toFixed(0)} ms; slowest write ${load.slowestWriteMs(startedAt, startedAt + churnMs).toFixed(0)} ms; ` +
          `failed attempts ${JSON.stringify(Object.fromEntries(load.failures))}`,
      );
      assert.deepEqual(load.unacknowledged, []);
      assert.deepEqual(load.otherErrors.slice(0, 5), []);
      assert.ok(ackedDuringChurn > ROUNDS * 10, `only ${ackedDuringChurn} writes were acknowledged`);

      const leader = await cluster.leader();
      assert.deepEqual((await serverList(leader.port)).map((m) => m.id).sort(), ["1", "2", "3"]);
      await waitApplied(leader, cluster.nodes);
      for (const node of cluster.nodes) await assertHasKeys(node, load.acked);
    } finally {
      await load.stop();
    }
  });
});

/** Every key in `keys` is on `node` (read from its own state: the cluster runs with --openreads). */
async function assertHasKeys(node: ClusterNode, keys: ReadonlySet<string>): Promise<void> {
  const reply = await askPort(node.port, "KEYS", "*");
  assert.ok(Array.isArray(reply), `KEYS on node ${node.id}: ${errorReplyText(reply)}`);
  const present = new Set(reply as string[]);
  const missing = [...keys].filter((key) => !present.has(key));
  assert.deepEqual(missing.slice(0, 10), [], `node ${node.id} lacks ${missing.length} of ${keys.size} acknowledged keys`);
}

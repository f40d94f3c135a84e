/**
 * Membership safety on a 3-node kvdb cluster: an id already in the cluster
 * under another address is refused (RAFT SERVER ADD, and a `-j` joiner,
 * which exits saying why); a node removed while it was down learns it on
 * contact and stops, then refuses to start on its old data until --reset
 * wipes it, after which it rejoins; a node removed while running stops by
 * itself; and --evict-nonvoter-after removes a dead non-voter, not a live one.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cleanup, exitWithin, freePort, spawnCli, waitFor } from "../helpers/process.ts";
import { appPath, type Cluster, startCluster, stopNode, waitApplied } from "../helpers/cluster.ts";
import { askPort, serverList } from "../helpers/resp.ts";
import { anyError, untilAccepted } from "../helpers/until_accepted.ts";
import { startNode } from "./support.ts";

const EVICT_AFTER = "2s";

function memberIds(list: Array<Record<string, string>>): string[] {
  return list.map((m) => m.id).sort();
}

describe("membership safety", () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster("kvdb", 3, ["--localtime", "--openreads", "--evict-nonvoter-after", EVICT_AFTER]);
    const leader = await cluster.leader();
    await untilAccepted(() => askPort(leader.port, "SET", "k0", "v0"), { retryable: anyError, timeoutMs: 30_000 });
  });
  after(() => cleanup());

  test("an id in the cluster under another address is refused: RAFT SERVER ADD and -j", { timeout: 60_000 }, async () => {
    const leader = await cluster.leader();
    const taken = cluster.nodes[1];
    const reply = await askPort(leader.port, "RAFT", "SERVER", "ADD", String(taken.id), "127.0.0.1:1");
    assert.ok(reply instanceof Error);
    assert.equal(
      reply.message,
      `DUPLICATEID node id ${taken.id} is already in the cluster at ${taken.address}, not 127.0.0.1:1: ` +
        `two nodes cannot share an id; remove node ${taken.id} first, or use another id`,
    );

    const port = await freePort();
    const impostor = spawnCli([appPath("kvdb"), "-n", String(taken.id), "-a", `127.0.0.1:${port}`, "-d", `${cluster.dataDir}/impostor`, "--localtime", "-j", leader.address]);
    assert.equal(await exitWithin(impostor, 30_000, "the impostor"), 1);
    assert.match(impostor.stderr(), new RegExp(`cannot join: join refused by .*node id ${taken.id} is already in the cluster at ${taken.address}, not 127\\.0\\.0\\.1:${port}`));
    assert.deepEqual(memberIds(await serverList(leader.port)), ["1", "2", "3"]);
  });

  test("a node removed while down stops on contact, refuses its old data, and rejoins after --reset", { timeout: 90_000 }, async () => {
    const leader = await cluster.leader();
    const node = cluster.nodes.find((n) => n !== leader)!;
    await stopNode(node);
    assert.equal(await askPort(leader.port, "RAFT", "SERVER", "REMOVE", String(node.id)), "1");
    await askPort(leader.port, "SET", "k1", "v1");

    // First start on the old data: a member refuses its connection as removed; it records that and stops.
    node.process = spawnCli([...node.args]);
    assert.equal(await exitWithin(node.process, 30_000, "the removed node"), 0);
    assert.match(node.process.stderr(), new RegExp(`node ${node.id} was removed from the cluster \\(configuration index \\d+; node \\d+ refused it as removed\\)`));

    // Later starts are refused at once, with the way out.
    node.process = spawnCli([...node.args]);
    assert.equal(await exitWithin(node.process, 30_000, "the removed node"), 1);
    assert.match(node.process.stderr(), new RegExp(`cannot start: node ${node.id} was removed from the cluster .*start it with --reset to wipe .* and rejoin with -j`));
    assert.deepEqual(memberIds(await serverList(leader.port)), [leader.id, ...cluster.nodes.filter((n) => n !== leader && n !== node).map((n) => n.id)].map(String).sort());

    // --reset wipes it; it joins as new and gets the data.
    const rejoin = [...node.args.filter((arg, i, all) => arg !== "-j" && all[i - 1] !== "-j"), "--reset", "-j", leader.address];
    node.process = await startNode(node.port, rejoin);
    await waitFor("the reset node to be a member again", async () => memberIds(await serverList(leader.port)).includes(String(node.id)), 30_000);
    assert.match(node.process.stderr(), /--reset: wiped this node's data/);
    await waitApplied(leader, [node]);
    assert.equal(await askPort(node.port, "GET", "k1"), "v1");

    // Removed while running: it learns it (its peers drop it and refuse it) and stops by itself.
    assert.equal(await askPort(leader.port, "RAFT", "SERVER", "REMOVE", String(node.id)), "1");
    assert.equal(await exitWithin(node.process, 30_000, "the removed running node"), 0);
    assert.match(node.process.stderr(), new RegExp(`node ${node.id} was removed from the cluster .*; stopping`));
    // Back again for the next test.
    node.process = await startNode(node.port, rejoin);
    await waitFor("the reset node to be a member again", async () => memberIds(await serverList(leader.port)).includes(String(node.id)), 30_000);
  });

  test(`--evict-nonvoter-after ${EVICT_AFTER}: a dead non-voter is removed, a live one stays`, { timeout: 90_000 }, async () => {
    const leader = await cluster.leader();
    const [deadPort, livePort] = [await freePort(), await freePort()];
    const nonVoter = (id: number, port: number) =>
      startNode(port, [appPath("kvdb"), "-n", String(id), "-a", `127.0.0.1:${port}`, "-d", cluster.dataDir, "--localtime", "--nonvoter", "-j", leader.address]);
    const dead = await nonVoter(11, deadPort);
    const live = await nonVoter(12, livePort);
    await waitFor("both non-voters to be members", async () => {
      const ids = memberIds(await serverList(leader.port));
      return ids.includes("11") && ids.includes("12");
    }, 30_000);
    await dead.kill("SIGKILL");
    const killedAt = performance.now();
    await waitFor("the dead non-voter to be removed", async () => !memberIds(await serverList(leader.port)).includes("11"), 30_000);
    const tookMs = performance.now() - killedAt;
    console.log(`dead non-voter removed ${tookMs.toFixed(0)} ms after it died (limit ${EVICT_AFTER})`);
    assert.ok(tookMs >= 1_500, `removed after ${tookMs} ms, before the limit`);
    // The list shows the change once appended; the line comes once it is applied.
    await waitFor("the eviction's log line", () => new RegExp(`removed non-voter 11: not heard from for ${EVICT_AFTER}`).test(leader.process.stderr()));
    // The live one stayed through the same time and more.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    assert.ok(memberIds(await serverList(leader.port)).includes("12"), "the live non-voter was removed");
    await live.kill("SIGTERM");
  });
});

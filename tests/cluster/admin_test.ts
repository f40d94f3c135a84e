/**
 * The RAFT admin commands on a real 3-node ticket cluster: SERVER
 * ADD/REMOVE/PROMOTE/DEMOTE, TRANSFER, SNAPSHOT NOW/LIST/FILE/READ (READ
 * byte-exact against the file FILE names), and `--restore` of a snapshot
 * read over RESP into a new node.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { cleanup, freePort, makeTempDir, spawnCli, waitFor } from "../helpers/process.ts";
import { type Cluster, type ClusterNode, startCluster } from "../helpers/cluster.ts";
import { ask, askPort, connect, errorText, pairs, raftInfo, serverList } from "../helpers/resp.ts";
import { anyError, untilAccepted } from "../helpers/until_accepted.ts";
import { startNode, TICKET_APP } from "./support.ts";

/** Takes a ticket from `node`, waiting out TRYAGAIN/redirects of a fresh leader. */
async function ticket(node: ClusterNode | number): Promise<number> {
  const port = typeof node === "number" ? node : node.port;
  const reply = await untilAccepted(() => askPort(port, "TICKET"), { retryable: anyError, what: `a ticket from ${port}` });
  assert.equal(typeof reply, "string", `TICKET answered ${String(reply)}`);
  return Number(reply);
}

describe("RAFT admin commands", () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster("ticket", 3);
  });
  after(() => cleanup());

  test("SERVER ADD NONVOTER, PROMOTE, DEMOTE, REMOVE", { timeout: 60_000 }, async () => {
    const leader = await cluster.leader();
    const follower = cluster.nodes.find((n) => n !== leader)!;
    // A fresh node 4 that tries to join through a dead address, so only our ADD adds it.
    const [port4, deadPort] = await Promise.all([freePort(), freePort()]);
    const address4 = `127.0.0.1:${port4}`;
    await startNode(port4, [TICKET_APP, "-n", "4", "-a", address4, "-d", cluster.dataDir, "-j", `127.0.0.1:${deadPort}`, "-l", "verb"]);
    // (It listens before its storage is open and answers LOADING meanwhile.)
    await waitFor("node 4 to load, alone", async () => (await raftInfo(port4)).num_peers === "0");

    assert.match(errorText(await askPort(follower.port, "RAFT", "SERVER", "ADD", "4", address4, "NONVOTER")), /^MOVED 0 /);
    assert.match(errorText(await askPort(leader.port, "RAFT", "SERVER", "ADD", "4")), /wrong number of arguments, try RAFT HELP/);
    assert.equal(await askPort(leader.port, "RAFT", "SERVER", "ADD", "4", address4, "NONVOTER"), "1");
    const member4 = async () => (await serverList(leader.port)).find((m) => m.id === "4");
    assert.deepEqual(await member4(), { id: "4", address: address4, leader: "false", voter: "false" });
    const committed = Number((await raftInfo(leader.port)).commit_index);
    await waitFor("node 4 to catch up as a non-voter", async () => {
      const info = await raftInfo(port4);
      return Number(info.applied_index) >= committed && info.voter === "false" && info.num_peers === "3";
    });
    await ticket(leader);

    assert.equal(await askPort(leader.port, "RAFT", "SERVER", "PROMOTE", "4"), "1");
    assert.equal((await member4())?.voter, "true");
    await waitFor("node 4 to see itself a voter", async () => (await raftInfo(port4)).voter === "true");
    await ticket(leader);

    assert.equal(await askPort(leader.port, "RAFT", "SERVER", "DEMOTE", "4"), "1");
    assert.equal((await member4())?.voter, "false");
    await waitFor("node 4 to see itself a non-voter", async () => (await raftInfo(port4)).voter === "false");

    assert.equal(await askPort(leader.port, "RAFT", "SERVER", "REMOVE", "4"), "1");
    assert.equal(await member4(), undefined);
    assert.equal((await serverList(leader.port)).length, 3);
    assert.match(errorText(await askPort(leader.port, "RAFT", "SERVER", "REMOVE", "4")), /unknown server id '4'/);
    assert.match(errorText(await askPort(leader.port, "RAFT", "SERVER", "PROMOTE", "x")), /invalid server id 'x'/);
    await ticket(leader);
  });

  test("TRANSFER hands leadership to the named server", { timeout: 60_000 }, async () => {
    const leader = await cluster.leader();
    const target = cluster.nodes.find((n) => n !== leader)!;
    const other = cluster.nodes.find((n) => n !== leader && n !== target)!;
    assert.match(errorText(await askPort(other.port, "RAFT", "TRANSFER", String(target.id))), /^MOVED 0 /);
    assert.match(errorText(await askPort(leader.port, "RAFT", "TRANSFER", "99")), /cannot transfer/);
    assert.equal(await askPort(leader.port, "RAFT", "TRANSFER", String(target.id)), "OK");
    await waitFor(`every node to name ${target.address} the leader`, async () => {
      for (const node of cluster.nodes) if ((await askPort(node.port, "RAFT", "LEADER")) !== target.address) return false;
      return true;
    });
    assert.equal((await raftInfo(target.port)).state, "Leader");
    assert.equal((await raftInfo(leader.port)).state, "Follower");
    assert.equal(errorText(await askPort(leader.port, "TICKET")), `MOVED 0 ${target.address}`);
    await ticket(target);
  });

  test("SNAPSHOT NOW/LIST/FILE/READ, and --restore of the bytes read", { timeout: 60_000 }, async () => {
    const leader = await cluster.leader();
    let last = 0;
    for (let i = 0; i < 5; i++) last = await ticket(leader);

    const now = pairs(await askPort(leader.port, "RAFT", "SNAPSHOT", "NOW"));
    assert.deepEqual(Object.keys(now), ["id", "size", "timestamp"]);
    assert.match(now.id, /^\d+-\d+-\d+$/);
    // After TRANSFER the term is above 1: the restore below must not make a node lead below its snapshot's term.
    assert.ok(Number(now.id.split("-")[0]) > 1, `snapshot ${now.id} is from term 1`);
    assert.match(now.timestamp, /^\d{19}$/);
    const list = await askPort(leader.port, "RAFT", "SNAPSHOT", "LIST");
    assert.ok(Array.isArray(list) && list.length >= 1);
    assert.deepEqual(pairs(list[0]), now, "LIST is newest first");

    const file = await askPort(leader.port, "RAFT", "SNAPSHOT", "FILE", now.id);
    assert.equal(typeof file, "string");
    assert.ok(path.isAbsolute(file as string), `not absolute: ${file}`);
    assert.ok((file as string).startsWith(path.join(cluster.dataDir, "ticket", String(leader.id), "snapshots")), String(file));
    const onDisk = readFileSync(file as string);
    assert.equal(onDisk.length, Number(now.size));

    const redis = connect(leader.port);
    let bytes: Buffer;
    try {
      bytes = await redis.callBuffer("RAFT", "SNAPSHOT", "READ", now.id) as Buffer;
      assert.ok(Buffer.compare(bytes, onDisk) === 0, "READ differs from the file");
      const range = await redis.callBuffer("RAFT", "SNAPSHOT", "READ", now.id, "RANGE", "5", "40") as Buffer;
      assert.ok(Buffer.compare(range, onDisk.subarray(5, 45)) === 0, "READ RANGE offset 5 limit 40 differs from the file");
      assert.match(errorText(await ask(redis, "RAFT", "SNAPSHOT", "READ", "1-2-3")), /snapshot not found: .*1-2-3/);
      assert.match(errorText(await ask(redis, "RAFT", "SNAPSHOT", "FILE")), /wrong number of arguments/);
    } finally {
      redis.disconnect();
    }

    // A follower snapshots locally.
    const follower = cluster.nodes.find((n) => n !== leader)!;
    assert.match(pairs(await askPort(follower.port, "RAFT", "SNAPSHOT", "NOW")).id, /^\d+-\d+-\d+$/);

    // The bytes read over RESP restore into a new single-node cluster holding the same data.
    const restoreFile = path.join(makeTempDir(), "snapshot.bin");
    writeFileSync(restoreFile, bytes);
    const port = await freePort();
    const dir = makeTempDir();
    const args = [TICKET_APP, "-n", "1", "-a", `127.0.0.1:${port}`, "-d", dir, "--restore", restoreFile];
    const restored = await startNode(port, args);
    await waitFor("the restore to be logged", () => /restored snapshot/.test(restored.stderr()));
    const next = await ticket(port).catch((error: Error) => {
      throw new Error(`${error.message}\n${restored.stderr()}`);
    });
    assert.equal(next, last + 1);
    assert.deepEqual((await serverList(port)).map((m) => m.address), [`127.0.0.1:${port}`]);
    await restored.kill("SIGTERM");
    assert.ok(existsSync(path.join(dir, "ticket", "1")));

    // Restoring into a data dir that already holds the node is refused.
    const again = spawnCli(args);
    assert.equal(await again.exited, 1);
    assert.match(again.stderr(), /--restore refused/);
  });

  test("-j --nonvoter joins as a non-voter", { timeout: 60_000 }, async () => {
    const leader = await cluster.leader();
    const port = await freePort();
    const node = await startNode(port, [
      TICKET_APP, "-n", "5", "-a", `127.0.0.1:${port}`, "-d", cluster.dataDir, "-j", leader.address, "--nonvoter", "-l", "verb",
    ]);
    // (The leader lists a new member once the change is appended; one change at a time, so wait for it to commit.)
    await waitFor("node 5's join to be accepted", () => /join accepted by/.test(node.stderr()));
    assert.equal((await serverList(leader.port)).find((m) => m.id === "5")?.voter, "false");
    assert.match(node.stderr(), /joining existing cluster at \S+ as nonvoter/);
    assert.equal(await askPort(leader.port, "RAFT", "SERVER", "REMOVE", "5"), "1");
    await node.kill();
  });

  test("SHUTDOWN stops the leader cleanly and the others carry on", { timeout: 60_000 }, async () => {
    const leader = await cluster.leader();
    const before = await ticket(leader);
    assert.equal(await askPort(leader.port, "SHUTDOWN"), "OK");
    assert.equal(await leader.process.exited, 0, leader.process.stderr());
    assert.match(leader.process.stderr(), /node stopped/);
    const next = await cluster.leader();
    assert.notEqual(next, leader);
    assert.ok((await ticket(next)) > before);
  });
});

/**
 * Catching up by snapshot, on a 3-node cluster of the clock app whose
 * automatic snapshot threshold is tiny (--snapshot-threshold): a follower stopped while the log grows past
 * several snapshots (so the entries it lacks are compacted away) comes back
 * by a streamed snapshot, and a new node joins the compacted cluster the
 * same way. `--openreads` lets each node's own state be read.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cleanup, freePort, waitFor } from "../helpers/process.ts";
import { type Cluster, startCluster } from "../helpers/cluster.ts";
import { askPort, connect, raftInfo, serverList } from "../helpers/resp.ts";
import { CLOCK_APP, CLOCK_EXAMPLE, startNode } from "./support.ts";

const THRESHOLD = 40;

/** Sends `count` INCRs one at a time (one log entry each) and returns the last count. */
async function incr(port: number, count: number): Promise<number> {
  const redis = connect(port);
  try {
    let last = 0;
    for (let i = 0; i < count; i++) last = Number(await redis.call("INCR"));
    return last;
  } finally {
    redis.disconnect();
  }
}

describe("catching up by snapshot", () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster(CLOCK_EXAMPLE, 3, ["--openreads", "--snapshot-threshold", String(THRESHOLD)]);
  });
  after(() => cleanup());

  test("a follower stopped past several snapshots catches up by snapshot", { timeout: 60_000 }, async () => {
    const leader = await cluster.leader();
    const follower = cluster.nodes.find((n) => n !== leader)!;
    await waitFor("writes to be accepted", async () => (await askPort(leader.port, "CLOCK")) instanceof Array);
    const before = await incr(leader.port, 5);
    await waitFor("the follower to apply the writes", async () => (await askPort(follower.port, "GET")) === String(before));
    const stoppedAt = Number((await raftInfo(follower.port)).last_log_index);
    await follower.process.kill("SIGTERM");
    assert.equal(await follower.process.exited, 0, "SIGTERM stops a node cleanly");

    await askPort(leader.port, "CLOCK");
    const count = await incr(leader.port, 4 * THRESHOLD);
    // The leader snapshotted on its own, more than once, past the follower's log.
    const leaderInfo = await waitFor("two automatic snapshots past the stopped follower", async () => {
      const info = await raftInfo(leader.port);
      const snapshots = await askPort(leader.port, "RAFT", "SNAPSHOT", "LIST");
      return Array.isArray(snapshots) && snapshots.length >= 2 && Number(info.last_snapshot_index) > stoppedAt + THRESHOLD
        ? info
        : undefined;
    });

    await cluster.restart(follower);
    if (follower.args.includes("-j")) {
      await waitFor("the restart to ignore -j", () => /ignoring join request because server already belongs to a cluster/.test(follower.process.stderr()));
    }
    await waitFor("the follower to install a snapshot", () => /installed snapshot/.test(follower.process.stderr()));
    assert.match(leader.process.stderr(), new RegExp(`sending snapshot \\S+ \\(\\d+ bytes\\) to ${follower.id}`));
    // Progress, with sizes and rates: the snapshot written, sent, received and restored.
    const bytesAndRate = String.raw`[\d.]+ (?:B|KiB|MiB|GiB) in [\d.]+ s, [\d.]+ (?:B|KiB|MiB|GiB)/s`;
    assert.match(leader.process.stderr(), new RegExp(`writing snapshot at index \\d+ done: ${bytesAndRate}`));
    await waitFor("the send's closing line", () => new RegExp(`sending snapshot \\S+ to node ${follower.id} done: ${bytesAndRate}`).test(leader.process.stderr()));
    assert.match(follower.process.stderr(), new RegExp(`receiving snapshot \\d+/\\d+ from node ${leader.id} done: ${bytesAndRate}`));
    await waitFor("the restore's closing line", () => new RegExp(`restoring the machine from a snapshot done: ${bytesAndRate}`).test(follower.process.stderr()));
    await waitFor("the follower to catch up", async () => (await askPort(follower.port, "GET")) === String(count));
    const info = await raftInfo(follower.port);
    assert.ok(Number(info.last_snapshot_index) > stoppedAt, `follower's snapshot index ${info.last_snapshot_index} <= ${stoppedAt}`);
    assert.ok(Number(info.applied_index) >= Number(leaderInfo.commit_index));
    // Same history of CLOCK writes as the leader.
    assert.deepEqual(await askPort(follower.port, "HISTORY"), await askPort(leader.port, "HISTORY"));
    // And it keeps replicating.
    const next = await incr(leader.port, 1);
    await waitFor("the follower to apply a new write", async () => (await askPort(follower.port, "GET")) === String(next));
  });

  test("a new node joins a cluster whose log was compacted", { timeout: 60_000 }, async () => {
    const leader = await cluster.leader();
    const count = await incr(leader.port, THRESHOLD);
    await waitFor("a snapshot past index 1", async () => Number((await raftInfo(leader.port)).last_snapshot_index) > THRESHOLD);
    const port = await freePort();
    const node = await startNode(port, [
      CLOCK_APP, "-n", "4", "-a", `127.0.0.1:${port}`, "-d", cluster.dataDir, "-j", leader.address, "--openreads", "-l", "verb",
      "--snapshot-threshold", String(THRESHOLD),
    ]);
    await waitFor("node 4 to be a member", async () => (await serverList(leader.port)).some((m) => m.id === "4"));
    await waitFor("node 4 to install a snapshot", () => /installed snapshot/.test(node.stderr()));
    await waitFor("node 4 to catch up", async () => Number(await askPort(port, "GET")) >= count);
    assert.deepEqual(await askPort(port, "HISTORY"), await askPort(leader.port, "HISTORY"));
    const next = await incr(leader.port, 1);
    await waitFor("node 4 to apply a new write", async () => (await askPort(port, "GET")) === String(next));
    assert.equal((await raftInfo(port)).voter, "true");
  });
});

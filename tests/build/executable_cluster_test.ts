/**
 * The single executable, copied alone into an empty directory and run with
 * a PATH that holds no node, deno or npm, serves the ticket and kvdb
 * examples (loaded from their files) as 3-node clusters.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Cluster, startCluster } from "../helpers/cluster.ts";
import { ask, firstWrite } from "../helpers/resp.ts";
import { ensureExecutable } from "../helpers/executable.ts";
import { cleanup, makeTempDir, spawnProcess } from "../helpers/process.ts";

describe("the single executable runs 3-node clusters", () => {
  let dir: string;
  let launch: (args: string[]) => ReturnType<typeof spawnProcess>;
  before(() => {
    const built = ensureExecutable();
    dir = makeTempDir("uhaha-exe-cluster-");
    const copy = join(dir, "uhaha");
    copyFileSync(built, copy);
    execFileSync("chmod", ["755", copy]);
    const emptyBin = join(dir, "bin");
    mkdirSync(emptyBin);
    for (const tool of ["node", "deno", "npm"]) {
      assert.throws(() => execFileSync("/bin/sh", ["-c", `command -v ${tool}`], { env: { PATH: emptyBin } }), `${tool} reachable`);
    }
    launch = (args) => spawnProcess(copy, args, { cwd: dir, env: { PATH: emptyBin } });
  });
  after(() => cleanup());

  async function leaderAndFollower(cluster: Cluster) {
    const leader = await cluster.leader();
    return { leader, follower: cluster.nodes.find((node) => node !== leader)! };
  }

  test("ticket", async () => {
    const cluster = await startCluster("ticket", 3, [], launch);
    const { leader, follower } = await leaderAndFollower(cluster);
    const redis = cluster.client(leader);
    assert.equal(await firstWrite(redis, "TICKET"), "1");
    assert.equal(await ask(redis, "TICKET"), "2");
    const moved = await ask(cluster.client(follower), "TICKET");
    assert.ok(moved instanceof Error && moved.message === `MOVED 0 ${leader.address}`, String(moved));
    await Promise.all(cluster.nodes.map((node) => node.process.kill("SIGTERM")));
  });

  test("kvdb", async () => {
    const cluster = await startCluster("kvdb", 3, [], launch);
    const { leader, follower } = await leaderAndFollower(cluster);
    const redis = cluster.client(leader);
    assert.equal(await firstWrite(redis, "SET", "greeting", "hello"), "OK");
    assert.equal(await ask(redis, "GET", "greeting"), "hello");
    assert.deepEqual(await ask(redis, "KEYS", "*"), ["greeting"]);
    const moved = await ask(cluster.client(follower), "GET", "greeting");
    assert.ok(moved instanceof Error && moved.message === `MOVED 0 ${leader.address}`, String(moved));
    await Promise.all(cluster.nodes.map((node) => node.process.kill("SIGTERM")));
  });
});

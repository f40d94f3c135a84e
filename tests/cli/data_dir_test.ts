/**
 * A node's data directory as real processes see it: one process per node
 * directory (a second is refused, a killed holder does not block its
 * restart, of racing starters exactly one runs), an impossible directory
 * fails at once, and a signal stops a node in any phase of its start-up.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { cleanup, exitWithin, freePort, isRunning, makeTempDir, signalProcess, spawnCli, startCliNode, waitFor } from "../helpers/process.ts";
import { appPath } from "../helpers/cluster.ts";
import { askPort, connect, firstWrite } from "../helpers/resp.ts";

const KVDB = appPath("kvdb");

function lockMessage(nodeDir: string, pid: number): string {
  return `cannot start: node directory '${nodeDir}' is in use by process ${pid} (lock file '${path.join(nodeDir, "lock")}'); one process at a time may use it`;
}

async function set(port: number, key: string, value: string): Promise<void> {
  const redis = connect(port);
  try {
    assert.equal(await firstWrite(redis, "SET", key, value), "OK");
  } finally {
    redis.disconnect();
  }
}

describe("data directory", () => {
  after(() => cleanup());

  test("a second node on the same directory is refused, names it and the holder, and changes nothing", async () => {
    const dataDir = makeTempDir();
    const nodeDir = path.join(dataDir, "kvdb", "1");
    const { node: holder, port } = await startCliNode([KVDB, "-d", dataDir]);
    await set(port, "k", "v1");
    const names = readdirSync(nodeDir).sort();

    const secondPort = await freePort();
    const second = spawnCli([KVDB, "-a", `127.0.0.1:${secondPort}`, "-d", dataDir]);
    assert.equal(await exitWithin(second, 20_000, "the second node"), 1, second.stderr());
    const lines = second.stderr().trim().split("\n");
    assert.ok(lines.at(-1)!.endsWith(lockMessage(nodeDir, holder.pid)), second.stderr());
    assert.doesNotMatch(second.stderr(), /listening/);
    assert.deepEqual(readdirSync(nodeDir).sort(), names);

    assert.equal(await askPort(port, "GET", "k"), "v1");
    signalProcess(holder.pid, "SIGTERM");
    assert.equal(await holder.exited, 0, holder.stderr());
    assert.equal(existsSync(path.join(nodeDir, "lock")), false, "released on stop");
    const { node: restarted, port: restartPort } = await startCliNode([KVDB, "-d", dataDir]);
    assert.equal(await askPort(restartPort, "GET", "k"), "v1");
    await restarted.kill();
  });

  test("after SIGKILL of the holder a restart on the same directory runs and keeps its data", async () => {
    const dataDir = makeTempDir();
    const lockFile = path.join(dataDir, "kvdb", "1", "lock");
    const { node: first, port } = await startCliNode([KVDB, "-d", dataDir]);
    await set(port, "k", "before the kill");
    await first.kill("SIGKILL");
    assert.equal(JSON.parse(readFileSync(lockFile, "utf8")).pid, first.pid, "the killed holder's lock is left behind");

    const { node: second, port: secondPort } = await startCliNode([KVDB, "-d", dataDir]);
    assert.equal(await askPort(secondPort, "GET", "k"), "before the kill");
    assert.equal(JSON.parse(readFileSync(lockFile, "utf8")).pid, second.pid);
    await second.kill();
  });

  test("of 4 nodes started at once on one directory exactly one runs", async () => {
    const dataDir = makeTempDir();
    const nodeDir = path.join(dataDir, "kvdb", "1");
    const ports = await Promise.all([1, 2, 3, 4].map(() => freePort()));
    const nodes = ports.map((port) => spawnCli([KVDB, "-a", `127.0.0.1:${port}`, "-d", dataDir]));
    const exited = () => nodes.filter((node) => !isRunning(node));
    await waitFor("3 of the 4 to exit", () => exited().length >= 3, 60_000);
    const survivors = nodes.filter((node) => !exited().includes(node));
    assert.equal(survivors.length, 1, nodes.map((node) => node.stderr()).join("\n"));
    const winner = survivors[0];
    await waitFor("the survivor to listen", () => winner.stderr().includes("server listening"));
    for (const loser of exited()) {
      assert.equal(await loser.exited, 1, loser.stderr());
      assert.ok(loser.stderr().trim().endsWith(lockMessage(nodeDir, winner.pid)), loser.stderr());
    }
    await winner.kill();
  });

  test("-d /proc/x fails at once, naming the directory it cannot create", { skip: !existsSync("/proc/self") && "no /proc" }, async () => {
    const node = spawnCli([KVDB, "-a", `127.0.0.1:${await freePort()}`, "-d", "/proc/x"]);
    // A recursive mkdir spins forever there; the limit covers the runtime's own start.
    assert.equal(await exitWithin(node, 15_000, "the node"), 1, node.stderr());
    assert.match(node.stderr(), /cannot start: cannot create data directory '\/proc\/x\/kvdb\/1': ENOENT: .*mkdir '\/proc\/x'/);
  });

  test("SIGTERM ends a start-up stuck on its disk within seconds, and the lock goes with it", async (t) => {
    const dataDir = makeTempDir();
    const nodeDir = path.join(dataDir, "kvdb", "1");
    try {
      execFileSync("mkdir", ["-p", nodeDir]);
      // Opening a FIFO blocks until a writer comes: a disk that never answers.
      execFileSync("mkfifo", [path.join(nodeDir, "stable.json")]);
    } catch {
      t.skip("no mkfifo");
      return;
    }
    const node = spawnCli([KVDB, "-a", `127.0.0.1:${await freePort()}`, "-d", dataDir]);
    const lockFile = path.join(nodeDir, "lock");
    await waitFor("the node to lock its directory", () => existsSync(lockFile) && readFileSync(lockFile, "utf8").includes(`"pid":${node.pid},`), 30_000);
    signalProcess(node.pid, "SIGTERM");
    const code = await exitWithin(node, 5_000, "the stuck node");
    assert.notEqual(code, 0, node.stderr());
    assert.match(node.stderr(), /received SIGTERM, shutting down\n.*start-up did not finish within 1000 ms of the signal/);
    assert.equal(existsSync(lockFile), false, "lock released");
  });

  test("SIGTERM while joining an unreachable cluster stops the node at once", async () => {
    const dataDir = makeTempDir();
    const node = spawnCli([KVDB, "-n", "2", "-a", `127.0.0.1:${await freePort()}`, "-j", `127.0.0.1:${await freePort()}`, "-d", dataDir]);
    await waitFor("a failed join attempt", () => node.stderr().includes("join: cannot reach"), 30_000);
    signalProcess(node.pid, "SIGTERM");
    assert.equal(await exitWithin(node, 5_000, "the joining node"), 0, node.stderr());
    assert.equal(existsSync(path.join(dataDir, "kvdb", "2", "lock")), false, "lock released");
  });
});

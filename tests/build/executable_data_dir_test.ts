/**
 * The single executable `dist/uhaha` and its data directory: a second node
 * on one directory is refused, and an impossible directory fails at once
 * (the SEA is plain Node 20, whose recursive mkdir spins on /proc).
 * Builds the executable first when it is missing or older than the sources.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { cleanup, exitWithin, freePort, makeTempDir, signalProcess, spawnProcess, unlessExited, waitForPort } from "../helpers/process.ts";
import { ensureExecutable } from "../helpers/executable.ts";

describe("single executable: data directory", () => {
  let executable: string;

  before(() => {
    executable = ensureExecutable();
  });
  after(() => cleanup());

  test("a second node on the same directory exits 1 naming the directory and the holder's pid", async () => {
    const dataDir = makeTempDir();
    const nodeDir = path.join(dataDir, "kvdb", "1"); // kvdb: what runs when no app is named
    const port = await freePort();
    const holder = spawnProcess(executable, ["-a", `127.0.0.1:${port}`, "-d", dataDir]);
    await unlessExited(holder, waitForPort(port), "the holder");
    const second = spawnProcess(executable, ["-a", `127.0.0.1:${await freePort()}`, "-d", dataDir]);
    assert.equal(await second.exited, 1, second.stderr());
    assert.ok(
      second.stderr().trim().endsWith(
        `cannot start: node directory '${nodeDir}' is in use by process ${holder.pid} (lock file '${path.join(nodeDir, "lock")}'); one process at a time may use it`,
      ),
      second.stderr(),
    );
    signalProcess(holder.pid, "SIGTERM");
    assert.equal(await holder.exited, 0, holder.stderr());
    assert.equal(existsSync(path.join(nodeDir, "lock")), false);
  });

  test("-d /proc/x exits 1 at once with the directory it cannot create", { skip: !existsSync("/proc/self") && "no /proc" }, async () => {
    const node = spawnProcess(executable, ["-a", `127.0.0.1:${await freePort()}`, "-d", "/proc/x"]);
    assert.equal(await exitWithin(node, 10_000, "the node"), 1, node.stderr());
    assert.match(node.stderr(), /cannot start: cannot create data directory '\/proc\/x\/kvdb\/1': ENOENT/);
  });
});

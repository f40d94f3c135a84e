/**
 * The examples built into the single executable: copied alone into an empty
 * directory and run with a PATH that holds nothing, `uhaha kvdb`, `uhaha
 * kv`, `uhaha ticket`, `uhaha timeseries` and a bare `uhaha` (kvdb) answer their
 * commands with no example file present; `-h` lists the names and an
 * unknown name is refused in one line that lists them.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { ensureExecutable } from "../helpers/executable.ts";
import { cleanup, freePort, makeTempDir, signalProcess, spawnProcess, unlessExited, waitForPong } from "../helpers/process.ts";
import { ask, firstWrite, withRedis } from "../helpers/resp.ts";

const NAMES = "kvdb, kv, ticket, timeseries";

describe("the executable's built-in examples", { timeout: 120_000 }, () => {
  let dir: string;
  let copy: string;
  let env: { PATH: string };

  before(() => {
    const built = ensureExecutable();
    dir = makeTempDir("uhaha-exe-examples-");
    copy = join(dir, "uhaha");
    copyFileSync(built, copy);
    execFileSync("chmod", ["755", copy]);
    const emptyBin = makeTempDir("uhaha-empty-bin-");
    env = { PATH: emptyBin };
    for (const tool of ["node", "deno", "npm", "sh"]) {
      assert.throws(() => execFileSync("/bin/sh", ["-c", `command -v ${tool}`], { env }), `${tool} is reachable`);
    }
  });
  after(() => cleanup());

  /** Runs the copy with `args` in its folder, with the empty PATH, and waits for its exit. */
  async function runToExit(args: string[]): Promise<{ code: number | string; stdout: string; stderr: string }> {
    const child = spawnProcess(copy, args, { cwd: dir, env });
    const code = await child.exited;
    return { code, stdout: child.stdout(), stderr: child.stderr() };
  }

  /** Starts a one-node cluster of `appArgs` from the lone executable, runs `use` against it, then stops it (exit 0). */
  async function withNode(appArgs: string[], use: (redis: Redis) => Promise<void>): Promise<void> {
    const port = await freePort();
    const dataDir = `data-${appArgs[0] ?? "none"}`;
    const node = spawnProcess(copy, [...appArgs, "-a", `127.0.0.1:${port}`, "-d", dataDir, "-l", "warn"], { cwd: dir, env });
    await unlessExited(node, waitForPong(port), `uhaha ${appArgs.join(" ")}`);
    try {
      await withRedis({ port, maxRetriesPerRequest: 0 }, use);
    } finally {
      signalProcess(node.pid, "SIGTERM");
      assert.equal(await node.exited, 0, node.stderr());
    }
  }

  test("the folder holds only the executable", () => {
    assert.deepEqual(readdirSync(dir), ["uhaha"]);
  });

  test("-h lists the built-in apps", async () => {
    const { code, stdout } = await runToExit(["-h"]);
    assert.equal(code, 0);
    for (const name of ["kvdb", "kv", "ticket", "timeseries"]) assert.match(stdout, new RegExp(`^  ${name} +: `, "m"));
  });

  test("an unknown name: one line that lists the names, exit 2", async () => {
    const { code, stdout, stderr } = await runToExit(["kvbd", "-n", "1"]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(stderr, `uhaha: unknown app 'kvbd': the built-in apps are ${NAMES} (or give a module file, such as app.ts)\n`);
  });

  test("uhaha kvdb", async () => {
    await withNode(["kvdb"], async (redis) => {
      assert.equal(await firstWrite(redis, "SET", "greeting", "hello", "EX", "60"), "OK");
      assert.equal(await ask(redis, "GET", "greeting"), "hello");
      assert.deepEqual(await ask(redis, "KEYS", "*"), ["greeting"]);
      assert.equal((await ask(redis, "GET") as Error).message, "ERR wrong number of arguments for 'get' command");
      assert.deepEqual(await ask(redis, "COMMAND", "INFO", "get"), [["get", 2, ["readonly", "fast"], 0, 0, 0]]);
      assert.equal(await ask(redis, "VERSION"), "kvdb version 0.1.0");
    });
  });

  test("uhaha kv", async () => {
    await withNode(["kv"], async (redis) => {
      const versionstamp = await firstWrite(redis, "KV.SET", '["users",{"$bigint":"1"}]', '{"name":"ada"}');
      assert.match(String(versionstamp), /^[0-9a-f]{20}$/);
      assert.deepEqual(await ask(redis, "KV.GET", '["users",{"$bigint":"1"}]'), ['{"name":"ada"}', versionstamp]);
      assert.deepEqual(await ask(redis, "KV.LIST", '{"prefix":["users"]}'), [[['["users",{"$bigint":"1"}]', '{"name":"ada"}', versionstamp]], ""]);
      assert.equal(await ask(redis, "VERSION"), "kv version 0.1.0");
    });
  });

  test("uhaha ticket", async () => {
    await withNode(["ticket"], async (redis) => {
      assert.equal(await firstWrite(redis, "TICKET"), "1");
      assert.equal(await ask(redis, "TICKET"), "2");
      assert.equal(await ask(redis, "VERSION"), "ticket version 0.1.0");
    });
  });

  test("uhaha timeseries", async () => {
    await withNode(["timeseries"], async (redis) => {
      assert.equal(await firstWrite(redis, "WRITE", "cpu", "-1m", "user=12"), "OK");
      assert.match(String(await ask(redis, "QUERY", "cpu", "-1h", "now", "all")), /^cpu \d{19} user=12$/);
      assert.equal(await ask(redis, "RETAIN"), "168h0m0s");
      assert.equal(await ask(redis, "VERSION"), "timeseries version 0.1.0");
    });
  });

  test("uhaha with no app runs kvdb", async () => {
    await withNode([], async (redis) => {
      assert.equal(await firstWrite(redis, "SET", "k", "v"), "OK");
      assert.equal(await ask(redis, "GET", "k"), "v");
      assert.equal(await ask(redis, "VERSION"), "kvdb version 0.1.0");
    });
  });
});

/**
 * The single executable `dist/uhaha`, copied alone into an empty directory
 * outside the repo and run with a PATH that holds no node, deno or npm.
 * Builds it first when it is missing or older than the sources.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, freePort, makeTempDir, spawnProcess, unlessExited, waitForPort } from "../helpers/process.ts";
import { EMBEDDED_NODE_VERSION, ensureExecutable } from "../helpers/executable.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { replyToJs } from "../../server/resp_reply_parser.ts";
import { UHAHA_VERSION } from "../../api/version.ts";

describe("single executable", () => {
  let dir: string;
  let copy: string;
  const env = { PATH: "" };

  before(() => {
    const EXECUTABLE = ensureExecutable();
    dir = makeTempDir("uhaha-exe-");
    copy = join(dir, "uhaha");
    copyFileSync(EXECUTABLE, copy);
    execFileSync("chmod", ["755", copy]);
    env.PATH = join(dir, "empty-bin");
  });
  after(() => cleanup());

  test("no node, deno or npm on the PATH it runs with", () => {
    for (const tool of ["node", "deno", "npm"]) {
      assert.throws(() => execFileSync("/bin/sh", ["-c", `command -v ${tool}`], { env }), `${tool} is reachable`);
    }
  });

  test("-v works from the empty directory and names the Node 24 it embeds", () => {
    assert.match(EMBEDDED_NODE_VERSION, /^v24\.\d+\.\d+$/);
    assert.equal(execFileSync(copy, ["-v"], { cwd: dir, env }).toString(), `uhaha version ${UHAHA_VERSION}\nnode ${EMBEDDED_NODE_VERSION}\n`);
  });

  test("answers PING", async () => {
    const port = await freePort();
    const node = spawnProcess(copy, ["-a", `127.0.0.1:${port}`], { cwd: dir, env });
    await unlessExited(node, waitForPort(port), "the executable");
    const client = await RawClient.connect(port);
    client.send("PING");
    client.send("ECHO", "from the executable");
    assert.deepEqual((await client.read(2)).map(replyToJs), ["PONG", "from the executable"]);
    client.close();
    assert.match(node.stderr(), /server listening at 127\.0\.0\.1:\d+/);
  });
});

/**
 * `import { main } from "http://…/mod.ts"` in Deno: the repo is served by a
 * local static HTTP server, and a script in an empty directory (no
 * deno.json, no node_modules) imports mod.ts by URL and runs a node of its
 * own app — so mod.ts's import graph needs no import map and no npm.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createReadStream, statSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import { join, normalize } from "node:path";
import { cleanup, freePort, makeTempDir, REPO_ROOT, spawnProcess, unlessExited, waitForPort } from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { untilAccepted } from "../helpers/until_accepted.ts";
import { replyToJs } from "../../server/resp_reply_parser.ts";

const DENO = join(REPO_ROOT, "node_modules", ".bin", "deno");

describe("mod.ts imported by URL from Deno", () => {
  let server: http.Server;
  let baseUrl: string;
  const served: string[] = [];

  before(async () => {
    server = http.createServer((request, response) => {
      const file = normalize(join(REPO_ROOT, decodeURIComponent(new URL(request.url!, "http://x").pathname)));
      if (!file.startsWith(REPO_ROOT) || file.includes("node_modules") || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
        response.writeHead(404).end();
        return;
      }
      served.push(file.slice(REPO_ROOT.length));
      response.writeHead(200, { "content-type": "application/typescript" });
      createReadStream(file).pipe(response);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    await cleanup();
    await new Promise((resolve) => server.close(resolve));
  });

  test("a script in an empty directory runs a node of its own app", async () => {
    const dir = makeTempDir("uhaha-url-");
    writeFileSync(join(dir, "main.ts"), `
      import { type App, main, resp } from "${baseUrl}/mod.ts";
      const app: App<{ hits: number }> = {
        name: "hits",
        initialData: () => ({ hits: 0 }),
        jsonSnapshots: true,
        commands: { hit: { kind: "write", run: (m) => resp.int(++m.data.hits) } },
      };
      await main(app);
    `);
    const port = await freePort();
    const node = spawnProcess(DENO, [
      "run", "--no-lock", "--no-config", "--allow-import", "--allow-net", "--allow-read", "--allow-write", "--allow-env", "--allow-sys",
      "main.ts", "-a", `127.0.0.1:${port}`, "-d", join(dir, "data"),
    ], { cwd: dir, env: { ...process.env, DENO_DIR: join(dir, "deno-cache"), NO_COLOR: "1" } });
    await unlessExited(node, waitForPort(port, 60_000), "deno");
    const client = await RawClient.connect(port);
    const reply = await untilAccepted(() => client.call("HIT"), { what: "HIT", timeoutMs: 30_000 });
    client.send("HIT");
    client.send("VERSION");
    assert.deepEqual([reply, ...await client.read(2)].map(replyToJs), [1n, 2n, "hits version 0.0.0"]);
    client.close();
    await node.kill("SIGTERM");
    assert.ok(served.includes("mod.ts"));
    assert.ok(served.every((file) => file.endsWith(".ts")), `served non-TypeScript files: ${served.join(", ")}`);
    assert.ok(!served.some((file) => file.startsWith("tests/") || file.startsWith("tools/")), "mod.ts pulled in test or build code");
  });
});

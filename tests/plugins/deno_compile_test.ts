/**
 * `deno task compile <main.ts>`: `deno compile` needs Deno's download
 * server (for the runtime it embeds), which these machines cannot reach, so
 * this checks everything up to that step: the task's command line, the
 * sample main file type-checks, and it runs under `deno run` as the
 * compiled binary would.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { cleanup, freePort, makeTempDir, REPO_ROOT, spawnProcess, unlessExited, waitForPort } from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { untilAccepted } from "../helpers/until_accepted.ts";
import { replyToJs } from "../../server/resp_reply_parser.ts";

const DENO = join(REPO_ROOT, "node_modules", ".bin", "deno");
after(() => cleanup());

test("the sample main file type-checks", () => {
  execFileSync(DENO, ["check", "examples/ticket_main.ts"], { cwd: REPO_ROOT, stdio: "pipe" });
});

test("the sample main file runs a node under deno run, taking uhaha's flags", async () => {
  const port = await freePort();
  const node = spawnProcess(DENO, ["run", "-A", "examples/ticket_main.ts", "-a", `127.0.0.1:${port}`, "-d", makeTempDir()], { cwd: REPO_ROOT });
  await unlessExited(node, waitForPort(port), "deno run examples/ticket_main.ts");
  const client = await RawClient.connect(port);
  const reply = await untilAccepted(() => client.call("TICKET"), { what: "TICKET", timeoutMs: 30_000 });
  assert.equal(replyToJs(reply), "1");
  client.close();
  await node.kill("SIGTERM");
  assert.match(execFileSync(DENO, ["run", "-A", "examples/ticket_main.ts", "-v"], { cwd: REPO_ROOT }).toString(), /^ticket version 0\.1\.0\ndeno \d+\.\d+\.\d+\n$/);
});

/**
 * The module example in mod.ts's doc comment is a main file that works:
 * its text, taken from mod.ts as it stands, type-checks and runs as a node
 * on this runtime (Node 20, where `import.meta.main` does not exist, and
 * Deno), which answers TICKET with "1" and stops cleanly on SIGTERM.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  cleanup,
  exitWithin,
  freePort,
  makeTempDir,
  REPO_ROOT,
  signalProcess,
  spawnProcess,
  tsRunner,
  unlessExited,
  waitForPong,
} from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { untilAccepted } from "../helpers/until_accepted.ts";
import { replyToJs } from "../../server/resp_reply_parser.ts";

const DENO = join(REPO_ROOT, "node_modules", "deno", "deno");

/** The code of the first ```ts block after `@example` in a JSDoc comment, without the comment's ` * ` margins. */
function exampleCode(source: string): string {
  const lines = source.split("\n").map((line) => line.replace(/^\s*\* ?/, ""));
  const start = lines.findIndex((line, i) => line.startsWith("```ts") && lines.slice(0, i).some((l) => l.startsWith("@example")));
  const end = lines.indexOf("```", start + 1);
  assert.ok(start >= 0 && end > start, "no ```ts block after @example in mod.ts");
  return lines.slice(start + 1, end).join("\n") + "\n";
}

describe("mod.ts's module example", () => {
  const code = exampleCode(readFileSync(join(REPO_ROOT, "mod.ts"), "utf8"));
  let file: string;
  before(() => {
    const dir = makeTempDir("uhaha-mod-example-");
    // As the example says: on Node its folder is an ES-module package (top-level await).
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    file = join(dir, "ticket_main.ts");
    writeFileSync(file, code.replaceAll('"./mod.ts"', JSON.stringify(pathToFileURL(join(REPO_ROOT, "mod.ts")).href)));
  });
  after(() => cleanup());

  test("is a main file: imports ./mod.ts and calls main(app) unguarded", () => {
    assert.match(code, /^import \{[^}]*\bmain\b[^}]*\} from "\.\/mod\.ts";$/m);
    assert.match(code, /^await main\(app\);/m);
    assert.doesNotMatch(code, /import\.meta\.main/, "undefined on Node 20");
  });

  test("type-checks", () => {
    execFileSync(DENO, ["check", "--quiet", "--config", join(REPO_ROOT, "deno.json"), file], { cwd: REPO_ROOT, stdio: "pipe" });
  });

  test("runs a node on this runtime that answers TICKET with \"1\"", async () => {
    const port = await freePort();
    const runner = tsRunner();
    const node = spawnProcess(runner.command, [...runner.args, file, "-a", `127.0.0.1:${port}`, "-d", makeTempDir()]);
    await unlessExited(node, waitForPong(port), "the example");
    const client = await RawClient.connect(port);
    try {
      const reply = await untilAccepted(() => client.call("TICKET"), { what: "TICKET" });
      assert.equal(replyToJs(reply), "1");
    } finally {
      client.close();
    }
    signalProcess(node.pid, "SIGTERM");
    assert.equal(await exitWithin(node, 15_000, "the example"), 0, node.stderr());
  });
});

/**
 * The live status page in headless Chromium (Debian's `chromium`): against
 * the leader of a 3-node kvdb cluster with --auth, the token in the URL's
 * fragment. The rendered DOM (--dump-dom) shows three nodes and one leader,
 * and the screenshot (--screenshot) is a real, non-blank PNG of the window's
 * size, kept in tests/artifacts/ (git-ignored) and its path printed.
 * Without a chromium that runs, the test is skipped and says why.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { cleanup, exitWithin, IS_DENO, makeTempDir, REPO_ROOT, spawnProcess, waitFor } from "../helpers/process.ts";
import { authLeader, startAuthCluster } from "../cluster/auth_cluster.ts";
import { colourStats, decodePng } from "./png_check.ts";

const SECRET = "page-secret";
const WIDTH = 1000;
const HEIGHT = 700;

/** Why this cannot run here, or undefined when `chromium --version` works. */
function chromiumSkip(): string | undefined {
  try {
    execFileSync("chromium", ["--version"], { stdio: "pipe", timeout: 20_000 });
    return undefined;
  } catch (error) {
    const reason = `needs a working 'chromium' on PATH (Debian: apt-get install -y chromium): ${(error as Error).message.split("\n")[0]}`;
    if (IS_DENO) console.warn(`status page test ignored: ${reason}`);
    return reason;
  }
}

/** Runs headless chromium on `url` with `args`; its stdout. */
async function chromium(url: string, args: string[]): Promise<string> {
  const profile = makeTempDir("uhaha-chromium-");
  const child = spawnProcess("chromium", [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars", `--user-data-dir=${profile}`,
    `--window-size=${WIDTH},${HEIGHT}`, "--virtual-time-budget=5000", ...args, url,
  ]);
  const code = await exitWithin(child, 60_000, "chromium");
  assert.equal(code, 0, `chromium exited with ${code}:\n${child.stderr().slice(-2000)}`);
  return child.stdout();
}

describe("the live status page in headless Chromium", { timeout: 180_000 }, () => {
  after(() => cleanup());

  test("shows three nodes and one leader; the screenshot is a non-blank PNG", { skip: chromiumSkip() }, async () => {
    const nodes = await startAuthCluster("kvdb", 3, SECRET);
    const leader = await authLeader(nodes, SECRET);
    await waitFor("three members in the leader's /status", async () => {
      const response = await fetch(`http://127.0.0.1:${leader.port}/status`, { headers: { Authorization: `Bearer ${SECRET}` } });
      return (await response.json()).nodes.length === 3;
    });
    const url = `http://127.0.0.1:${leader.port}/#token=${SECRET}`;

    const dom = await chromium(url, ["--dump-dom"]);
    const rows = [...dom.matchAll(/<tr class="node[^"]*" data-role="([a-zA-Z]+)" data-id="(\d+)">/g)];
    assert.equal(rows.length, 3, `three node rows in the rendered page:\n${dom.slice(0, 3000)}`);
    assert.deepEqual(rows.map((row) => row[1]).sort(), ["follower", "follower", "leader"]);
    assert.equal(rows.find((row) => row[1] === "leader")![2], String(leader.id));
    assert.match(dom, /<div id="summary">3 nodes, 1 leader · term \d+/);

    const dir = join(REPO_ROOT, "tests", "artifacts");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `status_page_${IS_DENO ? "deno" : "node"}.png`);
    rmSync(file, { force: true });
    await chromium(url, [`--screenshot=${file}`]);
    const image = decodePng(new Uint8Array(readFileSync(file)));
    assert.equal(image.width, WIDTH);
    assert.equal(image.height, HEIGHT);
    const { colours, foreground } = colourStats(image);
    assert.ok(colours >= 8 && foreground > 0.02, `a rendered page, not a blank one: ${colours} colours, ${(foreground * 100).toFixed(1)}% foreground`);
    console.log(`status page screenshot: ${file} (${colours} colours, ${(foreground * 100).toFixed(1)}% foreground)`);
  });
});

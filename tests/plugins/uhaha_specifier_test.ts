/**
 * One import name for the framework: a plugin written outside the repo
 * imports `{ resp, type App } from "uhaha"` and a relative helper file, and
 * runs unchanged as a 3-node cluster of the lone executable (in an empty
 * folder, with an empty PATH) and under cli.ts on this runtime (`npm start`
 * on Node — as CommonJS and as an ES module — and `deno run` on Deno). In
 * the executable a path to a `mod.ts` that is not there is the framework
 * too, and any other bare specifier is refused by name.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { type Cluster, type ClusterNode, startCluster } from "../helpers/cluster.ts";
import { EMBEDDED_NODE_VERSION, ensureExecutable } from "../helpers/executable.ts";
import { cleanup, freePort, IS_DENO, makeTempDir, REPO_ROOT, signalProcess, spawnProcess, type Spawned, tsRunner, unlessExited, waitForPong } from "../helpers/process.ts";
import { ask, errorText, firstWrite, withRedis } from "../helpers/resp.ts";

const APP = `import { resp, type App } from "uhaha";
import { double } from "./helper.ts";

interface Data { n: number }

export default {
  name: "doubler",
  version: "1.2.3",
  initialData: (): Data => ({ n: 1 }),
  jsonSnapshots: true,
  commands: {
    double: { kind: "write", arity: 1, run: (m) => resp.int((m.data.n = double(m.data.n))) },
    peek: { kind: "read", arity: 1, run: (m) => resp.int(m.data.n) },
  },
} satisfies App<Data>;
`;
const HELPER = `export function double(n: number): number {\n  return n * 2;\n}\n`;

/** A folder outside the repo holding app.ts and helper.ts (and `extra` files). */
function pluginFolder(extra: Record<string, string> = {}): string {
  const dir = makeTempDir("uhaha-specifier-");
  for (const [name, source] of Object.entries({ "app.ts": APP, "helper.ts": HELPER, ...extra })) writeFileSync(join(dir, name), source);
  return dir;
}

describe("a plugin that imports \"uhaha\"", { timeout: 180_000 }, () => {
  after(() => cleanup());

  describe("the lone executable, empty folder, empty PATH", () => {
    let dir: string;
    let copy: string;
    let env: { PATH: string };
    before(() => {
      dir = pluginFolder({
        "old.js": `import { resp } from "./uhaha-src/mod.ts";\nimport { readFileSync } from "fs";\n` +
          `export default { name: "old", initialData: () => 0, jsonSnapshots: true, commands: { ok: { kind: "read", run: () => resp.ok } } };\n`,
        "npm.ts": `import chalk from "chalk";\nexport default chalk;\n`,
      });
      copy = join(dir, "uhaha");
      copyFileSync(ensureExecutable(), copy);
      execFileSync("chmod", ["755", copy]);
      env = { PATH: join(dir, "no-bin") };
      mkdirSync(env.PATH);
    });

    test("runs as a 3-node cluster", async () => {
      const example = relative(join(REPO_ROOT, "examples"), join(dir, "app"));
      const cluster: Cluster = await startCluster(example, 3, [], (args) => spawnProcess(copy, args, { cwd: dir, env }));
      const leader: ClusterNode = await cluster.leader();
      const redis = cluster.client(leader);
      assert.equal(await firstWrite(redis, "DOUBLE"), 2);
      assert.equal(await ask(redis, "DOUBLE"), 4);
      assert.equal(await ask(redis, "PEEK"), 4);
      assert.equal(errorText(await ask(redis, "DOUBLE", "x")), "ERR wrong number of arguments for 'double' command");
      assert.equal(await ask(redis, "VERSION"), "doubler version 1.2.3");
      const follower = cluster.nodes.find((node) => node !== leader)!;
      assert.equal(errorText(await ask(cluster.client(follower), "DOUBLE")), `MOVED 0 ${leader.address}`);
      await Promise.all(cluster.nodes.map((node) => node.process.kill("SIGTERM")));
    });

    test("a path to a mod.ts that is not there is the framework; a bare node built-in is allowed", async () => {
      const node = spawnProcess(copy, ["old.js", "-v"], { cwd: dir, env });
      assert.equal(await node.exited, 0, node.stderr());
      assert.equal(node.stdout(), `old version 0.0.0\nnode ${EMBEDDED_NODE_VERSION}\n`);
    });

    test("any other bare specifier is refused by name", async () => {
      const node = spawnProcess(copy, ["npm.ts", "-v"], { cwd: dir, env });
      assert.equal(await node.exited, 2);
      assert.match(node.stderr(), /npm\.ts imports 'chalk', which the executable cannot provide: it has no npm packages/);
    });
  });

  /** `npm start` on Node, `deno run -A cli.ts` on Deno, run from the plugin's folder. */
  function startFromSource(args: string[], cwd: string): Spawned {
    const runner = tsRunner();
    const script = IS_DENO ? join(REPO_ROOT, "cli.ts") : join(REPO_ROOT, "tools", "start.ts");
    return spawnProcess(runner.command, [...runner.args, script, ...args], { cwd });
  }

  const folders: Array<[string, Record<string, string>]> = IS_DENO
    ? [["deno run -A cli.ts", {}]]
    : [["npm start (CommonJS: no package.json)", {}], ["npm start (an ES module package)", { "package.json": `{ "type": "module" }` }]];
  for (const [how, extra] of folders) {
    test(`the same file under ${how}`, async () => {
      const dir = pluginFolder(extra);
      const port = await freePort();
      const node = startFromSource(["app.ts", "-a", `127.0.0.1:${port}`, "-d", "data", "-l", "warn"], dir);
      await unlessExited(node, waitForPong(port), how);
      await withRedis({ port, maxRetriesPerRequest: 0 }, async (redis) => {
        assert.equal(await firstWrite(redis, "DOUBLE"), 2);
        assert.equal(await ask(redis, "PEEK"), 2);
        assert.equal(await ask(redis, "VERSION"), "doubler version 1.2.3");
      });
      signalProcess(node.pid, "SIGTERM");
      assert.equal(await node.exited, 0, node.stderr());
    });
  }
});

/**
 * Application modules loaded from files, by cli.ts on this runtime and by
 * the single executable: good plugins (relative imports, runtime imports
 * of mod.ts, several modules merged) and each kind of bad plugin.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, freePort, makeTempDir, REPO_ROOT, spawnCli, spawnProcess, unlessExited, waitForPort } from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { untilAccepted } from "../helpers/until_accepted.ts";
import { replyToJs } from "../../server/resp_reply_parser.ts";
import { ensureExecutable } from "../helpers/executable.ts";

const MOD = JSON.stringify(join(REPO_ROOT, "mod.ts"));

const PLUGINS: Record<string, string> = {
  "counter.ts": `
    import type { App } from ${MOD};
    import { resp } from ${MOD};
    import { step } from "./step.ts";
    interface Data { n: number }
    export default {
      name: "counter",
      initialData: (): Data => ({ n: 0 }),
      jsonSnapshots: true,
      commands: {
        incr: { kind: "write", run: (m) => resp.int((m.data.n += step)) },
        peek: { kind: "read", run: (m) => resp.int(m.data.n) },
      },
    } satisfies App<Data>;`,
  "step.ts": `export const step: number = 5;`,
  "extra.ts": `
    export default {
      name: "extra",
      initialData: () => ({}),
      jsonSnapshots: true,
      commands: { greet: { kind: "intermediate", run: (_c: unknown, args: readonly string[]) => "hello " + (args[1] ?? "") } },
    };`,
  "clash.ts": `
    export default {
      name: "clash",
      initialData: () => ({}),
      jsonSnapshots: true,
      commands: { INCR: { kind: "write", run: () => 0 } },
    };`,
  "syntax.ts": `export default {\n  name: "bad",\n  commands: { a: { kind: "write", run: () => 1 + } },\n};\n`,
  "no_default.ts": `export const app = { name: "x" };`,
  "not_app.ts": `export default 42;`,
  "bad_kind.ts": `export default { name: "x", initialData: () => ({}), jsonSnapshots: true, commands: { a: { kind: "sometimes", run: () => 1 } } };`,
  "bad_run.ts": `export default { name: "x", initialData: () => ({}), jsonSnapshots: true, commands: { a: { kind: "read", run: "nope" } } };`,
};

const BAD: Array<[string, string[], RegExp]> = [
  ["a missing file", ["missing.ts"], /cannot load .*missing\.ts/],
  ["a syntax error, at its line and column", ["syntax.ts"], /syntax\.ts:3:50: /],
  ["no default export", ["no_default.ts"], /no_default\.ts: its default export is not an App object/],
  ["a default export that is not an App", ["not_app.ts"], /not_app\.ts: its default export is not an App object/],
  ["an unknown command kind", ["bad_kind.ts"], /bad_kind\.ts: command 'a' has unknown kind 'sometimes'/],
  ["a handler that is not a function", ["bad_run.ts"], /bad_run\.ts: command 'a': run is not a function/],
  ["a command defined twice", ["counter.ts", "clash.ts"], /command 'incr' is defined in both .*counter\.ts and .*clash\.ts/],
];

interface Runner {
  readonly name: string;
  run(args: string[], cwd: string): ReturnType<typeof spawnCli>;
}

function describeRunner(runner: () => Runner): void {
  let dir: string;
  before(() => {
    dir = makeTempDir("uhaha-plugins-");
    for (const [name, source] of Object.entries(PLUGINS)) writeFileSync(join(dir, name), source);
  });

  test("loads a plugin with a relative import and runtime imports of mod.ts, merged with a second module", async () => {
    const port = await freePort();
    const node = runner().run([join(dir, "counter.ts"), join(dir, "extra.ts"), "-a", `127.0.0.1:${port}`, "-d", join(dir, "data")], dir);
    await unlessExited(node, waitForPort(port), runner().name);
    const client = await RawClient.connect(port);
    const first = await untilAccepted(() => client.call("INCR"), { what: "INCR", timeoutMs: 30_000 }); // until started and ticked
    client.send("INCR");
    client.send("PEEK");
    client.send("GREET", "world");
    client.send("VERSION");
    const replies = [first, ...await client.read(4)].map(replyToJs);
    assert.deepEqual(replies, [5n, 10n, 10n, "hello world", "counter version 0.0.0"]);
    client.close();
    await node.kill("SIGTERM");
  });

  for (const [what, files, message] of BAD) {
    test(`refuses ${what}`, async () => {
      const node = runner().run([...files.map((f) => join(dir, f)), "-d", join(dir, "data")], dir);
      const code = await node.exited;
      assert.notEqual(code, 0);
      assert.match(node.stderr(), message);
    });
  }
}

describe("plugins under cli.ts on this runtime", () => {
  after(() => cleanup());
  describeRunner(() => ({ name: "cli.ts", run: (args, cwd) => spawnCli(args, { cwd }) }));
});

describe("plugins in the single executable (no node on PATH)", () => {
  let executable: string;
  before(() => (executable = ensureExecutable()));
  after(() => cleanup());
  describeRunner(() => ({
    name: "dist/uhaha",
    run: (args, cwd) => spawnProcess(executable, args, { cwd, env: { PATH: join(cwd, "no-bin") } }),
  }));
});

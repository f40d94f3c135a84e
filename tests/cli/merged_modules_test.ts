/**
 * Several modules make one app (`uhaha a.ts b.ts`), completely: each keeps
 * its own part of the data (JSON snapshots for one, its own format for the
 * other), its tick, its connection context, connClosed and responseFilter;
 * a snapshot and a restart bring both parts back, a module added later
 * starts from its initialData, and one module alone on that data is refused
 * by name. The snapshot container round-trips.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Redis } from "ioredis";
import { cleanup, exitWithin, freePort, makeTempDir, REPO_ROOT, signalProcess, spawnCli, type Spawned, startCliNode, waitFor } from "../helpers/process.ts";
import { ask, askPort, firstWrite, pairs, withRedis } from "../helpers/resp.ts";
import { decodeParts, encodeParts } from "../../cli/merge_apps.ts";

const MOD = JSON.stringify(join(REPO_ROOT, "mod.ts"));

const ALPHA = (events: string) => `
import { appendFileSync } from "node:fs";
import { type App, resp } from ${MOD};
export default {
  name: "alpha",
  initialData: () => ({ count: 0, ticks: 0 }),
  jsonSnapshots: true,
  tick: (m) => void m.data.ticks++,
  commands: {
    aincr: { kind: "write", arity: 1, run: (m) => resp.int(++m.data.count) },
    adata: { kind: "read", arity: 1, run: (m) => JSON.stringify(m.data) },
    actx: { kind: "intermediate", arity: 1, run: (c) => JSON.stringify(c.context) },
  },
  connOpened: () => ({ context: { who: "alpha" } }),
  connClosed: (conn) => appendFileSync(${JSON.stringify(events)}, "alpha closed " + JSON.stringify(conn.context) + "\\n"),
} satisfies App<{ count: number; ticks: number }>;
`;

const BETA = `
import { type App, resp } from ${MOD};
export default {
  name: "beta",
  initialData: () => ({ items: [] as string[] }),
  // Its own format: the items joined by newlines.
  snapshot: (data) => new TextEncoder().encode(data.items.join("\\n")),
  restore: (bytes) => ({ items: new TextDecoder().decode(bytes).split("\\n").filter((item) => item !== "") }),
  commands: {
    bpush: { kind: "write", arity: 2, run: (m, args) => resp.int(m.data.items.push(args[1])) },
    bdata: { kind: "read", arity: 1, run: (m) => JSON.stringify(m.data) },
    bctx: { kind: "intermediate", arity: 1, run: (c) => JSON.stringify(c.context) },
  },
  connOpened: () => ({ context: { who: "beta" } }),
  responseFilter: (args, reply, conn) =>
    args[0].toLowerCase() === "bdata" && typeof reply === "string" ? reply + " via " + (conn.context as { who: string }).who : reply,
} satisfies App<{ items: string[] }>;
`;

const GAMMA = `
export default {
  name: "gamma",
  initialData: () => ({ hello: "new" }),
  jsonSnapshots: true,
  commands: { gdata: { kind: "read", run: (m: { data: unknown }) => JSON.stringify(m.data) } },
};
`;

describe("two stateful modules as one app", { timeout: 120_000 }, () => {
  let dir: string;
  let events: string;
  let node: Spawned;
  let port: number;
  const start = async (modules: string[]) => ({ node, port } = await startCliNode([...modules.map((m) => join(dir, m)), "-d", join(dir, "data"), "-l", "warn"]));
  const stop = async () => {
    signalProcess(node.pid, "SIGTERM");
    assert.equal(await node.exited, 0, node.stderr());
  };

  before(async () => {
    dir = makeTempDir("uhaha-merged-");
    events = join(dir, "events.log");
    writeFileSync(events, "");
    writeFileSync(join(dir, "alpha.ts"), ALPHA(events));
    writeFileSync(join(dir, "beta.ts"), BETA);
    writeFileSync(join(dir, "gamma.ts"), GAMMA);
    await start(["alpha.ts", "beta.ts"]);
  });
  after(() => cleanup());

  test("each module's commands, tick and hooks see only its own part", async () => {
    await withRedis({ port, maxRetriesPerRequest: 0 }, async (redis: Redis) => {
      assert.equal(await firstWrite(redis, "AINCR"), 1);
      assert.equal(await ask(redis, "AINCR"), 2);
      assert.equal(await ask(redis, "BPUSH", "x"), 1);
      assert.equal(await ask(redis, "BPUSH", "y"), 2);
      assert.deepEqual(Object.keys(JSON.parse(String(await ask(redis, "ADATA")))), ["count", "ticks"]);
      assert.equal(JSON.parse(String(await ask(redis, "ADATA"))).count, 2);
      assert.equal(await ask(redis, "BDATA"), `{"items":["x","y"]} via beta`, "beta's responseFilter, with beta's context");
      assert.equal(await ask(redis, "ACTX"), `{"who":"alpha"}`);
      assert.equal(await ask(redis, "BCTX"), `{"who":"beta"}`);
      assert.equal(await ask(redis, "VERSION"), "alpha version 0.0.0", "the first module's name and version");
    });
    await waitFor("alpha's connClosed with alpha's context", () => readFileSync(events, "utf8").includes(`alpha closed {"who":"alpha"}`));
  });

  test("a snapshot and a restart bring both parts back; a module added later starts from its initialData", async () => {
    assert.match(pairs(await askPort(port, "RAFT", "SNAPSHOT", "NOW")).id, /^\d+-\d+-\d+$/);
    assert.equal(await askPort(port, "AINCR"), 3, "one more after the snapshot, from the log");
    const ticks = JSON.parse(String(await askPort(port, "ADATA"))).ticks;
    assert.ok(ticks > 0, "alpha's tick ran");
    await stop();
    await start(["alpha.ts", "beta.ts", "gamma.ts"]);
    await withRedis({ port, maxRetriesPerRequest: 0 }, async (redis: Redis) => {
      assert.equal(await firstWrite(redis, "AINCR"), 4);
      assert.ok(JSON.parse(String(await ask(redis, "ADATA"))).ticks >= ticks);
      assert.equal(await ask(redis, "BDATA"), `{"items":["x","y"]} via beta`);
      assert.equal(await ask(redis, "GDATA"), `{"hello":"new"}`);
    });
    assert.match(pairs(await askPort(port, "RAFT", "SNAPSHOT", "NOW")).id, /^\d+-\d+-\d+$/);
    await stop();
  });

  test("one of the modules alone on that data directory is refused, naming the modules to load", async () => {
    const alone = spawnCli([join(dir, "alpha.ts"), "-a", `127.0.0.1:${await freePort()}`, "-d", join(dir, "data"), "-l", "warn"]);
    assert.equal(await exitWithin(alone, 30_000, "alpha alone"), 1, alone.stderr());
    assert.match(alone.stderr(), /the snapshot holds several modules \(alpha, beta, gamma\): start the node with all of them/);
  });

});

test("the several-module snapshot container round-trips, and refuses other bytes", () => {
  const parts: Array<[string, Uint8Array]> = [["a", new Uint8Array([1, 2, 10, 3])], ["b", new Uint8Array()], ["c", new TextEncoder().encode("x\ny")]];
  const decoded = decodeParts(encodeParts(parts));
  assert.deepEqual([...decoded].map(([name, bytes]) => [name, [...bytes]]), parts.map(([name, bytes]) => [name, [...bytes]]));
  assert.throws(() => decodeParts(new TextEncoder().encode('{"count":1}')), /not a several-module snapshot/);
});

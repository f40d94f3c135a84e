/**
 * App hooks on a real node: connOpened (accept with a context, refuse),
 * connClosed, responseFilter, stateChange, the catch-all command, and the
 * intermediate powers (rewrite into a write, take over the connection).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, makeTempDir, REPO_ROOT, startCliNode, waitFor } from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { untilAccepted } from "../helpers/until_accepted.ts";
import { replyToJs } from "../../server/resp_reply_parser.ts";

const APP = (events: string) => `
import { appendFileSync } from "node:fs";
import { type App, resp } from ${JSON.stringify(join(REPO_ROOT, "mod.ts"))};
let connections = 0;
let refuseNext = false;
const note = (line: string) => appendFileSync(${JSON.stringify(events)}, line + "\\n");
export default {
  name: "hooks",
  initialData: () => ({ value: "" }),
  jsonSnapshots: true,
  commands: {
    set: { kind: "write", run: (m, args) => { m.data.value = args[1]; return resp.ok; } },
    get: { kind: "read", run: (m) => m.data.value },
    whoami: { kind: "intermediate", run: (c) => JSON.stringify(c.context) },
    shout: { kind: "intermediate", run: (_c, args) => args[1] },
    setlater: { kind: "intermediate", run: async (c, args) => c.rewrite(["SET", args[1] + "!"]) },
    watch: {
      kind: "intermediate",
      run: (c) => {
        const stream = c.takeOver();
        c.observeCommands((event) => stream.push(resp.simple(event.args.map((a) => new TextDecoder().decode(a)).join(" "))));
        return resp.ok;
      },
    },
    refusenext: { kind: "intermediate", run: () => { refuseNext = true; return resp.ok; } },
    "*": { kind: "intermediate", run: (_c, args) => "caught " + args[0] },
  },
  connOpened: () => {
    if (refuseNext) return (refuseNext = false);
    return { context: { n: ++connections } };
  },
  connClosed: (conn) => note("closed " + JSON.stringify(conn.context)),
  responseFilter: (args, reply) => (args[0].toLowerCase() === "shout" && typeof reply === "string" ? reply.toUpperCase() : reply),
  stateChange: (state) => note("state " + state),
} satisfies App<{ value: string }>;
`;

async function command(client: RawClient, ...args: string[]): Promise<unknown> {
  return replyToJs(await client.call(...args));
}

describe("app hooks", () => {
  let port: number;
  let events: string;
  before(async () => {
    const dir = makeTempDir("uhaha-hooks-");
    events = join(dir, "events.log");
    writeFileSync(events, "");
    writeFileSync(join(dir, "hooks.ts"), APP(events));
    ({ port } = await startCliNode([join(dir, "hooks.ts"), "-d", join(dir, "data")]));
  });
  after(() => cleanup());

  test("stateChange reports leadership", async () => {
    await waitFor("state leader", () => readFileSync(events, "utf8").includes("state leader"));
  });

  test("connOpened gives each connection a context, or refuses it", async () => {
    const first = await RawClient.connect(port);
    const second = await RawClient.connect(port);
    const n = JSON.parse(String(await command(first, "WHOAMI"))).n;
    assert.equal(await command(second, "WHOAMI"), JSON.stringify({ n: n + 1 }));
    assert.equal(await command(second, "REFUSENEXT"), "OK");
    // The node meets a client at its first bytes (it tells clients from peers by them).
    const third = await RawClient.connect(port);
    third.send("PING");
    await third.waitClosed();
    assert.deepEqual(await third.read(), []);
    first.close();
    await waitFor("connClosed", () => readFileSync(events, "utf8").includes(`closed {"n":${n}}`));
    second.close();
  });

  test("responseFilter, catch-all, and a rewrite into a write through the log", async () => {
    const client = await RawClient.connect(port);
    assert.equal(await command(client, "SHOUT", "quiet"), "QUIET");
    assert.equal(await command(client, "NOSUCH"), "caught NOSUCH");
    assert.equal(await untilAccepted(() => command(client, "SETLATER", "v")), "OK");
    assert.equal(await command(client, "GET"), "v!");
    client.close();
    // Another node's leader proxy: the forwarding node filters, so this one does not.
    const proxy = await RawClient.connect(port);
    assert.equal(await command(proxy, "PROXYHOP"), "OK");
    assert.equal(await command(proxy, "SHOUT", "quiet"), "quiet");
    proxy.close();
  });

  test("a connection taken over receives every command of other clients", async () => {
    const watcher = await RawClient.connect(port);
    assert.equal(await command(watcher, "WATCH"), "OK");
    const other = await RawClient.connect(port);
    await command(other, "GET");
    await command(other, "SHOUT", "x");
    const pushed = (await watcher.read(2)).map(replyToJs);
    assert.deepEqual(pushed, ["GET", "SHOUT x"]);
    other.close();
    watcher.close();
  });
});

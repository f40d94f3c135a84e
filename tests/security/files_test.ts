/**
 * A node's files are its owner's alone: every directory it creates is 0700
 * and every file 0600 (log segments, stable state, snapshots, the lock);
 * modes an older version left open are tightened at start, with a warning.
 * Snapshots read back over RAFT SNAPSHOT FILE/READ need AUTH first.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { isLoopbackHost } from "../../api/host_port.ts";
import type { Reply } from "../../server/resp_reply_parser.ts";
import { cleanup, exitWithin, makeTempDir, signalProcess, type Spawned, startCliNode, waitFor } from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";

const SECRET = "files-Secret-7";

/** Every path under `root` (itself included) with its permission bits. */
function modes(root: string): Array<{ path: string; dir: boolean; mode: number }> {
  const out: Array<{ path: string; dir: boolean; mode: number }> = [];
  const visit = (path: string) => {
    const stat = lstatSync(path);
    out.push({ path, dir: stat.isDirectory(), mode: stat.mode & 0o777 });
    if (stat.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return out;
}

function assertOwnerOnly(root: string): number {
  const entries = modes(root);
  for (const { path, dir, mode } of entries) {
    assert.equal(mode.toString(8), (dir ? 0o700 : 0o600).toString(8), `${path} (${dir ? "directory" : "file"})`);
  }
  return entries.length;
}

/** The text of `name`'s value in a flat key/value array reply. */
function field(reply: Reply, name: string): string {
  assert.equal(reply.type, "array");
  const items = (reply as Extract<Reply, { type: "array" }>).items ?? [];
  const texts = items.map((item) => item.type === "bulk" ? new TextDecoder().decode(item.value ?? new Uint8Array()) : "");
  const at = texts.indexOf(name);
  assert.ok(at >= 0 && at % 2 === 0, `no ${name} in ${texts.join(" ")}`);
  return texts[at + 1];
}

function errorOf(reply: Reply): string {
  return reply.type === "error" ? reply.text : `not an error: ${reply.type}`;
}

describe("data directory files", () => {
  let dataDir: string;
  let node: Spawned;
  let port: number;
  let client: RawClient;
  const start = async () => {
    ({ node, port } = await startCliNode(["-d", dataDir, "--auth", SECRET, "--localtime"]));
    client = await RawClient.connect(port);
  };
  const stop = async () => {
    client.close();
    signalProcess(node.pid, "SIGTERM");
    assert.equal(await exitWithin(node, 20_000, "the node"), 0);
  };

  before(async () => {
    // A data directory that does not exist yet: the node creates it and its parent-less path.
    dataDir = join(makeTempDir("uhaha-files-"), "fresh", "data");
    await start();
  });
  after(async () => {
    client?.close();
    await cleanup();
  });

  test("RAFT SNAPSHOT FILE and READ answer NOAUTH before AUTH", async () => {
    for (const args of [["RAFT", "SNAPSHOT", "LIST"], ["RAFT", "SNAPSHOT", "FILE", "x"], ["RAFT", "SNAPSHOT", "READ", "x"], ["RAFT", "SNAPSHOT", "NOW"]]) {
      assert.match(errorOf(await client.call(...args)), /^NOAUTH Authentication required/, args.join(" "));
    }
  });

  test("a fresh data directory, with writes and a snapshot, is owner-only throughout", async () => {
    assert.equal((await client.call("AUTH", SECRET)).type, "simple");
    await waitFor("a write", async () => (await client.call("SET", "k", "v")).type === "simple", 20_000);
    for (let i = 0; i < 20; i++) await client.call("SET", `key${i}`, "x".repeat(100));
    const now = await client.call("RAFT", "SNAPSHOT", "NOW");
    assert.notEqual(now.type, "error", JSON.stringify(now));
    const list = await client.call("RAFT", "SNAPSHOT", "LIST");
    assert.ok(list.type === "array" && list.items !== null && list.items.length > 0, JSON.stringify(list));
    // The snapshot's file, as RAFT SNAPSHOT FILE names it, and its bytes over READ.
    const snapshotId = field(list.items[0], "id");
    const file = await client.call("RAFT", "SNAPSHOT", "FILE", snapshotId);
    assert.equal(file.type, "bulk");
    const filePath = new TextDecoder().decode((file as Extract<Reply, { type: "bulk" }>).value!);
    assert.equal((lstatSync(filePath).mode & 0o777).toString(8), "600");
    const read = await client.call("RAFT", "SNAPSHOT", "READ", snapshotId);
    assert.equal(read.type, "bulk");
    assert.equal((read as Extract<Reply, { type: "bulk" }>).value!.byteLength, lstatSync(filePath).size);

    const checked = assertOwnerOnly(join(dataDir, ".."));
    assert.ok(checked >= 8, `only ${checked} paths`);
    assert.ok(modes(dataDir).some((entry) => entry.path.endsWith("lock")), "the lock file was checked");
    assert.ok(modes(dataDir).some((entry) => entry.path.endsWith(".seg")), "a log segment was checked");
  });

  test("modes an older version left open are tightened at start, with a warning", async () => {
    await stop();
    const nodeDir = join(dataDir, "kvdb", "1");
    const opened = modes(nodeDir);
    for (const { path, dir } of opened) chmodSync(path, dir ? 0o755 : 0o644);
    await start();
    assert.match(node.stderr(), new RegExp(`${nodeDir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: made ${opened.length} file\\(s\\)/director\\(ies\\) owner-only`));
    assertOwnerOnly(dataDir);
  });

  test("loopback hosts (no warning without --auth) and the others (a warning)", () => {
    for (const host of ["127.0.0.1", "127.0.0.2", "localhost", "::1"]) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ["", "0.0.0.0", "10.0.0.1", "::", "example.com", "127.0.0.1.example.com"]) assert.equal(isLoopbackHost(host), false, host);
  });
});

/**
 * The limits that keep a node alive, against real node processes: too many
 * clients (and Raft peers, which are never counted), a client that never
 * reads its replies, an unauthenticated client that idles, and a flood of
 * writes beyond the write queue.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { startCluster, stopNode } from "../helpers/cluster.ts";
import { cleanup, residentKiB, startCliNode, waitFor } from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { errorReplyText, untilAccepted } from "../helpers/until_accepted.ts";
import { type Reply, replyToJs } from "../../server/resp_reply_parser.ts";

const CLIENTS = 2000;
const MAX_CLIENTS = CLIENTS / 2;

/** The soft limit on open files of this process (its children inherit it). */
function openFileLimit(): number {
  const out = spawnSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).stdout.trim();
  return out === "unlimited" ? Infinity : Number(out);
}

function text(reply: Reply | undefined): unknown {
  return reply === undefined ? undefined : replyToJs(reply);
}

function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}

describe("limits", () => {
  after(() => cleanup());

  test(`${CLIENTS} clients at once with --max-clients ${MAX_CLIENTS}: the excess get the error and are closed, the rest are served`, async () => {
    const needed = CLIENTS + 200;
    assert.ok(openFileLimit() >= needed, `this test needs ${needed} open files (ulimit -n is ${openFileLimit()}; .ci/run raises it)`);
    const { node, port } = await startCliNode(["-l", "warn", "--localtime", "--max-clients", String(MAX_CLIENTS)]);
    const beforeKiB = await residentKiB(node.pid);
    // One client of the limit held from before, once the start-up probes are gone: the count is then exact.
    const early = await RawClient.connect(port);
    await waitFor("the node to count only this client", async () => {
      const info = text(await early.call("INFO", "clients"));
      return typeof info === "string" && info.includes("connected_clients:1\r\n");
    });
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => RawClient.connect(port)));
    // Every socket is open before any is classified: the node counts clients from their first bytes.
    for (const client of clients) client.send("PING");
    const first = await Promise.all(clients.map((client) => client.read(1, 60_000)));
    const served = clients.filter((_, i) => text(first[i][0]) === "PONG");
    const refused = clients.filter((_, i) => errorReplyText(text(first[i][0])) === "ERR max number of clients reached");
    assert.equal(served.length, MAX_CLIENTS - 1, "as many served as the limit (with the one from before)");
    assert.equal(refused.length, CLIENTS - MAX_CLIENTS + 1, "every other client refused with Redis's message");
    await Promise.all(refused.map((client) => client.waitClosed(10_000)));
    // The first ones still work, all at once.
    served.push(early);
    for (const client of served) client.send("ECHO", "still here");
    const again = await Promise.all(served.map((client) => client.read(1, 60_000)));
    assert.ok(again.every(([reply]) => text(reply) === "still here"));
    const peakKiB = await residentKiB(node.pid);
    for (const client of served) client.close();
    // Room again once they are gone.
    await waitFor("a new client to be served", async () => {
      const client = await RawClient.connect(port);
      const reply = await client.call("PING").catch(() => undefined);
      client.close();
      return text(reply) === "PONG";
    });
    console.log(`max-clients: node RSS ${mib(beforeKiB)} before, ${mib(peakKiB)} with ${CLIENTS} connections`);
  });

  test("Raft peers are not counted as clients: with every node full of clients, a restarted follower reconnects and acknowledges writes", async () => {
    const limit = 4;
    const cluster = await startCluster("kvdb", 3, ["--localtime", "--openreads", "-l", "warn", "--max-clients", String(limit)]);
    const leader = await cluster.leader();
    const [follower, other] = cluster.nodes.filter((node) => node !== leader);
    const held = new Map<number, RawClient[]>();
    for (const node of cluster.nodes) {
      const clients = await Promise.all(Array.from({ length: limit }, () => RawClient.connect(node.port)));
      const pongs = await Promise.all(clients.map((client) => client.call("PING").catch(() => undefined)));
      // The start-up probes may still be closing: keep those that were served, top up to the limit.
      held.set(node.id, clients.filter((_, i) => text(pongs[i]) === "PONG"));
      await waitFor(`node ${node.id} to be full`, async () => {
        const client = await RawClient.connect(node.port);
        const reply = text(await client.call("PING").catch(() => undefined));
        if (reply === "PONG") held.get(node.id)!.push(client);
        else client.close();
        return errorReplyText(reply) === "ERR max number of clients reached";
      });
    }
    await stopNode(follower);
    await cluster.restart(follower);
    // Now a write commits only with the restarted follower's acknowledgement, which it
    // sends on the connection it dialed to the leader, a node full of clients.
    await stopNode(other);
    const writer = held.get(leader.id)![0];
    assert.equal(text(await untilAccepted(() => writer.call("SET", "after-restart", "yes"))), "OK");
    await waitFor("the restarted follower to have the write", async () => {
      const client = await RawClient.connect(follower.port);
      const reply = text(await client.call("GET", "after-restart").catch(() => undefined));
      client.close();
      return reply === "yes";
    });
    for (const clients of held.values()) clients.forEach((client) => client.close());
  });

  test("a client that never reads while asking for 64 MB of replies is disconnected, and the node's memory stays bounded", async () => {
    const { node, port } = await startCliNode(["-l", "warn", "--localtime"]);
    const setter = await RawClient.connect(port);
    const value = new Uint8Array(1024 * 1024).fill(0x61);
    assert.equal(text(await untilAccepted(() => setter.call("SET", "big", value))), "OK");
    setter.close();
    const beforeKiB = await residentKiB(node.pid);
    const reader = await RawClient.connect(port);
    reader.pauseReading();
    // In one write, so they arrive together: GETs that arrived later would stay unread, as the
    // node stops reading a client whose replies back up (back-pressure), and need no limit.
    reader.write("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".repeat(64));
    let peakKiB = beforeKiB;
    // The client reads nothing, so the node's log says when it gave up on it.
    const disconnected = /disconnected: \d+ reply bytes unsent, more than the limit of 33554432 \(--max-reply-buffer\)/;
    await waitFor("the node to disconnect the client", async () => {
      peakKiB = Math.max(peakKiB, await residentKiB(node.pid));
      return disconnected.test(node.stderr());
    }, 30_000);
    const afterKiB = await residentKiB(node.pid);
    console.log(`max-reply-buffer: node RSS ${mib(beforeKiB)} before, peak ${mib(peakKiB)}, ${mib(afterKiB)} after`);
    // What the kernel had taken before the cut arrives; then the connection ends, short of 64 replies.
    reader.resumeReading();
    await reader.waitClosed(30_000);
    assert.ok((await reader.read(64, 1_000)).length < 64, "the client did not get all 64 replies");
    assert.ok(peakKiB - beforeKiB < 160 * 1024, `RSS grew by ${mib(peakKiB - beforeKiB)} for one client`);
    // Everyone else is served as before.
    const other = await RawClient.connect(port);
    assert.equal(((await other.call("GET", "big")) as { value?: Uint8Array }).value?.length, value.length);
    other.close();
  });

  test("with --auth, a client that does not authenticate within --auth-timeout is closed; one that does stays", async () => {
    const { port } = await startCliNode(["-l", "warn", "--localtime", "--auth", "s3cret", "--auth-timeout", "1.5"]);
    const silent = await RawClient.connect(port);
    const chatty = await RawClient.connect(port);
    assert.match(errorReplyText(text(await chatty.call("PING"))) ?? "", /^NOAUTH/);
    const authed = await RawClient.connect(port);
    assert.equal(text(await authed.call("AUTH", "s3cret")), "OK");
    const started = Date.now();
    await silent.waitClosed(10_000);
    const [timeoutReply] = await chatty.read(1, 10_000);
    assert.match(errorReplyText(text(timeoutReply)) ?? "", /^ERR authentication timeout/);
    await chatty.waitClosed(10_000);
    assert.ok(Date.now() - started < 5_000);
    // Well past the timeout, the authenticated client is still served.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(text(await authed.call("PING")), "PONG");
    authed.close();
  });

  test("a flood beyond --max-queued-writes gets -BUSY at once, nothing else is lost, and the node recovers", async () => {
    const { port } = await startCliNode(["-l", "warn", "--localtime", "--max-queued-writes", "100"]);
    const warmup = await RawClient.connect(port);
    assert.equal(text(await untilAccepted(() => warmup.call("SET", "warm", "1"))), "OK");
    const writers = await Promise.all(Array.from({ length: 10 }, () => RawClient.connect(port)));
    const perWriter = 500;
    writers.forEach((client, w) => {
      for (let i = 0; i < perWriter; i++) client.send("SET", `k${w}:${i}`, `v${w}:${i}`);
    });
    const replies = await Promise.all(writers.map((client) => client.read(perWriter, 60_000)));
    const applied: string[] = [];
    let busy = 0;
    replies.forEach((batch, w) => {
      batch.forEach((reply, i) => {
        const value = text(reply);
        if (value === "OK") applied.push(`k${w}:${i}`);
        else {
          assert.match(errorReplyText(value) ?? String(value), /^BUSY \d+ writes are waiting for the log/);
          busy++;
        }
      });
    });
    console.log(`max-queued-writes: ${applied.length} writes applied, ${busy} refused with BUSY`);
    assert.ok(busy > 0, "the flood met the limit");
    assert.ok(applied.length >= 100, "writes within the limit went through");
    // What was acknowledged is there; what was refused is not.
    const checker = writers[0];
    for (const key of applied) checker.send("GET", key);
    const values = (await checker.read(applied.length, 60_000)).map(text);
    assert.deepEqual(values, applied.map((key) => `v${key.slice(1)}`));
    // Recovered: a lone write is accepted.
    assert.equal(text(await warmup.call("SET", "after", "1")), "OK");
    for (const client of [warmup, ...writers]) client.close();
  });
});

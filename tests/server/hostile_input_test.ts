/**
 * Hostile clients against a real node process: after each attack the node
 * still answers a fresh client and its memory stays bounded.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { cleanup, residentKiB, type Spawned, startCliNode, waitFor } from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { errorText } from "../helpers/resp.ts";
import { replyToJs } from "../../server/resp_reply_parser.ts";

/** Fresh client, PING, PONG: the node is alive and serving. */
async function assertServing(port: number): Promise<void> {
  const client = await RawClient.connect(port);
  client.send("PING");
  assert.deepEqual((await client.read()).map(replyToJs), ["PONG"]);
  client.close();
}

describe("hostile input", () => {
  let node: Spawned;
  let port: number;
  let baselineKiB: number;
  before(async () => {
    ({ node, port } = await startCliNode(["-l", "warn"]));
    await assertServing(port);
    baselineKiB = await residentKiB(node.pid);
  });
  after(() => cleanup());

  test("a $2147483648 bulk header is a protocol error and closes that connection", async () => {
    const client = await RawClient.connect(port);
    client.write("*1\r\n$2147483648\r\n");
    const [reply] = await client.read();
    assert.equal(errorText(replyToJs(reply)), "ERR Protocol error: invalid bulk length");
    await client.waitClosed();
    await assertServing(port);
  });

  test("malformed headers: *abc, $-5, missing CRLF", async () => {
    for (const bytes of ["*abc\r\n", "*1\r\n$-5\r\n", "*1\r\n$3\r\nabcXY"]) {
      const client = await RawClient.connect(port);
      client.write(bytes);
      const [reply] = await client.read();
      assert.match(errorText(replyToJs(reply)), /^ERR Protocol error: /, JSON.stringify(bytes));
      await client.waitClosed();
    }
    await assertServing(port);
  });

  test("commands before a protocol error in the same chunk are answered first", async () => {
    const client = await RawClient.connect(port);
    client.write("PING\r\n*1\r\n$2\r\nhi\r\n*x\r\n");
    const replies = (await client.read(3)).map(replyToJs);
    assert.equal(replies[0], "PONG");
    assert.match(errorText(replies[1]), /unknown command 'hi'/);
    assert.match(errorText(replies[2]), /Protocol error: invalid multibulk length/);
    await client.waitClosed();
  });

  test("random bytes never stop the node", async () => {
    const blobs = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 2048 }), { seed: 42, numRuns: 60 });
    await Promise.all(blobs.map(async (blob) => {
      const client = await RawClient.connect(port);
      client.write(blob);
      client.close();
    }));
    await assertServing(port);
  });

  test("a half command that stalls does not block other clients", async () => {
    const stalled = await RawClient.connect(port);
    stalled.write("*2\r\n$4\r\nECHO\r\n$100\r\nonly-part-of-it");
    await assertServing(port);
    stalled.write("x".repeat(100 - "only-part-of-it".length) + "\r\n");
    const [reply] = await stalled.read();
    assert.equal(replyToJs(reply), "only-part-of-it" + "x".repeat(85));
    stalled.close();
  });

  test("1,000 concurrent connections each pipelining 100 PINGs", async () => {
    const pings = "PING\r\n".repeat(50) + "*1\r\n$4\r\nPING\r\n".repeat(50);
    const clients = await Promise.all(Array.from({ length: 1000 }, () => RawClient.connect(port)));
    for (const client of clients) client.write(pings);
    const replies = await Promise.all(clients.map((client) => client.read(100, 60_000)));
    for (const batch of replies) {
      assert.equal(batch.length, 100);
      assert.ok(batch.every((r) => r.type === "simple" && r.text === "PONG"));
    }
    for (const client of clients) client.close();
    await assertServing(port);
  });

  test("memory stays bounded after the hostile clients above", async () => {
    const nowKiB = await residentKiB(node.pid);
    // The node started at baselineKiB; 1,000 connections and a 2 GB bulk header
    // claim must not leave it holding more than a little per connection. (Run
    // before the 64 MB back-pressure test, whose legitimate traffic the
    // garbage collector may keep resident for a while.)
    assert.ok(nowKiB - baselineKiB < 150 * 1024, `RSS grew from ${baselineKiB} KiB to ${nowKiB} KiB`);
    assert.equal(node.child.exitCode, null, "the node exited");
  });

  test("a client that does not read its replies is not served faster than it reads", async () => {
    const client = await RawClient.connect(port);
    client.pauseReading();
    const megabyte = "m".repeat(1024 * 1024);
    const before = await residentKiB(node.pid);
    for (let i = 0; i < 64; i++) client.send("ECHO", megabyte);
    // With back-pressure the node stops reading once its socket buffer is full:
    // the client's unsent bytes stop shrinking while most of the 64 MB is unsent.
    let peak = before;
    let last = -1;
    let steadyPolls = 0;
    await waitFor("the client's unsent bytes to settle", async () => {
      peak = Math.max(peak, await residentKiB(node.pid));
      const unsent = client.unsentBytes();
      steadyPolls = unsent === last ? steadyPolls + 1 : 0;
      last = unsent;
      return steadyPolls >= 20;
    });
    assert.ok(last > 32 * 1024 * 1024, `the node read on although nobody read its replies (${last} bytes unsent)`);
    assert.ok(peak - before < 40 * 1024, `RSS grew by ${peak - before} KiB while the client did not read`);
    client.resumeReading();
    const replies = await client.read(64, 60_000);
    assert.equal(replies.length, 64);
    assert.ok(replies.every((r) => r.type === "bulk" && r.value!.length === megabyte.length));
    client.close();
  });

});

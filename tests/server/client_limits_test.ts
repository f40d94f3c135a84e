/**
 * The listener's client limits and connection ends, in process over real
 * sockets: every connection the server ends is really closed (counted no
 * more), clients beyond maxClients are refused, a client that leaves too many
 * reply bytes unread is cut, an unauthenticated one times out.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { RespServer, type ServeOptions } from "../../server/resp_server.ts";
import type { ReplyValue } from "../../api/reply.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { waitFor } from "../helpers/process.ts";
import { replyToJs } from "../../server/resp_reply_parser.ts";

const decoder = new TextDecoder();
const servers: RespServer[] = [];
after(() => Promise.all(servers.map((server) => server.close())));

/** PING, QUIT, BIG (1 MiB, after a turn, as reads answer) and AUTH x. */
const dispatch: ServeOptions["dispatch"] = (conn, args): ReplyValue | Promise<ReplyValue> => {
  const name = decoder.decode(args[0]).toUpperCase();
  if (name === "QUIT") {
    conn.closeAfterReplies();
    return "OK";
  }
  if (name === "BIG") return new Promise((resolve) => setImmediate(() => resolve(new Uint8Array(1024 * 1024))));
  if (name === "AUTH") {
    conn.authenticated = true;
    return "OK";
  }
  return conn.authenticated ? "PONG" : new Error("NOAUTH Authentication required.");
};

async function serve(options: Partial<ServeOptions> = {}): Promise<RespServer> {
  const server = await RespServer.listen({ address: { host: "127.0.0.1", port: 0 } });
  server.serve({ dispatch, open: true, ...options });
  servers.push(server);
  return server;
}

describe("client limits and connection ends", () => {
  test("connections the server ends are closed and no longer counted, whatever the client does", async () => {
    const server = await serve();
    // A protocol error, a QUIT, and the client's end of input; the clients themselves never close.
    const protocolError = await RawClient.connect(server.port);
    protocolError.write("*abc\r\n");
    const quit = await RawClient.connect(server.port);
    quit.send("QUIT");
    const halfClosed = net.connect({ host: "127.0.0.1", port: server.port }, () => halfClosed.end("PING\r\n"));
    halfClosed.on("data", () => {});
    await waitFor("three clients", () => server.connectionCount === 3 || server.connectionCount === 0);
    await waitFor("every connection closed by the server", () => server.connectionCount === 0, 5_000);
    assert.match(String(replyToJs((await protocolError.read())[0])), /Protocol error/);
    assert.equal(replyToJs((await quit.read())[0]), "OK");
    await protocolError.waitClosed(5_000);
    await quit.waitClosed(5_000);
  });

  test("beyond maxClients a client is told so and closed; the others are served", async () => {
    const server = await serve({ maxClients: 2 });
    const first = await RawClient.connect(server.port);
    const second = await RawClient.connect(server.port);
    assert.equal(replyToJs(await first.call("PING")), "PONG");
    assert.equal(replyToJs(await second.call("PING")), "PONG");
    const third = await RawClient.connect(server.port);
    const [refusal] = await third.read(1, 5_000);
    assert.equal((replyToJs(refusal) as Error).message, "ERR max number of clients reached");
    await third.waitClosed(5_000);
    assert.equal(server.connectionCount, 2);
    first.close();
    await waitFor("room again", () => server.connectionCount === 1);
    const fourth = await RawClient.connect(server.port);
    assert.equal(replyToJs(await fourth.call("PING")), "PONG");
    for (const client of [second, fourth]) client.close();
  });

  test("a client with more than maxReplyBufferBytes unsent when a reply is ready is cut, and the cut is reported", async () => {
    const reports: string[] = [];
    const server = await serve({ maxReplyBufferBytes: 4 * 1024 * 1024, onLimit: (_, message) => reports.push(message) });
    const idle = await RawClient.connect(server.port);
    idle.pauseReading();
    idle.write("BIG\r\n".repeat(16));
    await waitFor("the cut", () => reports.length > 0);
    assert.match(reports[0], /^disconnected: \d+ reply bytes unsent, more than the limit of 4194304 \(--max-reply-buffer\)/);
    await waitFor("the connection gone", () => server.connectionCount === 0);
    // Replies that complete together count together, read or not (as Redis's hard limit):
    // a client that reads is cut as well when one pipeline's replies exceed the limit…
    const pipeliner = await RawClient.connect(server.port);
    pipeliner.write("BIG\r\n".repeat(16));
    await pipeliner.waitClosed(5_000);
    // …and served in full below it, however many times it asks.
    const reader = await RawClient.connect(server.port);
    for (let round = 0; round < 5; round++) {
      reader.write("BIG\r\n".repeat(3));
      assert.equal((await reader.read(3)).length, 3);
    }
    reader.close();
  });

  test("without open, a connection that sends nothing or does not authenticate within authTimeoutMs is closed", async () => {
    const server = await serve({ open: false, authTimeoutMs: 1_000, sniff: () => false });
    const silent = await RawClient.connect(server.port);
    const unauthenticated = await RawClient.connect(server.port);
    assert.match(String((replyToJs(await unauthenticated.call("PING")) as Error).message), /^NOAUTH/);
    const authenticated = await RawClient.connect(server.port);
    assert.equal(replyToJs(await authenticated.call("AUTH", "x")), "OK");
    await silent.waitClosed(5_000);
    const [timeout] = await unauthenticated.read(1, 5_000);
    assert.match(String((replyToJs(timeout) as Error).message), /^ERR authentication timeout/);
    await unauthenticated.waitClosed(5_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(replyToJs(await authenticated.call("PING")), "PONG");
    authenticated.close();
  });
});

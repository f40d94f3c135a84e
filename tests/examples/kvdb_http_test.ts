/**
 * kvdb's HTTP service against a stand-in node (a plain TCP server and a
 * fake `api`): status codes for each kind of command reply — redirects
 * (MOVED and TRY), no leader (503), command errors (400) — plus methods,
 * large bodies and pipelined keep-alive requests. The real thing on a
 * cluster is in kvdb_test.ts.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import kvdb from "../../examples/kvdb.ts";
import type { ReplyValue, ServiceApi } from "../../mod.ts";
import { resp } from "../../mod.ts";
import { rawConnect } from "./raw_socket.ts";
import { closeAll, track } from "./support.ts";

describe("kvdb HTTP service (stand-in node)", () => {
  let server: net.Server;
  const sockets = new Set<net.Socket>();
  let base = "";
  const sent: Array<readonly (string | Uint8Array)[]> = [];
  let reply: (args: readonly (string | Uint8Array)[]) => ReplyValue = () => null;
  const api: ServiceApi = {
    send: (args) => {
      sent.push(args);
      return Promise.resolve(reply(args));
    },
    status: () => ({ state: "Follower", leader_id: "1", term: "3" }),
  };

  before(async () => {
    const service = kvdb.services[0];
    server = net.createServer((socket) => {
      sockets.add(socket);
      socket.once("data", (first: Uint8Array) => {
        socket.pause();
        assert.ok(service.sniff(first));
        service.serve(socket, first, api);
        socket.resume();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  after(async () => {
    closeAll();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  test("replies map to status codes", async () => {
    reply = () => new Error("MOVED 0 10.0.0.1:11001");
    let res = await fetch(`${base}/a%20b?x=1`, { redirect: "manual" });
    assert.equal(res.status, 307);
    assert.equal(res.headers.get("location"), "http://10.0.0.1:11001/a%20b?x=1");
    assert.equal(res.headers.get("x-uhaha-leader"), "10.0.0.1:11001");
    await res.arrayBuffer();
    assert.deepEqual(sent.pop(), ["GET", "a b"]);

    reply = () => new Error("TRY 10.0.0.2:11001");
    res = await fetch(`${base}/k`, { method: "PUT", body: "v", redirect: "manual" });
    assert.equal(res.status, 307);
    assert.equal(res.headers.get("x-uhaha-leader"), "10.0.0.2:11001");
    await res.arrayBuffer();

    reply = () => new Error("CLUSTERDOWN node is not the leader");
    res = await fetch(`${base}/k`);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    await res.arrayBuffer();

    reply = () => new Error("syntax error");
    res = await fetch(`${base}/k?ex=0`, { method: "PUT", body: "v" });
    assert.equal(res.status, 400);
    assert.equal(await res.text(), "syntax error\n");
    assert.deepEqual(sent.pop()!.map((arg) => typeof arg === "string" ? arg : new TextDecoder().decode(arg)), ["SET", "k", "v", "EX", "0"]);

    reply = (args) => (args[0] === "DEL" ? resp.int(0) : resp.ok);
    res = await fetch(`${base}/k`, { method: "DELETE" });
    assert.equal(res.status, 404);
    await res.arrayBuffer();
    reply = () => resp.int(1);
    res = await fetch(`${base}/k`, { method: "DELETE" });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });

  test("status, missing key, large bodies", async () => {
    let res = await fetch(`${base}/_status`);
    assert.deepEqual(await res.json(), { state: "Follower", leader_id: "1", term: "3" });
    res = await fetch(`${base}/_status`, { method: "PUT", body: "x" });
    assert.equal(res.status, 405);
    await res.arrayBuffer();
    res = await fetch(`${base}/`);
    assert.equal(res.status, 400);
    await res.arrayBuffer();

    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
    reply = () => resp.ok;
    res = await fetch(`${base}/big`, { method: "PUT", body: big });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    const stored = sent.pop()!;
    assert.deepEqual(stored[2], big);
    reply = () => big;
    res = await fetch(`${base}/big`);
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), big);
  });

  test("pipelined requests are answered in order; Connection: close closes", async () => {
    reply = (args) => `value of ${String(args[1])}`;
    const conn = track(await rawConnect(Number(new URL(base).port)));
    conn.send("GET /one HTTP/1.1\r\n\r\nGET /two HTTP/1.1\r\n\r\nGET /three HTTP/1.0\r\n\r\n");
    const match = await conn.expect(/value of one[^]*value of two[^]*Connection: close\r\n\r\nvalue of three$/);
    assert.ok(match);
    const bad = track(await rawConnect(Number(new URL(base).port)));
    bad.send("GET /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    await bad.expect(/^HTTP\/1\.1 501 Not Implemented\r\n/);
  });
});

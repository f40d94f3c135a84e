/** PeerTransport over real sockets on 127.0.0.1: delivery, order, batching, auth, failures. */
import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { freePort, waitFor } from "../helpers/process.ts";
import { connectAll, numbered, sequenceFrom, startNode, type TestNode, warmUp } from "./harness.ts";
import { encodePreamble } from "../../raft/transport/handshake.ts";
import { encodeFrame, FrameType } from "../../raft/transport/frames.ts";
import type { Message } from "../../raft/core/types.ts";

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe("PeerTransport", () => {
  const nodes: TestNode[] = [];
  const start = async (...args: Parameters<typeof startNode>) => {
    const node = await startNode(...args);
    nodes.push(node);
    return node;
  };
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()));
  });

  test("three nodes exchange many messages, batched, in order per peer", async () => {
    const [a, b, c] = [await start(1), await start(2), await start(3)];
    connectAll([a, b, c]);
    await warmUp([a, b, c], waitFor);
    const perPeer = 6000;
    for (let burst = 0; burst < perPeer / 200; burst++) {
      for (const from of [a, b, c]) {
        const out: Message[] = [];
        for (const to of [a, b, c]) {
          if (to !== from) for (const n of range(200, burst * 200)) out.push(numbered(from.id, to.id, n));
        }
        from.transport.send(out);
      }
      if (burst % 5 === 0) await new Promise((r) => setImmediate(r));
    }
    for (const to of [a, b, c]) {
      for (const from of [a, b, c]) {
        if (from === to) continue;
        await waitFor(`node ${to.id} to get ${perPeer} messages from node ${from.id}`, () => sequenceFrom(to, from.id).length >= perPeer);
        assert.deepEqual(sequenceFrom(to, from.id), range(perPeer));
      }
    }
    for (const node of [a, b, c]) {
      for (const [peer, s] of node.transport.stats().peers) {
        assert.equal(s.sent, perPeer + 1, `node ${node.id} → ${peer}`);
        assert.equal(s.dropped, 0);
        assert.ok(s.connected);
        assert.ok(s.batches <= perPeer / 100, `node ${node.id} → ${peer}: ${s.batches} writes for ${perPeer} messages`);
      }
      assert.equal(node.transport.stats().received.get(node.id === 1 ? 2 : 1), perPeer + 1);
    }
  });

  test("all message types arrive intact", async () => {
    const [a, b] = [await start(1), await start(2)];
    connectAll([a, b]);
    const messages: Message[] = [
      { type: "append", from: 1, to: 2, term: 2, prevIndex: 1, prevTerm: 1, commit: 1, entries: [{ index: 2, term: 2, kind: 0, data: new Uint8Array([1, 2]) }] },
      { type: "vote", from: 1, to: 2, term: 3, lastIndex: 2, lastTerm: 2, transfer: false },
      { type: "timeoutNow", from: 1, to: 2, term: 3 },
      { type: "snapshot", from: 1, to: 2, term: 3, snapshot: { index: 9, term: 2, config: { members: [{ id: 1, address: a.address, voter: true }] } } },
    ];
    a.transport.send(messages);
    await waitFor("4 messages", () => b.received.length === 4);
    assert.deepEqual(
      JSON.stringify(b.received, (_k, v) => (v instanceof Uint8Array ? [...v] : v)),
      JSON.stringify(messages, (_k, v) => (v instanceof Uint8Array ? [...v] : v)),
    );
  });

  test("matching secrets: accepted", async () => {
    const [a, b] = [await start(1, { secret: "pw" }), await start(2, { secret: "pw" })];
    connectAll([a, b]);
    a.transport.send([numbered(1, 2, 1)]);
    b.transport.send([numbered(2, 1, 1)]);
    await waitFor("both messages", () => a.received.length === 1 && b.received.length === 1);
  });

  for (const [name, secretA, secretB] of [["wrong", "pw", "other"], ["missing", undefined, "pw"], ["unexpected", "pw", undefined]] as const) {
    test(`${name} secret: refused with a clear reason, logged on both sides`, async () => {
      const [a, b] = [await start(1, { secret: secretA }), await start(2, { secret: secretB })];
      connectAll([a, b]);
      a.transport.send([numbered(1, 2, 1)]);
      await waitFor("a refusal", () => a.transport.stats().peers.get(2)?.lastError.includes("secret"));
      await waitFor("b to log it", () => b.log.lines.some((l) => l.startsWith("warn") && /secret|gave up the handshake/.test(l)));
      assert.equal(b.received.length, 0);
      assert.ok(a.log.lines.some((l) => l.startsWith("warn") && l.includes("secret")), a.log.lines.join("\n"));
      assert.equal(a.transport.stats().peers.get(2)?.connected, false);
    });
  }

  test("a peer that is down comes up: later messages arrive", async () => {
    const port = await freePort();
    const a = await start(1, { transport: { reconnectMaxMs: 200 } });
    a.transport.setPeers(new Map([[2, `127.0.0.1:${port}`]]));
    a.transport.send([numbered(1, 2, 0)]);
    await waitFor("a failed dial", () => a.transport.stats().peers.get(2)?.lastError.includes("ECONNREFUSED"));
    for (const n of range(20, 1)) {
      a.transport.send([numbered(1, 2, n)]);
      await new Promise((r) => setImmediate(r));
    }
    const b = await start(2, { port });
    let n = 100;
    await waitFor("messages after b came up", () => {
      a.transport.send([numbered(1, 2, n++)]);
      return b.received.length > 0;
    });
    const seq = sequenceFrom(b, 1);
    assert.deepEqual(seq, [...seq].sort((x, y) => x - y), "in order");
    const stats = a.transport.stats().peers.get(2)!;
    assert.ok(stats.connected);
    assert.ok(stats.reconnects >= 1, JSON.stringify(stats));
    assert.equal(stats.sent + stats.dropped + stats.queued, n - 100 + 21);
  });

  test("a dead peer never delays the caller or the other peers", async () => {
    // A listener that accepts and then says nothing: the handshake times out.
    const silent = net.createServer((socket) => socket.on("error", () => {}));
    const silentSockets = new Set<net.Socket>();
    silent.on("connection", (s) => silentSockets.add(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
    try {
      const [a, b] = [
        await start(1, { transport: { maxQueuedMessages: 100, handshakeTimeoutMs: 300 } }),
        await start(2),
      ];
      a.transport.setPeers(new Map([[2, b.address], [3, `127.0.0.1:${(silent.address() as net.AddressInfo).port}`], [4, "127.0.0.1:1"]]));
      b.transport.setPeers(new Map([[1, a.address]]));
      await warmUp([a, b], waitFor);
      let longest = 0;
      for (let burst = 0; burst < 40; burst++) {
        const began = performance.now();
        for (const n of range(50, burst * 50)) a.transport.send([numbered(1, 2, n), numbered(1, 3, n), numbered(1, 4, n)]);
        longest = Math.max(longest, performance.now() - began);
        await new Promise((r) => setImmediate(r));
      }
      assert.ok(longest < 200, `send returns at once (longest burst ${longest} ms)`);
      await waitFor("node 2 to get all", () => sequenceFrom(b, 1).length === 2000);
      assert.deepEqual(sequenceFrom(b, 1), range(2000));
      assert.equal(a.transport.stats().peers.get(2)?.dropped, 0);
      const s3 = a.transport.stats().peers.get(3)!;
      assert.equal(s3.connected, false);
      assert.equal(s3.dropped + s3.queued, 2000);
      assert.ok(s3.queued <= 100);
      await waitFor("the handshake timeout", () => a.transport.stats().peers.get(3)?.lastError.includes("no handshake within 300 ms"));
      a.transport.send([{ type: "timeoutNow", from: 1, to: 99, term: 1 }]);
      assert.equal(a.transport.stats().unroutable, 1);
    } finally {
      for (const s of silentSockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  test("garbage connections are refused without affecting the others", async () => {
    const [a, b] = [await start(1), await start(2, { transport: { handshakeTimeoutMs: 500 } })];
    connectAll([a, b]);
    a.transport.send(range(100).map((n) => numbered(1, 2, n)));
    await waitFor("first 100", () => b.received.length === 100);
    const garbage: Array<[string, Uint8Array, string]> = [
      ["bad magic", new TextEncoder().encode("NOT-A-PEER-AT-ALL"), "not a peer connection (bad magic)"],
      ["another protocol version", new Uint8Array([...encodePreamble().subarray(1, 11), 9]), "peer speaks protocol version 9, this node speaks 2"],
      ["oversized handshake frame", new Uint8Array([...encodePreamble().subarray(1), 0x7f, 0xff, 0xff, 0xff, 1]), "exceeds the limit of 4096 bytes"],
      ["garbage HELLO", new Uint8Array([...encodePreamble().subarray(1), ...encodeFrame(FrameType.Hello, new Uint8Array([1, 2, 3]))]), "bad HELLO"],
      ["frame before HELLO", new Uint8Array([...encodePreamble().subarray(1), ...encodeFrame(FrameType.Messages, new Uint8Array([1, 0]))]), "unexpected frame type 6 during the handshake"],
      ["random bytes", crypto.getRandomValues(new Uint8Array(2000)), "refused peer connection"],
    ];
    for (const [what, rest, expected] of garbage) {
      // The first byte alone makes the listener hand the socket over; the rest follows.
      const incomingBefore = b.transport.stats().incoming;
      const socket = net.connect(b.port, "127.0.0.1");
      socket.on("error", () => {});
      socket.write(new Uint8Array([0]));
      await waitFor(`${what}: handed over`, () => b.transport.stats().incoming > incomingBefore);
      socket.write(rest);
      const closed = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 8000);
        socket.on("close", () => {
          clearTimeout(timer);
          resolve(true);
        });
        socket.resume();
      });
      assert.ok(closed, `${what}: connection closed by the node`);
      await waitFor(`${what}: a warning`, () => b.log.lines.some((l) => l.startsWith("warn") && l.includes(expected)));
    }
    // A silent connection is dropped after the handshake timeout.
    const silent = net.connect(b.port, "127.0.0.1");
    silent.on("error", () => {});
    silent.write(new Uint8Array([0]));
    await waitFor("the silent one dropped", () => b.log.lines.some((l) => l.includes("no handshake within 500 ms")));
    silent.destroy();
    a.transport.send(range(100, 100).map((n) => numbered(1, 2, n)));
    await waitFor("next 100", () => b.received.length === 200);
    assert.deepEqual(sequenceFrom(b, 1), range(200));
    assert.equal(a.transport.stats().peers.get(2)?.reconnects, 0, "the real peer connection was never disturbed");
  });

  test("a message the encoder refuses is dropped alone, the connection stays", async () => {
    const [a, b] = [await start(1), await start(2)];
    connectAll([a, b]);
    a.transport.send([numbered(1, 2, 0)]);
    await waitFor("first", () => b.received.length === 1);
    // A message the encoder refuses is dropped alone; the connection stays.
    a.transport.send([{ type: "timeoutNow", from: 1, to: 2, term: -1 }, numbered(1, 2, 1)]);
    await waitFor("second", () => b.received.length === 2);
    assert.equal(a.transport.stats().peers.get(2)?.dropped, 1);
    assert.ok(a.log.lines.some((l) => l.includes("dropped timeoutNow to node 2: Cannot encode term -1")));
  });

  test("wrong node at an address, and a duplicate id, are refused", async () => {
    const [a, b] = [await start(1), await start(2)];
    a.transport.setPeers(new Map([[3, b.address]]));
    a.transport.send([numbered(1, 3, 0)]);
    await waitFor("refusal", () => a.transport.stats().peers.get(3)?.lastError.includes("refused by the peer: this is node 2, not node 3"));
    const twin = await start(2);
    twin.transport.setPeers(new Map([[1, b.address]]));
    // twin (id 2) dials b (id 2) thinking it is node 1: b answers as node 2.
    twin.transport.send([numbered(2, 1, 0)]);
    await waitFor("duplicate id refusal", () => twin.transport.stats().peers.get(1)?.lastError.includes("two nodes share one id"));
    assert.equal(b.received.length, 0);
  });

  test("admit refuses an authenticated peer with a reason it hears; dropIncoming makes it dial again; connectAll dials idle links", async () => {
    let refuse = false;
    const a = await start(1, { transport: { admit: (peerId) => refuse && peerId === 2 ? "node 2 was removed" : undefined } });
    const refusals: string[] = [];
    const b = await start(2, { transport: { onRefused: (peerId, reason) => refusals.push(`${peerId}: ${reason}`) } });
    b.transport.setPeers(new Map([[1, a.address]]));
    b.transport.connectAll(); // nothing to send yet: it dials anyway
    await waitFor("b's idle link to connect", () => b.transport.stats().peers.get(1)?.connected);
    assert.equal(a.transport.stats().incoming, 1);
    refuse = true;
    b.transport.send([numbered(2, 1, 0)]);
    await waitFor("the message over the connection admitted before", () => a.received.length === 1);
    a.transport.dropIncoming(2, "node 2 was removed");
    await waitFor("b to see its connection go", () => !b.transport.stats().peers.get(1)?.connected);
    b.transport.send([numbered(2, 1, 1)]);
    await waitFor("b to be refused", () => refusals.length > 0);
    assert.deepEqual(refusals, ["1: refused by the peer: node 2 was removed"]);
    assert.equal(a.received.length, 1, "nothing from a refused peer");
    assert.ok(a.log.lines.some((l) => l.includes("refused peer connection from node 2") && l.includes("node 2 was removed")));
  });

  test("a joining node learns a peer's address from its handshake", async () => {
    const [a, b] = [await start(1), await start(2)];
    a.transport.setPeers(new Map([[2, b.address]]));
    // b has an empty address book, like a node waiting to be added.
    a.transport.send([numbered(1, 2, 0)]);
    await waitFor("b hears from a", () => b.received.length === 1);
    b.transport.send([numbered(2, 1, 0)]);
    await waitFor("a hears back", () => a.received.length === 1);
  });

  test("setPeers: removed peers are closed, moved peers redialed", async () => {
    const [a, b, c] = [await start(1), await start(2), await start(3)];
    a.transport.setPeers(new Map([[2, b.address], [3, c.address]]));
    a.transport.send([numbered(1, 2, 0), numbered(1, 3, 0)]);
    await waitFor("both", () => b.received.length === 1 && c.received.length === 1);
    a.transport.setPeers(new Map([[2, b.address]]));
    assert.deepEqual([...a.transport.stats().peers.keys()], [2]);
    await waitFor("c sees the connection go", () => c.transport.stats().incoming === 0);
    const b2 = await start(2);
    a.transport.setPeers(new Map([[2, b2.address]]));
    a.transport.send([numbered(1, 2, 1)]);
    await waitFor("the moved node gets it", () => b2.received.length === 1);
  });

  test("send and setPeers after close are ignored; close is idempotent", async () => {
    const [a, b] = [await start(1), await start(2)];
    connectAll([a, b]);
    a.transport.send([numbered(1, 2, 0)]);
    await waitFor("delivery", () => b.received.length === 1);
    await a.transport.close();
    a.transport.send([numbered(1, 2, 1)]);
    a.transport.setPeers(new Map([[2, b.address]]));
    await a.transport.close();
    await waitFor("b's incoming connection to close", () => b.transport.stats().incoming === 0);
    assert.equal(b.received.length, 1);
  });
});

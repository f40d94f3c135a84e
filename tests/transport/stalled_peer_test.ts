/**
 * Peers that misbehave after a valid handshake: one that stops reading
 * (bounded queue, drops counted, stall detected and redialed) and one that
 * sends a corrupt batch (disconnected, logged).
 */
import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { waitFor } from "../helpers/process.ts";
import { numbered, sequenceFrom, startNode, type TestNode, warmUp } from "./harness.ts";
import { FrameSocket } from "../../raft/transport/frame_socket.ts";
import { FrameType } from "../../raft/transport/frames.ts";
import { computeProof, decodeHello, encodeChallenge, newNonce, Purpose } from "../../raft/transport/handshake.ts";
import { dial } from "../../raft/transport/dial.ts";
import type { Message } from "../../raft/core/types.ts";

/** A listener that completes the handshake as node `id` (no secret), then never reads again. */
async function deafAcceptor(id: number) {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    const conn = new FrameSocket(socket, { maxFrameBytes: 4096, expectPreamble: true });
    const acceptorNonce = newNonce();
    let dialer = 0;
    let dialerNonce: Uint8Array = new Uint8Array();
    conn.onFrame = (frame) => {
      if (frame.type === FrameType.Hello) {
        const hello = decodeHello(frame.payload);
        assert.ok(hello.ok);
        dialer = hello.value.senderId;
        dialerNonce = hello.value.nonce;
        conn.send(FrameType.Challenge, encodeChallenge({ acceptorId: id, nonce: acceptorNonce }));
      } else if (frame.type === FrameType.Proof) {
        conn.send(FrameType.Accept, computeProof(undefined, "acceptor", { dialerId: dialer, acceptorId: id, dialerNonce, acceptorNonce }));
        accepted++;
        socket.pause();
      }
    };
    conn.start();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    accepted: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

function bigAppend(n: number): Message {
  return {
    type: "append", from: 1, to: 2, term: 1, prevIndex: n, prevTerm: 1, commit: 0,
    entries: [{ index: n + 1, term: 1, kind: 0, data: new Uint8Array(64 << 10) }],
  };
}

describe("misbehaving authenticated peers", () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  test("a peer that stops reading: bounded queue, drops counted, stall detected, redialed", async () => {
    const deaf = await deafAcceptor(2);
    closers.push(deaf.close);
    const a = await startNode(1, { transport: { maxQueuedMessages: 50, writeStallMs: 300 } });
    closers.push(a.close);
    a.transport.setPeers(new Map([[2, deaf.address]]));
    a.transport.send([numbered(1, 2, 0)]);
    await waitFor("the handshake", () => a.transport.stats().peers.get(2)?.connected);
    let n = 0;
    await waitFor("drops once the peer's buffers are full", () => {
      const began = performance.now();
      a.transport.send(Array.from({ length: 20 }, () => bigAppend(n++)));
      assert.ok(performance.now() - began < 100, "send never blocks");
      const s = a.transport.stats().peers.get(2)!;
      assert.ok(s.queued <= 50, `queued ${s.queued}`);
      return s.dropped > 0;
    });
    await waitFor("the stall to be noticed", () => a.transport.stats().peers.get(2)?.lastError.includes("read nothing for 300 ms"));
    // Links dial on demand: the next message redials.
    await waitFor("a redial", () => {
      a.transport.send([numbered(1, 2, 1)]);
      return deaf.accepted() >= 2;
    });
    assert.ok(a.transport.stats().peers.get(2)!.reconnects >= 1);
  });

  test("a peer that sends a corrupt batch is disconnected; others are unaffected", async () => {
    const b: TestNode = await startNode(2);
    const c: TestNode = await startNode(3);
    closers.push(b.close, c.close);
    c.transport.setPeers(new Map([[2, b.address]]));
    b.transport.setPeers(new Map([[3, c.address]]));
    await warmUp([b, c], waitFor);
    const rogue = await dial({
      address: b.address, tls: undefined, selfId: 9, selfAddress: "127.0.0.1:9", targetId: 2,
      purpose: Purpose.Messages, secret: undefined, timeoutMs: 2000, maxFrameBytes: 1 << 20,
    });
    assert.ok(rogue.ok, rogue.ok ? "" : rogue.error);
    const closed = new Promise<string>((resolve) => (rogue.conn.onClose = resolve));
    rogue.conn.send(FrameType.Messages, new Uint8Array([1, 1, 77, 1, 2, 3]));
    assert.match(await closed, /unknown message tag 77|closed/);
    await waitFor("a warning", () => b.log.lines.some((l) => l.startsWith("warn") && l.includes("node 9") && l.includes("unknown message tag 77")));
    // Forged sender ids are dropped, not delivered.
    const forger = await dial({
      address: b.address, tls: undefined, selfId: 9, selfAddress: "127.0.0.1:9", targetId: 2,
      purpose: Purpose.Messages, secret: undefined, timeoutMs: 2000, maxFrameBytes: 1 << 20,
    });
    assert.ok(forger.ok);
    const { encodeMessageFrames } = await import("../../raft/transport/message_batch.ts");
    forger.conn.write(encodeMessageFrames([numbered(3, 2, 999), numbered(9, 2, 1)], 1 << 20).bytes);
    await waitFor("the genuine one", () => b.received.some((m) => m.from === 9));
    assert.ok(!b.received.some((m) => m.type === "heartbeat" && m.from === 3 && m.commit === 999));
    forger.conn.destroy("done");
    c.transport.send([numbered(3, 2, 1)]);
    await waitFor("c still reaches b", () => sequenceFrom(b, 3).includes(1));
  });
});

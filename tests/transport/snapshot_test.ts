/** Snapshot streaming between PeerTransports over real sockets. */
import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { waitFor } from "../helpers/process.ts";
import { connectAll, numbered, startNode, type TestNode, type TestNodeOptions, warmUp } from "./harness.ts";
import type { SnapshotMessage } from "../../raft/core/types.ts";

function snapshotMessage(from: number, to: number, index = 500): SnapshotMessage {
  return {
    type: "snapshot",
    from,
    to,
    term: 7,
    snapshot: { index, term: 6, config: { members: [{ id: 1, address: "127.0.0.1:1", voter: true }, { id: 2, address: "127.0.0.1:2", voter: true }] } },
  };
}

function sha256(parts: Iterable<Uint8Array>): string {
  const hash = createHash("sha256");
  for (const p of parts) hash.update(p);
  return hash.digest("hex");
}

/** Yields `data` in irregular chunks (1 byte up to 3 MB), counting what was pulled. */
function chunked(data: Uint8Array, pulled = { bytes: 0 }, failAfter = Infinity): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      let at = 0;
      let i = 0;
      while (at < data.byteLength) {
        if (at >= failAfter) throw new Error("disk read failed");
        const size = [1, 3 << 20, 7, 65_536, 1_000_003, 100][i++ % 6];
        const chunk = data.subarray(at, at + size);
        at += chunk.byteLength;
        pulled.bytes = at;
        yield chunk;
      }
    },
  };
}

/** An onSnapshot that collects the bytes; `gate` (if set) holds it after the first chunk. */
function collector() {
  const got: { message?: SnapshotMessage; chunks: Uint8Array[]; error?: string; done: boolean } = { chunks: [], done: false };
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => (open = resolve));
  let gated = false;
  const onSnapshot = async (message: SnapshotMessage, data: AsyncIterable<Uint8Array>) => {
    got.message = message;
    try {
      for await (const chunk of data) {
        got.chunks.push(new Uint8Array(chunk));
        if (gated && got.chunks.length === 1) await gate;
      }
      got.done = true;
    } catch (error) {
      got.error = (error as Error).message;
      throw error;
    }
  };
  return { got, onSnapshot, hold: () => (gated = true), release: () => open() };
}

describe("snapshot streaming", () => {
  const nodes: TestNode[] = [];
  const start = async (id: number, options: TestNodeOptions = {}) => {
    const node = await startNode(id, options);
    nodes.push(node);
    return node;
  };
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.close()));
  });

  test("a 24 MB snapshot arrives intact, with backpressure, without delaying messages", async () => {
    const data = new Uint8Array(randomBytes(24 << 20));
    const receiver = collector();
    receiver.hold();
    const a = await start(1, { transport: { snapshotChunkBytes: 256 << 10 } });
    const b = await start(2, { onSnapshot: receiver.onSnapshot, transport: { snapshotHighWaterBytes: 1 << 20 } });
    connectAll([a, b]);
    await warmUp([a, b], waitFor);
    const pulled = { bytes: 0 };
    const sending = a.transport.sendSnapshot(snapshotMessage(1, 2), chunked(data, pulled));
    await waitFor("the first chunk", () => receiver.got.chunks.length === 1);
    // The installer is stuck; heartbeats still get through at once.
    a.transport.send([numbered(1, 2, 42)]);
    await waitFor("a heartbeat during the snapshot", () => b.received.some((m) => m.type === "heartbeat"));
    assert.equal(a.transport.stats().snapshotsSending, 1);
    assert.ok(pulled.bytes < data.byteLength, `backpressure: pulled ${pulled.bytes} of ${data.byteLength} bytes`);
    receiver.release();
    assert.equal(await sending, true);
    assert.ok(receiver.got.done);
    assert.deepEqual(receiver.got.message, snapshotMessage(1, 2));
    assert.equal(receiver.got.chunks.reduce((n, c) => n + c.byteLength, 0), data.byteLength);
    assert.ok(receiver.got.chunks.every((c) => c.byteLength <= 256 << 10), "chunk frames are bounded");
    assert.equal(sha256(receiver.got.chunks), sha256([data]));
    assert.equal(a.transport.stats().snapshotsSending, 0);
  });

  test("the receiver refuses: false, with its reason logged", async () => {
    const a = await start(1);
    const b = await start(2, {
      onSnapshot: async (_m, data) => {
        for await (const _ of data) throw new Error("no space left on device");
      },
    });
    connectAll([a, b]);
    assert.equal(await a.transport.sendSnapshot(snapshotMessage(1, 2), chunked(new Uint8Array(100_000))), false);
    assert.ok(a.log.lines.some((l) => l.includes("refused by the receiver: no space left on device")), a.log.lines.join("\n"));
    assert.ok(b.log.lines.some((l) => l.startsWith("warn") && l.includes("no space left on device")));
  });

  test("the sender's data fails mid-stream: the receiver sees an error, not a short snapshot", async () => {
    const receiver = collector();
    const a = await start(1);
    const b = await start(2, { onSnapshot: receiver.onSnapshot });
    connectAll([a, b]);
    const ok = await a.transport.sendSnapshot(snapshotMessage(1, 2), chunked(new Uint8Array(5 << 20), undefined, 2 << 20));
    assert.equal(ok, false);
    assert.ok(a.log.lines.some((l) => l.includes("reading the snapshot failed") && l.includes("disk read failed")));
    await waitFor("the receiver's error", () => receiver.got.error);
    assert.match(receiver.got.error!, /^snapshot 6\/500 from node 1 broke off after \d+ bytes: /);
    assert.equal(receiver.got.done, false);
  });

  test("the receiver dies mid-stream: false", async () => {
    const receiver = collector();
    receiver.hold();
    const a = await start(1);
    const b = await start(2, { onSnapshot: receiver.onSnapshot });
    connectAll([a, b]);
    const sending = a.transport.sendSnapshot(snapshotMessage(1, 2), chunked(new Uint8Array(8 << 20)));
    await waitFor("the first chunk", () => receiver.got.chunks.length === 1);
    await b.close();
    receiver.release();
    assert.equal(await sending, false);
    assert.ok(a.log.lines.some((l) => l.includes("sending snapshot 6/500 to node 2 failed")), a.log.lines.join("\n"));
  });

  test("no address, a down peer, a closed transport: false, quickly", async () => {
    const a = await start(1);
    assert.equal(await a.transport.sendSnapshot(snapshotMessage(1, 9), chunked(new Uint8Array(10))), false);
    a.transport.setPeers(new Map([[2, "127.0.0.1:1"]]));
    assert.equal(await a.transport.sendSnapshot(snapshotMessage(1, 2), chunked(new Uint8Array(10))), false);

    const receiver = collector();
    receiver.hold();
    const b = await start(2, { onSnapshot: receiver.onSnapshot, transport: { snapshotHighWaterBytes: 1 << 20 } });
    a.transport.setPeers(new Map([[2, b.address]]));
    const sending = a.transport.sendSnapshot(snapshotMessage(1, 2), chunked(new Uint8Array(64 << 20)));
    await waitFor("the first chunk", () => receiver.got.chunks.length === 1);
    await a.transport.close();
    assert.equal(await sending, false);
    receiver.release();
    await waitFor("the receiver's error", () => receiver.got.error);
    assert.equal(receiver.got.done, false);
  });

  test("a misaddressed snapshot message is refused", async () => {
    const receiver = collector();
    const a = await start(1);
    const b = await start(2, { onSnapshot: receiver.onSnapshot });
    connectAll([a, b]);
    // Claims to come from node 3 on node 1's connection.
    const forged = { ...snapshotMessage(1, 2), from: 3 };
    assert.equal(await a.transport.sendSnapshot(forged, chunked(new Uint8Array(10))), false);
    assert.equal(receiver.got.message, undefined);
  });
});

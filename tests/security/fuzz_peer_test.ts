/**
 * Peer-protocol fuzzing. First the pure decoders, directly: mutated frames,
 * handshakes and message batches never throw, and an absurd length prefix
 * (4 GiB) is refused before anything is allocated. Then ≥ 10,000 hostile
 * frames (FUZZ_SCALE multiplies it) against a running 3-node cluster: raw
 * connections that must not get past the handshake, and strangers that pass
 * it (the cluster has no --auth) under ids outside the configuration and
 * send mutated message batches and snapshots. Afterwards every node serves
 * correct reads and writes, holds every acknowledged write of a concurrent
 * well-behaved writer, kept its term and configuration, and its memory
 * stayed bounded. FUZZ_SEED replays a run.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import type { ClusterNode } from "../helpers/cluster.ts";
import { cleanup, waitFor } from "../helpers/process.ts";
import { raftInfo, serverList } from "../helpers/resp.ts";
import type { Rng } from "../sim/rng.ts";
import { encodeFrame, FrameDecoder, FrameType, DEFAULT_MAX_FRAME_BYTES } from "../../raft/transport/frames.ts";
import {
  checkPreamble,
  decodeChallenge,
  decodeHello,
  decodeProof,
  MAX_HANDSHAKE_FRAME_BYTES,
  Purpose,
} from "../../raft/transport/handshake.ts";
import { decodeMessages, decodeSnapshotMessage, encodeMessages, encodeSnapshotMessage } from "../../raft/transport/message_codec.ts";
import { dial } from "../../raft/transport/dial.ts";
import type { FrameSocket } from "../../raft/transport/frame_socket.ts";
import type { SnapshotMessage } from "../../raft/core/types.ts";
import {
  AckedWriter,
  assertClusterIntact,
  formatKiBs,
  fuzzCount,
  fuzzRng,
  openFds,
  residentKiBs,
  startFuzzCluster,
} from "./_fuzz_support.ts";
import { absurdHeader, hostileHandshake, messagesPayload, mutateBytes, randomMessage } from "./_peer_mutants.ts";

after(() => cleanup());

test("the peer decoders refuse absurd lengths before allocating and never throw on mutants", () => {
  const rng = fuzzRng("tests/security/fuzz_peer_test.ts");
  const fourGiB = new Uint8Array([0xff, 0xff, 0xff, 0xff, FrameType.Messages]);
  for (const limit of [MAX_HANDSHAKE_FRAME_BYTES, DEFAULT_MAX_FRAME_BYTES]) {
    const decoder = new FrameDecoder(limit);
    const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    const pushed = decoder.push(fourGiB);
    assert.match(pushed.error ?? "", /length 4294967295 exceeds the limit/);
    assert.equal(decoder.buffered, 0, "nothing kept");
    const heapAfter = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    assert.ok(heapAfter - heapBefore < 16 * 1024 * 1024, "no allocation for the claimed length");
    assert.match(decoder.push(encodeFrame(FrameType.Accept, new Uint8Array())).error ?? "", /exceeds/, "stays poisoned");
  }
  const runs = fuzzCount(20_000);
  let decodedBatches = 0;
  for (let i = 0; i < runs; i++) {
    const batch = encodeMessages(Array.from({ length: rng.int(1, 4) }, () => randomMessage(rng, rng.int(1, 5), rng.int(1, 5))));
    const mutant = mutateBytes(rng, batch);
    const decoded = decodeMessages(mutant);
    // What decodes is a well-formed batch again: it re-encodes.
    if (decoded.ok) {
      decodedBatches++;
      assert.ok(encodeMessages(decoded.value).length > 0);
    } else assert.match(decoded.error, /^bad message batch: /);
    assert.doesNotThrow(() => decodeSnapshotMessage(mutant));
    const { bytes } = hostileHandshake(rng, rng.int(1, 3));
    for (const piece of bytes) {
      assert.doesNotThrow(() => [decodeHello(piece), decodeChallenge(piece), decodeProof(piece), checkPreamble(piece)]);
    }
    const decoder = new FrameDecoder(rng.pick([MAX_HANDSHAKE_FRAME_BYTES, DEFAULT_MAX_FRAME_BYTES]));
    assert.doesNotThrow(() => {
      decoder.push(mutateBytes(rng, encodeFrame(FrameType.Messages, batch)));
      decoder.push(absurdHeader(rng));
    });
  }
  console.log(`peer decoders: ${runs} mutated batches (${decodedBatches} still well-formed), ${runs} hostile handshakes, ${runs} mutated frame streams, 2 4-GiB length prefixes`);
});

interface Tally {
  frames: number;
  rawConnections: number;
  strangerConnections: number;
  /** Strangers whose handshake the node accepted (no --auth: anyone can). */
  handshakes: number;
  snapshotsRefused: number;
  readonly kinds: Map<string, number>;
}

function count(tally: Tally, kind: string, frames: number): void {
  tally.kinds.set(kind, (tally.kinds.get(kind) ?? 0) + 1);
  tally.frames += frames;
}

/** Writes `pieces`, half-closes, and resolves when the node has closed the connection (or after `timeoutMs`, cutting it). */
function sendRaw(port: number, pieces: readonly Uint8Array[], timeoutMs = 8_000): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on("connect", () => {
      for (const piece of pieces) socket.write(piece);
      socket.end();
    });
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function rawWorker(rng: Rng, nodes: readonly ClusterNode[], quota: number, tally: Tally): Promise<void> {
  for (let sent = 0; sent < quota;) {
    const node = rng.pick(nodes);
    const { kind, bytes } = hostileHandshake(rng, node.id);
    // The preamble is not a frame; every piece after it is one (or an attempt at one).
    const frames = bytes.length - 1;
    sent += frames;
    count(tally, `handshake: ${kind}`, frames);
    tally.rawConnections++;
    await sendRaw(node.port, bytes);
  }
}

function closed(conn: FrameSocket, timeoutMs = 8_000): Promise<void> {
  return Promise.race([conn.whenClosed(), new Promise<void>((resolve) => setTimeout(resolve, timeoutMs))]).then(() => conn.destroy("done"));
}

/** A stranger (an id outside the configuration) passes the handshake and sends hostile message batches. */
async function strangerMessages(rng: Rng, node: ClusterNode, members: readonly number[], strangerId: number, tally: Tally): Promise<number> {
  const dialed = await dial({
    address: node.address, tls: undefined, selfId: strangerId, selfAddress: "127.0.0.1:1", targetId: node.id,
    purpose: Purpose.Messages, secret: undefined, timeoutMs: 5_000, maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  });
  assert.ok(dialed.ok, `the stranger's handshake: ${!dialed.ok && dialed.error}`);
  tally.handshakes++;
  const conn = dialed.conn;
  let frames = 0;
  for (let n = rng.int(5, 40); n > 0 && !conn.closed; n--) {
    frames++;
    const roll = rng.int(0, 99);
    if (roll < 2) {
      count(tally, "after handshake: absurd length", 1);
      conn.write(absurdHeader(rng));
      break;
    }
    if (roll < 4) {
      count(tally, "after handshake: unexpected frame type", 1);
      conn.send(rng.pick([FrameType.Hello, FrameType.Accept, FrameType.SnapshotChunk, 0, 200] as FrameType[]), mutateBytes(rng, new Uint8Array(20)));
      break;
    }
    const payload = messagesPayload(rng, strangerId, node.id, members);
    count(tally, `after handshake: ${payload.kind}`, 1);
    conn.send(FrameType.Messages, payload.bytes);
  }
  conn.socket.end();
  await closed(conn);
  return frames;
}

/** A stranger offers a snapshot; the node must refuse it (and store nothing). */
async function strangerSnapshot(rng: Rng, node: ClusterNode, strangerId: number, tally: Tally): Promise<number> {
  const dialed = await dial({
    address: node.address, tls: undefined, selfId: strangerId, selfAddress: "127.0.0.1:1", targetId: node.id,
    purpose: Purpose.Snapshot, secret: undefined, timeoutMs: 5_000, maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  });
  assert.ok(dialed.ok, `the stranger's snapshot handshake: ${!dialed.ok && dialed.error}`);
  tally.handshakes++;
  const conn = dialed.conn;
  const result = new Promise<string | undefined>((resolve) => {
    conn.onFrame = (frame) => resolve(frame.type === FrameType.SnapshotResult ? new TextDecoder().decode(frame.payload) : undefined);
    conn.onClose = () => resolve(undefined);
  });
  const message: SnapshotMessage = {
    type: "snapshot", from: strangerId, to: node.id, term: rng.pick([1, 1000, 2 ** 40]),
    snapshot: { index: rng.pick([1, 10_000, 2 ** 40]), term: rng.pick([1, 1000]), config: { members: [{ id: strangerId, address: "127.0.0.1:1", voter: true }] } },
  };
  const begin = encodeSnapshotMessage(message);
  const mutated = rng.chance(0.3);
  conn.send(FrameType.SnapshotBegin, mutated ? mutateBytes(rng, begin) : begin);
  const chunks = rng.int(0, 3);
  for (let i = 0; i < chunks; i++) conn.send(FrameType.SnapshotChunk, mutateBytes(rng, new Uint8Array(rng.int(1, 4096))));
  conn.send(FrameType.SnapshotEnd, new Uint8Array());
  count(tally, mutated ? "snapshot: mutated begin" : "snapshot: from a stranger", 2 + chunks);
  const verdict = await Promise.race([result, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 8_000))]);
  assert.ok(verdict !== "", "a stranger's snapshot must never be installed");
  if (verdict !== undefined) tally.snapshotsRefused++;
  conn.socket.end();
  await closed(conn);
  return 2 + chunks;
}

async function strangerWorker(rng: Rng, nodes: readonly ClusterNode[], quota: number, tally: Tally): Promise<void> {
  const members = nodes.map((node) => node.id);
  for (let sent = 0; sent < quota;) {
    const node = rng.pick(nodes);
    const strangerId = 1000 + rng.int(0, 100_000);
    tally.strangerConnections++;
    sent += rng.chance(0.1)
      ? await strangerSnapshot(rng, node, strangerId, tally)
      : await strangerMessages(rng, node, members, strangerId, tally);
  }
}

test("10,000 hostile peer frames leave a 3-node cluster serving, with its terms, members and acknowledged writes", async () => {
  const rng = fuzzRng("tests/security/fuzz_peer_test.ts");
  const total = fuzzCount(10_000);
  const cluster = await startFuzzCluster();
  const leader = await cluster.leader();
  const termBefore = Number((await raftInfo(leader.port)).term);
  const beforeKiB = await residentKiBs(cluster);
  const beforeFds = openFds(cluster);
  const writer = new AckedWriter(cluster);
  await writer.started();
  const tally: Tally = { frames: 0, rawConnections: 0, strangerConnections: 0, handshakes: 0, snapshotsRefused: 0, kinds: new Map() };
  const started = Date.now();
  const workers = 8;
  const quota = Math.ceil(total / 2 / workers);
  const forks = Array.from({ length: 2 * workers }, () => rng.fork());
  await Promise.all(forks.map((fork, i) =>
    i < workers ? rawWorker(fork, cluster.nodes, quota, tally) : strangerWorker(fork, cluster.nodes, quota, tally)
  ));
  const seconds = (Date.now() - started) / 1000;
  await writer.stop();
  const afterKiB = await residentKiBs(cluster);
  console.log(`peer fuzz: ${tally.frames} frames in ${seconds.toFixed(1)} s; ${tally.rawConnections} raw connections, ${tally.strangerConnections} stranger connections (${tally.handshakes} handshakes passed, ${tally.snapshotsRefused} snapshots refused)`);
  console.log(`peer fuzz attacks: ${[...tally.kinds].sort().map(([kind, n]) => `${kind} ${n}`).join(", ")}`);
  console.log(`peer fuzz: ${writer.acked.length} acknowledged writes during the fuzzing (${writer.errors} errors)`);
  console.log(`peer fuzz RSS before: ${formatKiBs(beforeKiB)}; after: ${formatKiBs(afterKiB)}`);
  // Every hostile connection is closed: no node keeps more descriptors than before (a few for peer links re-dialed).
  let afterFds = openFds(cluster);
  await waitFor("the nodes to close the fuzzing connections", () => {
    afterFds = openFds(cluster);
    return afterFds.every((n, i) => n <= beforeFds[i] + 4);
  }, 20_000).catch((error) => {
    throw new Error(`${error.message}: open descriptors ${beforeFds.join(", ")} before, ${afterFds.join(", ")} now`);
  });
  console.log(`peer fuzz open descriptors before: ${beforeFds.join(", ")}; after: ${afterFds.join(", ")}`);
  assert.ok(tally.frames >= total);
  assert.ok(writer.acked.length > 0, "the well-behaved writer got writes through during the fuzzing");
  await assertClusterIntact(cluster, writer.acked);
  for (const node of cluster.nodes) {
    const term = Number((await raftInfo(node.port)).term);
    assert.ok(term < termBefore + 10, `node ${node.id}'s term went from ${termBefore} to ${term}: a stranger moved it`);
    assert.deepEqual((await serverList(node.port)).map((member) => Number(member.id)).sort(), [1, 2, 3], `node ${node.id}'s members`);
  }
  afterKiB.forEach((kib, i) => assert.ok(kib - beforeKiB[i] < 200 * 1024, `node ${i + 1}'s RSS grew from ${beforeKiB[i]} to ${kib} KiB`));
});

/**
 * The peer handshake against a guesser: the acceptor proves nothing to a
 * dialer that has not proven it knows the secret (so nothing can be taken
 * home and cracked offline), and wrong proofs from one address are answered
 * later and later, sharing the node's AUTH throttle.
 */
import { afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { AuthThrottle } from "../../server/auth_throttle.ts";
import { dial } from "../../raft/transport/dial.ts";
import { FrameSocket } from "../../raft/transport/frame_socket.ts";
import { type Frame, FrameType } from "../../raft/transport/frames.ts";
import {
  computeProof,
  decodeChallenge,
  encodeHello,
  encodePreamble,
  newNonce,
  PROOF_BYTES,
  Purpose,
} from "../../raft/transport/handshake.ts";
import { startNode, type TestNode } from "../transport/harness.ts";
import { waitFor } from "../helpers/process.ts";

const SECRET = "peer-Secret-9";

/** Contains `needle` anywhere. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.byteLength <= haystack.byteLength; i++) {
    for (let j = 0; j < needle.byteLength; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

describe("peer handshake against guessing", () => {
  const nodes: TestNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.close()));
  });

  test("the acceptor sends no proof of its own until the dialer's proof checks out", async () => {
    const acceptor = await startNode(1, { secret: SECRET });
    nodes.push(acceptor);
    const socket = net.connect(acceptor.port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    const conn = new FrameSocket(socket, { maxFrameBytes: 4096 });
    const frames: Frame[] = [];
    conn.onFrame = (frame) => frames.push(frame);
    const closed = new Promise<string>((resolve) => (conn.onClose = resolve));
    conn.start();
    const dialerNonce = newNonce();
    conn.write(encodePreamble());
    conn.send(FrameType.Hello, encodeHello({ purpose: Purpose.Messages, senderId: 7, targetId: 1, senderAddress: "127.0.0.1:7", nonce: dialerNonce }));
    await waitFor("the CHALLENGE", () => frames.length === 1);
    assert.equal(frames[0].type, FrameType.Challenge);
    const challenge = decodeChallenge(frames[0].payload);
    assert.ok(challenge.ok);
    const transcript = { dialerId: 7, acceptorId: 1, dialerNonce, acceptorNonce: challenge.value.nonce };
    const acceptorProof = computeProof(SECRET, "acceptor", transcript);
    // A guess at the secret.
    conn.send(FrameType.Proof, computeProof("guess", "dialer", transcript));
    assert.match(await closed, /closed|refused/);
    assert.deepEqual(frames.map((frame) => frame.type), [FrameType.Challenge, FrameType.Refuse]);
    for (const frame of frames) assert.ok(!contains(frame.payload, acceptorProof), "no frame carries the acceptor's proof");
    assert.match(new TextDecoder().decode(frames[1].payload), /the dialer does not know this cluster secret/);
    assert.equal(PROOF_BYTES, acceptorProof.byteLength);
  });

  test("wrong secrets from one address are answered later and later (logged once); the right one connects", async () => {
    const guard = new AuthThrottle({
      freeFailures: 2, firstDelayMs: 40, doublingFailures: 1, maxDelayMs: 1_000, forgetMs: 60_000, maxAddresses: 100, reportEveryMs: 60_000,
    });
    const acceptor = await startNode(1, { secret: SECRET, transport: { guard } });
    nodes.push(acceptor);
    const attempt = async (secret: string) => {
      const start = performance.now();
      const result = await dial({
        address: acceptor.address, tls: undefined, selfId: 2, selfAddress: "127.0.0.1:2", targetId: 1,
        purpose: Purpose.Messages, secret, timeoutMs: 5_000, maxFrameBytes: 1 << 20,
      });
      if (result.ok) result.conn.destroy("done");
      return { ok: result.ok, error: result.ok ? "" : result.error, ms: performance.now() - start };
    };
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const result = await attempt(`guess-${i}`);
      assert.equal(result.ok, false);
      assert.match(result.error, /refused by the peer: authentication failed/);
      times.push(result.ms);
    }
    console.log(`peer handshake refusals (ms): ${times.map((ms) => ms.toFixed(0)).join(", ")}`);
    // Answers 3..6 follow 2..5 failures: 40, 80, 160, 320 ms at least.
    for (let i = 2; i < 6; i++) assert.ok(times[i] >= guard.delayAfter(i) * 0.98, `attempt ${i + 1}: ${times[i].toFixed(1)} ms`);
    const reports = acceptor.log.lines.filter((line) => line.includes("failed peer handshakes from 127.0.0.1"));
    assert.equal(reports.length, 1, reports.join("\n"));
    const right = await attempt(SECRET);
    assert.equal(right.ok, true, right.error);
    assert.ok(right.ms >= guard.delayAfter(6) * 0.98, "the right secret waits its turn too");
    assert.equal(guard.admit("127.0.0.1", Date.now()), 0, "and clears the record");
  });
});

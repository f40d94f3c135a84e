/** The handshake's pure parts: sniffing, preamble, payloads, proofs. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkPreamble,
  computeProof,
  decodeChallenge,
  decodeHello,
  decodeProof,
  encodeChallenge,
  encodeHello,
  encodePreamble,
  isPeerPrefix,
  newNonce,
  PEER_MAGIC,
  proofMatches,
  Purpose,
} from "../../raft/transport/handshake.ts";

const enc = new TextEncoder();

describe("handshake", () => {
  test("PEER_MAGIC is \\x00UHAHA-RAFT", () => {
    assert.deepEqual([...PEER_MAGIC], [0, ...enc.encode("UHAHA-RAFT")]);
  });

  test("isPeerPrefix: any prefix of the magic, never RESP or HTTP", () => {
    for (let n = 1; n <= PEER_MAGIC.byteLength; n++) assert.ok(isPeerPrefix(PEER_MAGIC.subarray(0, n)));
    assert.ok(isPeerPrefix(encodePreamble()));
    assert.equal(isPeerPrefix(new Uint8Array()), false);
    for (const text of ["*1\r\n$4\r\nPING\r\n", "PING\r\n", "GET / HTTP/1.1\r\n", "\x16\x03\x01", "\x00UHAHA-RAFX"]) {
      assert.equal(isPeerPrefix(enc.encode(text)), false, JSON.stringify(text));
    }
    fc.assert(fc.property(fc.uint8Array({ minLength: 1 }), (bytes) => {
      if (bytes[0] !== 0) assert.equal(isPeerPrefix(bytes), false);
    }));
  });

  test("checkPreamble: incomplete, ok, bad magic, other version", () => {
    assert.deepEqual(checkPreamble(PEER_MAGIC), { kind: "incomplete" });
    assert.deepEqual(checkPreamble(encodePreamble()), { kind: "ok" });
    assert.deepEqual(checkPreamble(enc.encode("\x00HELLO")), { kind: "bad", reason: "not a peer connection (bad magic)" });
    const v9 = encodePreamble();
    v9[PEER_MAGIC.byteLength] = 9;
    assert.deepEqual(checkPreamble(v9), {
      kind: "bad",
      reason: "peer speaks protocol version 9, this node speaks 2",
    });
  });

  test("HELLO and CHALLENGE round-trip", () => {
    const hello = { purpose: Purpose.Snapshot, senderId: 7, targetId: 3, senderAddress: "10.0.0.7:11001", nonce: newNonce() };
    assert.deepEqual(decodeHello(encodeHello(hello)), { ok: true, value: hello });
    const challenge = { acceptorId: 3, nonce: newNonce() };
    assert.deepEqual(decodeChallenge(encodeChallenge(challenge)), { ok: true, value: challenge });
  });

  test("bad handshake payloads are error values", () => {
    const hello = encodeHello({ purpose: Purpose.Messages, senderId: 1, targetId: 2, senderAddress: "a:1", nonce: newNonce() });
    assert.match((decodeHello(hello.subarray(0, 10)) as { error: string }).error, /^bad HELLO: truncated nonce/);
    const badPurpose = hello.slice();
    badPurpose[0] = 7;
    assert.deepEqual(decodeHello(badPurpose), { ok: false, error: "bad HELLO: unknown connection purpose 7" });
    const zeroId = hello.slice();
    zeroId[1] = 0;
    assert.deepEqual(decodeHello(zeroId), { ok: false, error: "bad HELLO: sender id 0 is not a positive integer" });
    assert.match((decodeHello(new Uint8Array([...hello, 1])) as { error: string }).error, /unexpected byte/);
    assert.deepEqual(decodeProof(new Uint8Array(5)), { ok: false, error: "bad PROOF: 5 bytes, expected 32" });
    assert.deepEqual(decodeProof(new Uint8Array(0), "ACCEPT"), { ok: false, error: "bad ACCEPT: 0 bytes, expected 32" });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      assert.equal(typeof decodeHello(bytes).ok, "boolean");
      assert.equal(typeof decodeChallenge(bytes).ok, "boolean");
    }), { numRuns: 2000 });
  });

  test("proofs depend on the secret, the role, the nonces and the ids", () => {
    const t = { dialerId: 1, acceptorId: 2, dialerNonce: newNonce(), acceptorNonce: newNonce() };
    const base = computeProof("s3cret", "dialer", t);
    assert.equal(base.byteLength, 32);
    assert.ok(proofMatches(computeProof("s3cret", "dialer", t), base));
    assert.ok(!proofMatches(computeProof("other", "dialer", t), base));
    assert.ok(!proofMatches(computeProof(undefined, "dialer", t), base));
    assert.ok(!proofMatches(computeProof("s3cret", "acceptor", t), base));
    assert.ok(!proofMatches(computeProof("s3cret", "dialer", { ...t, dialerId: 3 }), base));
    assert.ok(!proofMatches(computeProof("s3cret", "dialer", { ...t, acceptorNonce: newNonce() }), base));
    assert.ok(!proofMatches(base.subarray(0, 31), base));
    // No secret and the empty secret are the same "no --auth".
    assert.ok(proofMatches(computeProof(undefined, "dialer", t), computeProof("", "dialer", t)));
    // The secret never appears in a proof.
    assert.ok(!Buffer.from(base).includes("s3cret"));
  });
});

/** The binary message codec: round trips, and garbage never crashes the decoder. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeMessages,
  decodeSnapshotMessage,
  encodeMessages,
  encodeSnapshotMessage,
  MESSAGE_CODEC_VERSION,
} from "../../raft/transport/message_codec.ts";
import type { Message, SnapshotMessage } from "../../raft/core/types.ts";
import { message } from "./arbitraries.ts";

/** Deep equality that treats Uint8Array subclasses and plain arrays alike. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? [...v] : v)));
}

describe("message codec", () => {
  test("random batches round-trip", () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 20 }), (messages) => {
        const decoded = decodeMessages(encodeMessages(messages));
        assert.ok(decoded.ok, decoded.ok ? "" : decoded.error);
        assert.deepEqual(plain(decoded.value), plain(messages));
      }),
      { numRuns: 500 },
    );
  });

  test("every message type round-trips, with exact field values", () => {
    const messages: Message[] = [
      {
        type: "append", from: 1, to: 2, term: 3, prevIndex: 9, prevTerm: 2, commit: 8,
        entries: [
          { index: 10, term: 3, kind: 0, data: new Uint8Array([1, 2, 3]) },
          { index: 11, term: 3, kind: 2, data: new Uint8Array() },
        ],
      },
      { type: "appendResponse", from: 2, to: 1, term: 3, reject: true, index: 9, hintIndex: 4, hintTerm: 2 },
      { type: "vote", from: 1, to: 2, term: 4, lastIndex: 11, lastTerm: 3, transfer: false },
      { type: "preVote", from: 1, to: 2, term: 4, lastIndex: 11, lastTerm: 3, transfer: true },
      { type: "voteResponse", from: 2, to: 1, term: 4, granted: true },
      { type: "preVoteResponse", from: 2, to: 1, term: 4, granted: false },
      { type: "heartbeat", from: 1, to: 2, term: 4, commit: 11, context: 7 },
      { type: "heartbeatResponse", from: 2, to: 1, term: 4, context: 7 },
      {
        type: "snapshot", from: 1, to: 3, term: 4,
        snapshot: {
          index: 100, term: 4,
          config: { members: [{ id: 1, address: "127.0.0.1:11001", voter: true }, { id: 3, address: "h:1", voter: false }] },
        },
      },
      { type: "timeoutNow", from: 1, to: 2, term: Number.MAX_SAFE_INTEGER },
    ];
    const decoded = decodeMessages(encodeMessages(messages));
    assert.ok(decoded.ok);
    assert.deepEqual(plain(decoded.value), plain(messages));
  });

  test("encoding is compact: a heartbeat is a few bytes", () => {
    const bytes = encodeMessages([{ type: "heartbeat", from: 1, to: 2, term: 5, commit: 1000, context: 0 }]);
    assert.ok(bytes.byteLength <= 10, `${bytes.byteLength} bytes`);
    assert.equal(bytes[0], MESSAGE_CODEC_VERSION);
  });

  test("random bytes never crash or hang the decoder", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const decoded = decodeMessages(bytes);
        if (!decoded.ok) assert.match(decoded.error, /^bad message batch: /);
      }),
      { numRuns: 3000 },
    );
  });

  test("random bytes after a valid version byte are rejected or decoded, never thrown", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (tail) => {
        const bytes = new Uint8Array([MESSAGE_CODEC_VERSION, ...tail]);
        const decoded = decodeMessages(bytes);
        assert.equal(typeof decoded.ok, "boolean");
      }),
      { numRuns: 3000 },
    );
  });

  test("every truncation and every single-byte corruption of a valid batch is handled", () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 5 }), fc.nat(), fc.nat(255), (messages, at, byte) => {
        const bytes = encodeMessages(messages);
        const cut = at % bytes.byteLength;
        const truncated = decodeMessages(bytes.subarray(0, cut));
        assert.equal(truncated.ok, false);
        const corrupt = bytes.slice();
        corrupt[cut] = byte;
        assert.equal(typeof decodeMessages(corrupt).ok, "boolean");
      }),
      { numRuns: 1000 },
    );
  });

  test("errors say what is wrong", () => {
    const cases: Array<[number[], RegExp]> = [
      [[], /truncated codec version/],
      [[9, 0], /codec version 9 is not supported \(this node speaks 1\)/],
      [[1, 1, 99, 1, 2, 3], /unknown message tag 99/],
      [[1, 2, 10, 1, 2, 3, 10, 1, 2, 0x80], /truncated term at byte 10/],
      [[1, 0, 0], /1 unexpected byte\(s\) after the last message/],
      [[1, 0xff, 0xff, 0xff, 0xff, 0x0f], /message count \d+ is more than the 0 remaining byte\(s\) can hold/],
      [[1, 1, 10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], /from .* longer than 8 bytes/],
      [[1, 1, 10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0], /exceeds 2\^53 - 1/],
      [[1, 1, 5, 1, 2, 3, 7], /granted flag at byte 6 is 7, not 0 or 1/],
      [[1, 1, 1, 1, 2, 3, 0, 0, 0, 1, 1, 1, 9, 0], /unknown entry kind 9/],
      [[1, 1, 9, 1, 2, 3, 1, 1, 1, 1, 2, 0xc3, 0x28, 1], /member address is not valid UTF-8/],
    ];
    for (const [bytes, pattern] of cases) {
      const decoded = decodeMessages(new Uint8Array(bytes));
      assert.equal(decoded.ok, false, `${bytes} should not decode`);
      assert.match((decoded as { error: string }).error, pattern);
    }
  });

  test("a huge entry count in a small input is refused before allocating", () => {
    // append with 2^50 entries claimed
    const bytes = new Uint8Array([1, 1, 1, 1, 2, 3, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    const decoded = decodeMessages(bytes);
    assert.equal(decoded.ok, false);
    assert.match((decoded as { error: string }).error, /entry count \d+ is more than/);
  });

  test("bad numbers are refused when encoding, with the field name", () => {
    const bad = (term: number) => () => encodeMessages([{ type: "timeoutNow", from: 1, to: 2, term }]);
    assert.throws(bad(-1), /Cannot encode term -1: must be a non-negative safe integer/);
    assert.throws(bad(1.5), RangeError);
    assert.throws(bad(2 ** 53), RangeError);
    assert.throws(bad(NaN), RangeError);
  });

  test("entry data is copied out of the input", () => {
    const bytes = encodeMessages([{
      type: "append", from: 1, to: 2, term: 1, prevIndex: 0, prevTerm: 0, commit: 0,
      entries: [{ index: 1, term: 1, kind: 0, data: new Uint8Array([42]) }],
    }]);
    const decoded = decodeMessages(bytes);
    assert.ok(decoded.ok);
    bytes.fill(0);
    const append = decoded.value[0];
    assert.ok(append.type === "append");
    assert.deepEqual([...append.entries[0].data], [42]);
  });

  test("snapshot header: exactly one snapshot message", () => {
    const snap: SnapshotMessage = {
      type: "snapshot", from: 1, to: 2, term: 3,
      snapshot: { index: 5, term: 3, config: { members: [{ id: 1, address: "a:1", voter: true }] } },
    };
    const decoded = decodeSnapshotMessage(encodeSnapshotMessage(snap));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value, snap);
    const wrong = decodeSnapshotMessage(encodeMessages([{ type: "timeoutNow", from: 1, to: 2, term: 3 }]));
    assert.deepEqual(wrong, { ok: false, error: "bad snapshot header: expected exactly one snapshot message" });
  });
});

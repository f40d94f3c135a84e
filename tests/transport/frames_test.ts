/** Framing: incremental decoding across arbitrary chunk splits, limits, batching. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeFrame, type Frame, FrameDecoder, FrameType } from "../../raft/transport/frames.ts";
import { encodeMessageFrames } from "../../raft/transport/message_batch.ts";
import { decodeMessages } from "../../raft/transport/message_codec.ts";
import type { Message } from "../../raft/core/types.ts";
import { message } from "./arbitraries.ts";
import { concatBytes, splitAt } from "../helpers/chunks.ts";

const frameArb = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  payload: fc.uint8Array({ maxLength: 600 }),
});

function plainFrames(frames: Frame[]) {
  return frames.map((f) => ({ type: f.type, payload: [...f.payload] }));
}

describe("frames", () => {
  test("encodeFrame: u32 length (type + payload), type, payload", () => {
    assert.deepEqual([...encodeFrame(FrameType.Accept, new Uint8Array())], [0, 0, 0, 1, 4]);
    assert.deepEqual([...encodeFrame(FrameType.Refuse, new Uint8Array([7, 8]))], [0, 0, 0, 3, 5, 7, 8]);
  });

  test("frames split anywhere come out whole, once, in order", () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, cuts) => {
        const bytes = concatBytes(frames.map((f) => encodeFrame(f.type as FrameType, f.payload)));
        const decoder = new FrameDecoder(1000);
        const out: Frame[] = [];
        for (const chunk of splitAt(bytes, cuts)) {
          const pushed = decoder.push(chunk);
          assert.equal(pushed.error, undefined);
          out.push(...pushed.frames);
        }
        assert.deepEqual(plainFrames(out), plainFrames(frames.map((f) => ({ type: f.type, payload: f.payload }))));
        assert.equal(decoder.buffered, 0);
      }),
      { numRuns: 500 },
    );
  });

  test("byte-by-byte feeding works", () => {
    const bytes = concatBytes([encodeFrame(6, new Uint8Array([1, 2, 3])), encodeFrame(8, new Uint8Array(300).fill(9))]);
    const decoder = new FrameDecoder();
    const out: Frame[] = [];
    for (const byte of bytes) out.push(...decoder.push(new Uint8Array([byte])).frames);
    assert.equal(out.length, 2);
    assert.deepEqual([...out[0].payload], [1, 2, 3]);
    assert.equal(out[1].payload.byteLength, 300);
  });

  test("a length of 0 or above the limit poisons the decoder with a clear error", () => {
    const zero = new FrameDecoder();
    assert.match(zero.push(new Uint8Array([0, 0, 0, 0, 1])).error ?? "", /length 0/);
    assert.match(zero.push(encodeFrame(4, new Uint8Array())).error ?? "", /length 0/, "stays poisoned");

    const small = new FrameDecoder(100);
    const ok = small.push(encodeFrame(6, new Uint8Array(99)));
    assert.equal(ok.frames.length, 1);
    const big = small.push(new Uint8Array([0, 0, 0, 101]));
    assert.equal(big.error, "bad frame: length 101 exceeds the limit of 100 bytes");
    // A 4 GiB claim is refused at once, without waiting for (or buffering) the bytes.
    const huge = new FrameDecoder();
    assert.match(huge.push(new Uint8Array([0xff, 0xff, 0xff, 0xff])).error ?? "", /exceeds the limit/);
  });

  test("frames before a bad one are still returned", () => {
    const bytes = concatBytes([encodeFrame(6, new Uint8Array([1])), new Uint8Array([0, 0, 0, 0])]);
    const pushed = new FrameDecoder().push(bytes);
    assert.equal(pushed.frames.length, 1);
    assert.match(pushed.error ?? "", /length 0/);
  });

  test("random bytes never crash the decoder", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const decoder = new FrameDecoder(256);
        for (const chunk of chunks) {
          const pushed = decoder.push(chunk);
          for (const f of pushed.frames) assert.ok(f.payload.byteLength < 256);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe("message batches", () => {
  function decodeAll(bytes: Uint8Array, max: number): { frames: number; messages: Message[] } {
    const pushed = new FrameDecoder(max).push(bytes);
    assert.equal(pushed.error, undefined);
    const messages: Message[] = [];
    for (const frame of pushed.frames) {
      assert.equal(frame.type, FrameType.Messages);
      assert.ok(frame.payload.byteLength + 1 <= max);
      const decoded = decodeMessages(frame.payload);
      assert.ok(decoded.ok, decoded.ok ? "" : decoded.error);
      messages.push(...decoded.value);
    }
    return { frames: pushed.frames.length, messages };
  }

  test("a queue becomes frames within the limit, every message once, in order", () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 40 }), fc.integer({ min: 2000, max: 20_000 }), (messages, max) => {
        const batch = encodeMessageFrames(messages, max);
        assert.equal(batch.count + batch.rejected.length, messages.length);
        const { messages: out } = decodeAll(batch.bytes, max);
        const kept = messages.filter((m) => !batch.rejected.some((r) => r.message === m));
        assert.equal(out.length, kept.length);
        assert.deepEqual(out.map((m) => [m.type, m.from, m.to, m.term]), kept.map((m) => [m.type, m.from, m.to, m.term]));
      }),
      { numRuns: 300 },
    );
  });

  test("small messages share one frame", () => {
    const messages: Message[] = Array.from({ length: 100 }, (_, i) => ({
      type: "heartbeat", from: 1, to: 2, term: 1, commit: i, context: 0,
    }));
    const batch = encodeMessageFrames(messages, 1 << 20);
    const { frames, messages: out } = decodeAll(batch.bytes, 1 << 20);
    assert.equal(frames, 1);
    assert.deepEqual(out.map((m) => (m as { commit: number }).commit), messages.map((_, i) => i));
  });

  test("an unencodable or oversized message is rejected alone", () => {
    const data = new Uint8Array(5000);
    const messages: Message[] = [
      { type: "timeoutNow", from: 1, to: 2, term: 1 },
      { type: "timeoutNow", from: 1, to: 2, term: -5 },
      { type: "append", from: 1, to: 2, term: 1, prevIndex: 0, prevTerm: 0, commit: 0, entries: [{ index: 1, term: 1, kind: 0, data }] },
      { type: "timeoutNow", from: 1, to: 2, term: 2 },
    ];
    const batch = encodeMessageFrames(messages, 1000);
    assert.equal(batch.count, 2);
    assert.deepEqual(batch.rejected.map((r) => r.error), [
      "Cannot encode term -5: must be a non-negative safe integer",
      "append message of 5013 bytes exceeds the frame limit of 1000 bytes",
    ]);
    assert.deepEqual(decodeAll(batch.bytes, 1000).messages.map((m) => m.term), [1, 2]);
  });
});

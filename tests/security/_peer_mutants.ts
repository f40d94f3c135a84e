/**
 * Hostile peer-protocol inputs, from a seeded generator: Raft messages with
 * absurd fields, their encodings mutated, handshake frames mutated, frame
 * headers with absurd lengths. Pure: Rng in, values and bytes out.
 */
import type { Rng } from "../sim/rng.ts";
import { EntryKind } from "../../raft/log_entry.ts";
import type { Message } from "../../raft/core/types.ts";
import { encodeFrame, FrameType } from "../../raft/transport/frames.ts";
import { encodeHello, encodePreamble, newNonce, Purpose } from "../../raft/transport/handshake.ts";
import { encodeMessages } from "../../raft/transport/message_codec.ts";

/** Numbers a message field may claim: small, plausible, and absurd. */
function number(rng: Rng): number {
  return rng.pick([0, 1, 2, 3, rng.int(0, 50), rng.int(0, 10_000), 2 ** 31, 2 ** 32, 2 ** 40, Number.MAX_SAFE_INTEGER]);
}

function bytes(rng: Rng, max: number): Uint8Array {
  return Uint8Array.from({ length: rng.int(0, max) }, () => rng.int(0, 255));
}

/** A random well-formed message of any type, from `from` to `to`. */
export function randomMessage(rng: Rng, from: number, to: number): Message {
  const term = number(rng);
  const base = { from, to, term };
  switch (rng.int(0, 9)) {
    case 0: {
      const prevIndex = number(rng);
      const entries = Array.from({ length: rng.int(0, 4) }, (_, i) => ({
        index: rng.chance(0.8) ? Math.min(prevIndex + 1 + i, Number.MAX_SAFE_INTEGER) : number(rng),
        term: rng.chance(0.8) ? term : number(rng),
        kind: rng.pick([EntryKind.Command, EntryKind.Noop, EntryKind.Config]),
        data: bytes(rng, 64),
      }));
      return { ...base, type: "append", prevIndex, prevTerm: number(rng), commit: number(rng), entries };
    }
    case 1:
      return { ...base, type: "appendResponse", reject: rng.chance(0.5), index: number(rng), hintIndex: number(rng), hintTerm: number(rng) };
    case 2:
      return { ...base, type: "vote", lastIndex: number(rng), lastTerm: number(rng), transfer: rng.chance(0.5) };
    case 3:
      return { ...base, type: "preVote", lastIndex: number(rng), lastTerm: number(rng), transfer: rng.chance(0.5) };
    case 4:
      return { ...base, type: "voteResponse", granted: rng.chance(0.5) };
    case 5:
      return { ...base, type: "preVoteResponse", granted: rng.chance(0.5) };
    case 6:
      return { ...base, type: "heartbeat", commit: number(rng), context: number(rng) };
    case 7:
      return { ...base, type: "heartbeatResponse", context: number(rng) };
    case 8: {
      const members = Array.from({ length: rng.int(0, 3) }, () => ({ id: number(rng), address: "127.0.0.1:1", voter: rng.chance(0.5) }));
      return { ...base, type: "snapshot", snapshot: { index: number(rng), term: number(rng), config: { members } } };
    }
    default:
      return { ...base, type: "timeoutNow" };
  }
}

/** Flips, inserts, deletes or overwrites a few bytes, or truncates. */
export function mutateBytes(rng: Rng, input: Uint8Array): Uint8Array {
  const out = [...input];
  if (rng.chance(0.2)) return Uint8Array.from(out.slice(0, rng.int(0, Math.max(0, out.length - 1))));
  for (let n = rng.int(1, 4); n > 0; n--) {
    const at = rng.int(0, Math.max(0, out.length - 1));
    switch (rng.int(0, 3)) {
      case 0:
        out[at] ^= 1 << rng.int(0, 7);
        break;
      case 1:
        out.splice(at, 0, rng.pick([0x00, 0x01, 0x7f, 0x80, 0xff, rng.int(0, 255)]));
        break;
      case 2:
        out.splice(at, 1);
        break;
      default:
        out[at] = rng.int(0, 255);
    }
  }
  return Uint8Array.from(out);
}

export type PayloadKind = "valid batch" | "mutated batch" | "noise batch" | "misaddressed batch";

/**
 * A MESSAGES payload for a stranger `from` talking to node `to`: valid
 * batches of absurd messages, ones claiming another sender or receiver, and
 * mutated or random bytes.
 */
export function messagesPayload(rng: Rng, from: number, to: number, members: readonly number[]): { kind: PayloadKind; bytes: Uint8Array } {
  const roll = rng.int(0, 99);
  const count = rng.int(1, 8);
  if (roll < 10) {
    const claimed = Array.from({ length: count }, () => randomMessage(rng, rng.pick(members), rng.pick([to, ...members, 0])));
    return { kind: "misaddressed batch", bytes: encodeMessages(claimed) };
  }
  const batch = encodeMessages(Array.from({ length: count }, () => randomMessage(rng, from, to)));
  if (roll < 45) return { kind: "valid batch", bytes: batch };
  if (roll < 90) return { kind: "mutated batch", bytes: mutateBytes(rng, batch) };
  return { kind: "noise batch", bytes: bytes(rng, 300) };
}

/** A frame header claiming an absurd length (nothing, or a little, follows). */
export function absurdHeader(rng: Rng): Uint8Array {
  const length = rng.pick([0, 4097, 64 * 1024 * 1024 + 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]);
  const out = new Uint8Array(5 + rng.int(0, 16));
  new DataView(out.buffer).setUint32(0, length, false);
  out[4] = rng.int(0, 12);
  return out;
}

export type HandshakeKind =
  | "mutated preamble" | "mutated hello" | "unexpected frame type" | "absurd length" | "bad proof" | "noise";

/**
 * The start of a connection that must not get past the handshake: the
 * preamble (maybe mutated), then one hostile frame or a few raw bytes. A
 * hello claiming an id of the node itself, or another target, also counts.
 */
export function hostileHandshake(rng: Rng, targetId: number): { kind: HandshakeKind; bytes: Uint8Array[] } {
  const preamble = encodePreamble();
  const hello = () =>
    encodeHello({
      purpose: rng.pick([Purpose.Messages, Purpose.Snapshot]),
      senderId: rng.pick([targetId, 1000 + rng.int(0, 1000), number(rng) || 1]),
      targetId: rng.pick([targetId, 0, number(rng)]),
      senderAddress: rng.chance(0.9) ? "127.0.0.1:1" : "x".repeat(rng.int(1000, 1100)),
      nonce: newNonce(),
    });
  switch (rng.int(0, 5)) {
    case 0:
      return { kind: "mutated preamble", bytes: [mutateBytes(rng, preamble), encodeFrame(FrameType.Hello, hello())] };
    case 1:
      return { kind: "mutated hello", bytes: [preamble, encodeFrame(FrameType.Hello, mutateBytes(rng, hello()))] };
    case 2: {
      const type = rng.pick([FrameType.Challenge, FrameType.Proof, FrameType.Accept, FrameType.Messages, FrameType.SnapshotBegin, 0, 11, 255]);
      return { kind: "unexpected frame type", bytes: [preamble, encodeFrame(type as FrameType, bytes(rng, 100))] };
    }
    case 3:
      return { kind: "absurd length", bytes: [preamble, absurdHeader(rng)] };
    case 4:
      // A HELLO the node answers, then a proof of the wrong secret or size.
      return { kind: "bad proof", bytes: [preamble, encodeFrame(FrameType.Hello, hello()), encodeFrame(FrameType.Proof, bytes(rng, 40))] };
    default:
      return { kind: "noise", bytes: [preamble.subarray(0, rng.int(1, preamble.length)), bytes(rng, 600)] };
  }
}

/**
 * Turns a peer's queue of messages into as few MESSAGES frames as the frame
 * limit allows, ready for one socket write. Pure.
 */
import { ByteWriter } from "./byte_io.ts";
import { FrameType } from "./frames.ts";
import { MESSAGE_CODEC_VERSION, writeMessage } from "./message_codec.ts";
import type { Message } from "../core/types.ts";

/** Type byte + codec version + the longest count varint. */
const FRAME_OVERHEAD_BYTES = 1 + 1 + 8;

/** What `encodeMessageFrames` produced. */
export interface EncodedBatch {
  /** One or more complete frames, back to back. */
  readonly bytes: Uint8Array;
  /** How many messages the frames carry. */
  readonly count: number;
  /** Messages left out, with why (a bad field, or too big for a frame). */
  readonly rejected: ReadonlyArray<{ readonly message: Message; readonly error: string }>;
}

/**
 * Encodes `messages`, in order, into MESSAGES frames of at most
 * `maxFrameBytes` (type + payload) each. Never throws: a message that cannot
 * be encoded is left out and listed in `rejected`.
 * @param messages the queue, oldest first
 * @param maxFrameBytes the peer's frame limit
 */
export function encodeMessageFrames(messages: readonly Message[], maxFrameBytes: number): EncodedBatch {
  const body = new ByteWriter(64 + messages.length * 32);
  const ends: number[] = [];
  const rejected: Array<{ message: Message; error: string }> = [];
  for (const message of messages) {
    const start = body.length;
    try {
      writeMessage(body, message);
    } catch (error) {
      body.truncate(start);
      rejected.push({ message, error: error instanceof Error ? error.message : String(error) });
      continue;
    }
    const size = body.length - start;
    if (size + FRAME_OVERHEAD_BYTES > maxFrameBytes) {
      body.truncate(start);
      rejected.push({ message, error: `${message.type} message of ${size} bytes exceeds the frame limit of ${maxFrameBytes} bytes` });
      continue;
    }
    ends.push(body.length);
  }
  const encoded = body.view();
  const out = new ByteWriter(encoded.byteLength + 16 + Math.ceil(encoded.byteLength / maxFrameBytes) * 16);
  let first = 0;
  while (first < ends.length) {
    const start = first === 0 ? 0 : ends[first - 1];
    let last = first;
    while (last + 1 < ends.length && ends[last + 1] - start + FRAME_OVERHEAD_BYTES <= maxFrameBytes) last++;
    const count = last - first + 1;
    const countBytes = varintLength(count);
    out.u32(1 + 1 + countBytes + ends[last] - start);
    out.u8(FrameType.Messages);
    out.u8(MESSAGE_CODEC_VERSION);
    out.varint(count);
    out.raw(encoded.subarray(start, ends[last]));
    first = last + 1;
  }
  return { bytes: out.finish(), count: ends.length, rejected };
}

function varintLength(n: number): number {
  let bytes = 1;
  for (let rest = n; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes++;
  return bytes;
}

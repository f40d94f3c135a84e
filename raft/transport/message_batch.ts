/**
 * Turns a peer's queue of messages into as few MESSAGES frames as the frame
 * limit allows, written straight into one buffer for one socket write. Pure.
 *
 * Each frame's length and message count are patched in once the frame is
 * full; the count is a zero-padded 4-byte varint (valid LEB128), so a frame
 * never has to be moved.
 */
import { ByteWriter } from "./byte_io.ts";
import { FrameType } from "./frames.ts";
import { MESSAGE_CODEC_VERSION, writeMessage } from "./message_codec.ts";
import type { Message } from "../core/types.ts";

/** Width of the padded count varint: up to 2^28 − 1 messages per frame. */
const COUNT_BYTES = 4;
/** Length field + type + codec version + count. */
const FRAME_HEAD_BYTES = 4 + 1 + 1 + COUNT_BYTES;

/** What `encodeMessageFrames` produced. */
export interface EncodedBatch {
  /** One or more complete frames, back to back (empty if no message could be encoded). */
  readonly bytes: Uint8Array;
  /** How many messages the frames carry. */
  readonly count: number;
  /** Messages left out, with why (a bad field, or too big for a frame). */
  readonly rejected: ReadonlyArray<{ readonly message: Message; readonly error: string }>;
}

/** A guess of the encoded size, so the buffer rarely grows. */
function estimateBytes(messages: readonly Message[]): number {
  let bytes = 64;
  for (const m of messages) {
    bytes += 48;
    if (m.type === "append") for (const e of m.entries) bytes += 24 + e.data.byteLength;
  }
  return bytes;
}

/**
 * Encodes `messages`, in order, into MESSAGES frames of at most
 * `maxFrameBytes` (type + payload) each. Never throws: a message that cannot
 * be encoded is left out and listed in `rejected`.
 * @param messages the queue, oldest first
 * @param maxFrameBytes the peer's frame limit
 */
export function encodeMessageFrames(messages: readonly Message[], maxFrameBytes: number): EncodedBatch {
  const w = new ByteWriter(estimateBytes(messages));
  const rejected: Array<{ message: Message; error: string }> = [];
  let total = 0;
  let frameStart = -1;
  let frameCount = 0;

  const closeFrame = () => {
    if (frameStart < 0) return;
    if (frameCount === 0) w.truncate(frameStart);
    else {
      w.u32At(frameStart, w.length - frameStart - 4);
      w.paddedVarintAt(frameStart + 6, frameCount, COUNT_BYTES);
    }
    frameStart = -1;
  };
  const openFrame = () => {
    frameStart = w.skip(4);
    w.u8(FrameType.Messages);
    w.u8(MESSAGE_CODEC_VERSION);
    w.skip(COUNT_BYTES);
    frameCount = 0;
  };

  for (const message of messages) {
    if (frameStart < 0) openFrame();
    const start = w.length;
    try {
      writeMessage(w, message);
    } catch (error) {
      w.truncate(start);
      rejected.push({ message, error: error instanceof Error ? error.message : String(error) });
      continue;
    }
    if (w.length - frameStart - 4 <= maxFrameBytes) {
      frameCount++;
      total++;
      continue;
    }
    // Too big for this frame: move it to a frame of its own, if it fits one.
    const size = w.length - start;
    w.truncate(start);
    if (size + FRAME_HEAD_BYTES - 4 > maxFrameBytes) {
      rejected.push({ message, error: `${message.type} message of ${size} bytes exceeds the frame limit of ${maxFrameBytes} bytes` });
      continue;
    }
    closeFrame();
    openFrame();
    writeMessage(w, message);
    frameCount++;
    total++;
  }
  closeFrame();
  return { bytes: w.view(), count: total, rejected };
}

/**
 * Sending one snapshot on a dedicated, authenticated snapshot connection
 * (see snapshot_receive.ts for the exchange). Writes wait for the socket to
 * drain, so a slow receiver slows the reader of the snapshot file, not
 * memory.
 */
import type { FrameSocket } from "./frame_socket.ts";
import { FrameType } from "./frames.ts";
import { decodeReason } from "./handshake.ts";
import { encodeSnapshotMessage } from "./message_codec.ts";
import type { SnapshotMessage } from "../core/types.ts";

export interface SnapshotSendOptions {
  /** Largest payload of one chunk frame. */
  readonly chunkBytes: number;
  /** How long to wait for the receiver's verdict after the last byte. */
  readonly resultTimeoutMs: number;
}

/** Outcome of a snapshot send: the byte count, or why it failed. */
export type SnapshotSendResult =
  | { readonly ok: true; readonly bytes: number }
  | { readonly ok: false; readonly error: string };

/**
 * Streams `message` and `chunks` over `conn` and waits for the receiver's
 * verdict. Never rejects; closes `conn` when done.
 */
export async function streamSnapshot(
  conn: FrameSocket,
  message: SnapshotMessage,
  chunks: AsyncIterable<Uint8Array>,
  o: SnapshotSendOptions,
): Promise<SnapshotSendResult> {
  let verdict: SnapshotSendResult | undefined;
  let settle: (result: SnapshotSendResult) => void = () => {};
  const settled = new Promise<SnapshotSendResult>((resolve) => {
    settle = (result) => {
      verdict ??= result;
      resolve(verdict);
    };
  });
  let bytes = 0;
  conn.onFrame = (frame) => {
    if (frame.type === FrameType.SnapshotResult) {
      settle(frame.payload.byteLength === 0 ? { ok: true, bytes } : { ok: false, error: `refused by the receiver: ${decodeReason(frame.payload)}` });
    } else if (frame.type === FrameType.Refuse) {
      settle({ ok: false, error: `refused by the receiver: ${decodeReason(frame.payload)}` });
    } else {
      settle({ ok: false, error: `unexpected frame type ${frame.type} from the receiver` });
    }
  };
  conn.onClose = (reason) => settle({ ok: false, error: `connection lost after ${bytes} bytes: ${reason}` });
  if (conn.closed) conn.onClose(conn.closeReason);

  try {
    if (!verdict) {
      conn.send(FrameType.SnapshotBegin, encodeSnapshotMessage(message));
      for await (const chunk of chunks) {
        for (let at = 0; at < chunk.byteLength && !verdict; at += o.chunkBytes) {
          const piece = chunk.subarray(at, at + o.chunkBytes);
          bytes += piece.byteLength;
          if (!conn.send(FrameType.SnapshotChunk, piece) && !(await conn.drained())) {
            settle({ ok: false, error: `connection lost after ${bytes} bytes: ${conn.closeReason}` });
          }
        }
        if (verdict) break;
      }
    }
    if (!verdict) conn.send(FrameType.SnapshotEnd, new Uint8Array(0));
  } catch (error) {
    settle({ ok: false, error: `reading the snapshot failed after ${bytes} bytes: ${error instanceof Error ? error.message : error}` });
  }
  const timer = setTimeout(
    () => settle({ ok: false, error: `no verdict from the receiver within ${o.resultTimeoutMs} ms` }),
    o.resultTimeoutMs,
  );
  const result = await settled;
  clearTimeout(timer);
  conn.destroy(result.ok ? "snapshot sent" : result.error);
  return result;
}

/**
 * Receiving one snapshot on an authenticated snapshot connection:
 *
 *   sender → receiver  SNAPSHOT_BEGIN (the snapshot message), SNAPSHOT_CHUNK × n,
 *                      SNAPSHOT_END
 *   receiver → sender  SNAPSHOT_RESULT: empty when installed, else the reason
 *
 * The bytes reach the installer (`onSnapshot`) as an async iterable; the
 * socket is paused while the installer lags behind.
 */
import { ChunkStream } from "./chunk_stream.ts";
import type { FrameSocket } from "./frame_socket.ts";
import { type Frame, FrameType } from "./frames.ts";
import { encodeReason } from "./handshake.ts";
import { decodeSnapshotMessage } from "./message_codec.ts";
import type { SnapshotMessage } from "../core/types.ts";
import type { Logger } from "../logger.ts";

/** Installs a snapshot from its bytes; resolves when installed. */
export type SnapshotHandler = (message: SnapshotMessage, data: AsyncIterable<Uint8Array>) => Promise<void>;

export interface SnapshotReceiveContext {
  readonly selfId: number;
  readonly snapshotHighWaterBytes: number;
  readonly log: Logger;
  readonly onSnapshot: SnapshotHandler;
}

/**
 * Takes over the frames of `conn` (already authenticated as `peerId`) to
 * receive one snapshot.
 * @returns what to call when the connection closes
 */
export function receiveSnapshot(
  conn: FrameSocket,
  peerId: number,
  ctx: SnapshotReceiveContext,
): (reason: string) => void {
  let stream: ChunkStream | undefined;
  let message: SnapshotMessage | undefined;
  let ended = false;
  const what = () => (message ? `snapshot ${message.snapshot.term}/${message.snapshot.index} from node ${peerId}` : `snapshot from node ${peerId}`);

  const answer = (error: string | undefined) => {
    if (conn.closed) return;
    conn.send(FrameType.SnapshotResult, error === undefined ? new Uint8Array(0) : encodeReason(error));
    conn.end(error === undefined ? "snapshot installed" : `snapshot refused: ${error}`);
  };

  const begin = (frame: Frame) => {
    const decoded = decodeSnapshotMessage(frame.payload);
    if (!decoded.ok) return answer(decoded.error);
    message = decoded.value;
    if (message.from !== peerId || message.to !== ctx.selfId) {
      return answer(`snapshot message from ${message.from} to ${message.to} on node ${peerId}'s connection to node ${ctx.selfId}`);
    }
    const chunks = new ChunkStream({
      highWaterBytes: ctx.snapshotHighWaterBytes,
      onFull: () => conn.setReading(false),
      onDrained: () => conn.setReading(true),
      onAbandoned: () => conn.setReading(true),
    });
    stream = chunks;
    ctx.log.verb(`receiving ${what()}`);
    let installing: Promise<void>;
    try {
      installing = Promise.resolve(ctx.onSnapshot(message, chunks));
    } catch (error) {
      installing = Promise.reject(error);
    }
    installing.then(
      () => {
        if (!ended && !chunks.abandoned) {
          // Installed without reading to the end: accept, but say so.
          ctx.log.warn(`${what()} was installed before its last byte arrived`);
        }
        ctx.log.verb(`installed ${what()} (${chunks.received} bytes)`);
        answer(undefined);
      },
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        ctx.log.warn(`could not install ${what()}: ${reason}`);
        answer(reason);
      },
    );
  };

  conn.onFrame = (frame) => {
    if (frame.type === FrameType.SnapshotBegin && stream === undefined) return begin(frame);
    if (frame.type === FrameType.SnapshotChunk && stream !== undefined && !ended) {
      return stream.push(frame.payload);
    }
    if (frame.type === FrameType.SnapshotEnd && stream !== undefined && !ended) {
      ended = true;
      return stream.end();
    }
    const reason = `unexpected frame type ${frame.type} in a snapshot stream`;
    ctx.log.warn(`${what()}: ${reason}`);
    stream?.fail(new Error(`${what()} failed: ${reason}`));
    answer(reason);
  };
  return (reason) => {
    if (stream !== undefined && !ended) {
      stream.fail(new Error(`${what()} broke off after ${stream.received} bytes: ${reason}`));
    }
  };
}

/**
 * Framing of a peer connection. Pure: bytes in, frames out, no I/O.
 *
 *   frame = length u32 (big-endian; counts the type byte and the payload)
 *         | type u8 | payload (length − 1 bytes)
 *
 * `FrameDecoder` accepts the bytes in chunks split anywhere and yields each
 * complete frame once; a length of 0 or above the limit poisons the decoder
 * with an error (the connection must then be closed).
 */

/** Frame types. Handshake frames first, then traffic. */
export const FrameType = {
  /** Dialer → acceptor: who I am, what this connection is for, my nonce. */
  Hello: 1,
  /** Acceptor → dialer: who I am, my nonce, proof that I know the secret. */
  Challenge: 2,
  /** Dialer → acceptor: proof that I know the secret. */
  Proof: 3,
  /** Acceptor → dialer: handshake done. */
  Accept: 4,
  /** Either side: refused, with a reason (UTF-8); the sender then closes. */
  Refuse: 5,
  /** A batch of Raft messages (see message_codec.ts). */
  Messages: 6,
  /** Snapshot connection: the snapshot message (metadata). */
  SnapshotBegin: 7,
  /** Snapshot connection: the next bytes of the snapshot data. */
  SnapshotChunk: 8,
  /** Snapshot connection: no more bytes. */
  SnapshotEnd: 9,
  /** Snapshot connection, receiver → sender: installed (empty) or not (reason). */
  SnapshotResult: 10,
} as const;
export type FrameType = typeof FrameType[keyof typeof FrameType];

/** Bytes of the length field. */
export const FRAME_HEADER_BYTES = 4;

/** Default largest frame (type + payload) accepted from an authenticated peer. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** One decoded frame. `payload` may be a view into the bytes pushed. */
export interface Frame {
  readonly type: number;
  readonly payload: Uint8Array;
}

/**
 * Encodes one frame.
 * @param type a FrameType value
 * @param payload the frame's body
 * @returns `[u32 length][u8 type][payload]`
 * @example
 * ```ts
 * encodeFrame(FrameType.Accept, new Uint8Array()); // Uint8Array [0, 0, 0, 1, 4]
 * ```
 */
export function encodeFrame(type: FrameType, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_BYTES + 1 + payload.byteLength);
  new DataView(out.buffer).setUint32(0, 1 + payload.byteLength, false);
  out[FRAME_HEADER_BYTES] = type;
  out.set(payload, FRAME_HEADER_BYTES + 1);
  return out;
}

/** What one `push` produced: the complete frames, and an error if the stream is bad. */
export interface FramePush {
  readonly frames: Frame[];
  /** Set once the stream is invalid; every later push returns it again. */
  readonly error?: string;
}

/** Incremental frame decoder; feed it socket chunks in order. */
export class FrameDecoder {
  readonly #chunks: Uint8Array[] = [];
  #buffered = 0;
  #maxFrameBytes: number;
  #error: string | undefined;

  /** @param maxFrameBytes largest accepted type + payload, in bytes */
  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Changes the limit (e.g. small during the handshake, larger once authenticated). */
  set maxFrameBytes(bytes: number) {
    this.#maxFrameBytes = bytes;
  }

  get maxFrameBytes(): number {
    return this.#maxFrameBytes;
  }

  /** Bytes received but not yet returned in a frame. */
  get buffered(): number {
    return this.#buffered;
  }

  /**
   * Adds the next chunk and returns every frame it completes.
   * Views into `chunk` may be returned, so do not reuse its memory.
   */
  push(chunk: Uint8Array): FramePush {
    if (this.#error !== undefined) return { frames: [], error: this.#error };
    if (chunk.byteLength > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.byteLength;
    }
    const frames: Frame[] = [];
    while (this.#buffered >= FRAME_HEADER_BYTES) {
      const length = this.#peekLength();
      if (length === 0 || length > this.#maxFrameBytes) {
        this.#error = length === 0
          ? "bad frame: length 0 (a frame has at least a type byte)"
          : `bad frame: length ${length} exceeds the limit of ${this.#maxFrameBytes} bytes`;
        this.#chunks.length = 0;
        this.#buffered = 0;
        return { frames, error: this.#error };
      }
      if (this.#buffered < FRAME_HEADER_BYTES + length) break;
      this.#take(FRAME_HEADER_BYTES);
      const body = this.#take(length);
      frames.push({ type: body[0], payload: body.subarray(1) });
    }
    return { frames };
  }

  #peekLength(): number {
    const first = this.#chunks[0];
    if (first.byteLength >= FRAME_HEADER_BYTES) {
      return new DataView(first.buffer, first.byteOffset, FRAME_HEADER_BYTES).getUint32(0, false);
    }
    const head = this.#copy(FRAME_HEADER_BYTES);
    return new DataView(head.buffer).getUint32(0, false);
  }

  /** Copies the first `n` buffered bytes without consuming them. */
  #copy(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    for (const chunk of this.#chunks) {
      const part = chunk.subarray(0, n - filled);
      out.set(part, filled);
      filled += part.byteLength;
      if (filled === n) break;
    }
    return out;
  }

  /** Consumes the first `n` buffered bytes (n ≤ buffered): a view when they lie in one chunk. */
  #take(n: number): Uint8Array {
    const first = this.#chunks[0];
    let out: Uint8Array;
    if (first.byteLength >= n) {
      out = first.subarray(0, n);
      if (first.byteLength === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const chunk = this.#chunks[0];
        const part = chunk.subarray(0, n - filled);
        out.set(part, filled);
        filled += part.byteLength;
        if (part.byteLength === chunk.byteLength) this.#chunks.shift();
        else this.#chunks[0] = chunk.subarray(part.byteLength);
      }
    }
    this.#buffered -= n;
    return out;
  }
}

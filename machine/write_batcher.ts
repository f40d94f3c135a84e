/**
 * Batches write commands from many clients into one log entry (up to
 * `maxBatch` commands), the way uhaha packs up to 256 per entry. Each
 * caller gets its own result; a failed proposal fails every command in it.
 */
import { encodeBatch } from "./log_payload.ts";

/** Proposes one encoded batch; resolves with one result per command. */
export type ProposeBatch = (payload: Uint8Array) => Promise<readonly unknown[]>;

interface QueuedWrite {
  readonly args: readonly Uint8Array[];
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/**
 * Largest log entry the batcher builds, in bytes. A single write larger than
 * this is refused: the peer transport's frames are limited (64 MiB), and a
 * log entry that cannot be sent would never commit.
 */
export const MAX_ENTRY_BYTES = 32 * 1024 * 1024;

function encodedSize(args: readonly Uint8Array[]): number {
  return args.reduce((sum, arg) => sum + 4 + arg.length, 4);
}

export class WriteBatcher {
  readonly #propose: ProposeBatch;
  readonly #maxBatch: number;
  #queue: QueuedWrite[] = [];
  #scheduled = false;

  constructor(propose: ProposeBatch, maxBatch = 256) {
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be ≥ 1, got ${maxBatch}`);
    this.#propose = propose;
    this.#maxBatch = maxBatch;
  }

  /** Queues one write; it is proposed with the others queued in the same turn of the event loop. */
  write(args: readonly Uint8Array[]): Promise<unknown> {
    const size = encodedSize(args);
    if (size > MAX_ENTRY_BYTES) {
      return Promise.reject(new Error(`write too large: ${size} bytes, the most one write may carry is ${MAX_ENTRY_BYTES}`));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ args, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // After the current I/O callbacks, so a read of many pipelined commands lands in one batch.
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    let batch: QueuedWrite[] = [];
    let bytes = 0;
    for (const write of queue) {
      const size = encodedSize(write.args);
      if (batch.length === this.#maxBatch || (batch.length > 0 && bytes + size > MAX_ENTRY_BYTES)) {
        this.#proposeBatch(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(write);
      bytes += size;
    }
    if (batch.length > 0) this.#proposeBatch(batch);
  }

  #proposeBatch(batch: QueuedWrite[]): void {
    this.#propose(encodeBatch(batch.map((w) => w.args))).then(
      (results) => batch.forEach((w, i) => w.resolve(results[i])),
      (error: Error) => batch.forEach((w) => w.reject(error)),
    );
  }
}

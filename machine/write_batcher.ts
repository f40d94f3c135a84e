/**
 * Batches write commands from many clients into one log entry (up to
 * `maxBatch` commands), the way uhaha packs up to 256 per entry. Each
 * caller gets its own result; a failed proposal fails every command in it.
 * Writes that wait (queued here or proposed and not yet applied) are
 * bounded: beyond `maxQueued` writes or MAX_QUEUED_BYTES, a write is refused
 * at once with BusyError instead of growing the queue while the log is slow.
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

/** Most bytes of writes waiting at once (queued or proposed and not yet applied). */
export const MAX_QUEUED_BYTES = 8 * MAX_ENTRY_BYTES;

/** Too many writes are waiting for the log; nothing was done. Safe to retry later. */
export class BusyError extends Error {
  constructor(what: string) {
    // BUSY: the code Redis uses for "the server cannot take this now".
    super(`BUSY ${what} waiting for the log, the most this node queues; retry later`);
    this.name = "BusyError";
  }
}

function encodedSize(args: readonly Uint8Array[]): number {
  return args.reduce((sum, arg) => sum + 4 + arg.length, 4);
}

export class WriteBatcher {
  readonly #propose: ProposeBatch;
  readonly #maxBatch: number;
  readonly #maxQueued: number;
  #queue: QueuedWrite[] = [];
  #scheduled = false;
  #waiting = 0;
  #waitingBytes = 0;

  /**
   * @param maxBatch most writes in one log entry
   * @param maxQueued most writes waiting at once (0: no limit)
   */
  constructor(propose: ProposeBatch, maxBatch = 256, maxQueued = 0) {
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be ≥ 1, got ${maxBatch}`);
    if (!Number.isSafeInteger(maxQueued) || maxQueued < 0) throw new RangeError(`maxQueued must be ≥ 0, got ${maxQueued}`);
    this.#propose = propose;
    this.#maxBatch = maxBatch;
    this.#maxQueued = maxQueued;
  }

  /** Writes queued or proposed whose outcome is not known yet. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Queues one write; it is proposed with the others queued in the same turn of the event loop. */
  write(args: readonly Uint8Array[]): Promise<unknown> {
    const size = encodedSize(args);
    if (size > MAX_ENTRY_BYTES) {
      return Promise.reject(new Error(`write too large: ${size} bytes, the most one write may carry is ${MAX_ENTRY_BYTES}`));
    }
    if (this.#maxQueued > 0 && this.#waiting >= this.#maxQueued) {
      return Promise.reject(new BusyError(`${this.#waiting} writes are`));
    }
    if (this.#waitingBytes + size > MAX_QUEUED_BYTES) {
      return Promise.reject(new BusyError(`${this.#waitingBytes} bytes of writes are`));
    }
    this.#waiting++;
    this.#waitingBytes += size;
    return new Promise((resolve, reject) => {
      this.#queue.push({
        args,
        resolve: (result) => {
          this.#settled(size);
          resolve(result);
        },
        reject: (error) => {
          this.#settled(size);
          reject(error);
        },
      });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // After the current I/O callbacks, so a read of many pipelined commands lands in one batch.
        setImmediate(() => this.#flush());
      }
    });
  }

  #settled(size: number): void {
    this.#waiting--;
    this.#waitingBytes -= size;
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

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
    for (let at = 0; at < queue.length; at += this.#maxBatch) {
      const batch = queue.slice(at, at + this.#maxBatch);
      this.#propose(encodeBatch(batch.map((w) => w.args))).then(
        (results) => batch.forEach((w, i) => w.resolve(results[i])),
        (error: Error) => batch.forEach((w) => w.reject(error)),
      );
    }
  }
}

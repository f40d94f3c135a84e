/**
 * The file log's work queue: one operation touches the files at a time, in
 * call order, and appends queued back to back run as one group — one
 * write, one fdatasync for all of them (group commit).
 */
import type { LogEntry } from "../log_entry.ts";
import { appendProblem } from "./log_store.ts";

/** A batch of entries to append; settled by the group it runs in. */
export interface AppendOp {
  readonly kind: "append";
  readonly entries: readonly LogEntry[];
  resolve(): void;
  reject(error: unknown): void;
}

/** Any other operation (truncation, compaction, reset, a disk read, reopening, close). */
export interface RunOp {
  readonly kind: "run";
  run(): Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

export type LogOp = AppendOp | RunOp;

/**
 * Settles the appends of `group` that need no write — a batch that does not
 * continue the log (after the batches before it) is rejected, an empty one
 * resolved — and returns the others, in order, to be written.
 */
export function appendsToWrite(group: readonly AppendOp[], lastIndex: number, lastTerm: number): AppendOp[] {
  const toWrite: AppendOp[] = [];
  for (const op of group) {
    const problem = appendProblem(op.entries, lastIndex, lastTerm);
    if (problem) {
      op.reject(new RangeError(problem));
    } else if (op.entries.length === 0) {
      op.resolve();
    } else {
      toWrite.push(op);
      lastIndex = op.entries[op.entries.length - 1].index;
      lastTerm = op.entries[op.entries.length - 1].term;
    }
  }
  return toWrite;
}

export class LogOpQueue {
  readonly #appendGroup: (group: AppendOp[]) => Promise<void>;
  #queue: LogOp[] = [];
  #pumping = false;

  /** `appendGroup` writes a group of appends and settles each of them. */
  constructor(appendGroup: (group: AppendOp[]) => Promise<void>) {
    this.#appendGroup = appendGroup;
  }

  push(op: LogOp): void {
    this.#queue.push(op);
    if (!this.#pumping) {
      this.#pumping = true;
      // A microtask later, so appends made in the same turn share one write.
      queueMicrotask(() => void this.#pump());
    }
  }

  /** Rejects every queued append with `error` (the log failed); other operations stay queued. */
  rejectAppends(error: unknown): void {
    this.#queue = this.#queue.filter((op) => {
      if (op.kind === "append") op.reject(error);
      return op.kind !== "append";
    });
  }

  async #pump(): Promise<void> {
    while (this.#queue.length > 0) {
      const head = this.#queue[0];
      if (head.kind === "append") {
        let n = 1;
        while (n < this.#queue.length && this.#queue[n].kind === "append") n++;
        const group = this.#queue.splice(0, n) as AppendOp[];
        try {
          await this.#appendGroup(group);
        } catch (err) {
          // Not expected (I/O errors are handled inside); never leave callers hanging.
          for (const op of group) op.reject(err);
        }
      } else {
        this.#queue.shift();
        try {
          await head.run();
          head.resolve();
        } catch (err) {
          head.reject(err);
        }
      }
    }
    this.#pumping = false;
  }
}

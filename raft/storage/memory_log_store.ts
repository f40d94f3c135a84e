/** An in-memory LogStore with the same semantics as the file-backed one. */
import type { LogEntry } from "../log_entry.ts";
import { StorageClosedError } from "./errors.ts";
import { appendProblem, limitBytes, type LogStore, rangeError } from "./log_store.ts";

export class MemoryLogStore implements LogStore {
  #entries: LogEntry[] = [];
  /** Index of #entries[0]. */
  #first = 1;
  /** Term of #first - 1. */
  #prevTerm = 0;
  #closed = false;

  firstIndex(): number {
    return this.#first;
  }

  lastIndex(): number {
    return this.#first + this.#entries.length - 1;
  }

  term(index: number): number {
    if (index === this.#first - 1) return this.#prevTerm;
    const e = this.#entries[index - this.#first];
    if (!e) throw new RangeError(`term(${index}): index is outside the log [${this.#first}, ${this.lastIndex()}]`);
    return e.term;
  }

  entries(lo: number, hi: number, maxBytes = Infinity): Promise<LogEntry[]> {
    if (this.#closed) return Promise.reject(new StorageClosedError("memory log store"));
    if (lo < this.#first || hi < lo || hi > this.lastIndex() + 1) {
      return Promise.reject(rangeError(lo, hi, this.#first, this.lastIndex()));
    }
    return Promise.resolve(limitBytes(this.#entries.slice(lo - this.#first, hi - this.#first), maxBytes));
  }

  append(batch: readonly LogEntry[]): Promise<void> {
    return this.#run(() => {
      const problem = appendProblem(batch, this.lastIndex(), this.term(this.lastIndex()));
      if (problem) throw new RangeError(problem);
      for (const e of batch) this.#entries.push({ index: e.index, term: e.term, kind: e.kind, data: e.data.slice() });
    });
  }

  truncateSuffix(fromIndex: number): Promise<void> {
    return this.#run(() => {
      if (fromIndex < this.#first) {
        throw new RangeError(`truncateSuffix(${fromIndex}): below firstIndex ${this.#first} (compacted entries cannot be removed)`);
      }
      if (fromIndex <= this.lastIndex()) this.#entries.length = fromIndex - this.#first;
    });
  }

  compactPrefix(uptoIndex: number): Promise<void> {
    return this.#run(() => {
      if (uptoIndex > this.lastIndex()) {
        throw new RangeError(`compactPrefix(${uptoIndex}): beyond lastIndex ${this.lastIndex()}; use reset()`);
      }
      if (uptoIndex < this.#first) return;
      this.#prevTerm = this.term(uptoIndex);
      this.#entries = this.#entries.slice(uptoIndex + 1 - this.#first);
      this.#first = uptoIndex + 1;
    });
  }

  reset(prevIndex: number, prevTerm: number): Promise<void> {
    return this.#run(() => {
      if (prevIndex < 0 || prevTerm < 0) throw new RangeError(`reset(${prevIndex}, ${prevTerm}): negative`);
      this.#entries = [];
      this.#first = prevIndex + 1;
      this.#prevTerm = prevTerm;
    });
  }

  /** Nothing to recover: a memory store never fails a write. */
  recover(): Promise<void> {
    return this.#run(() => {});
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  #run(op: () => void): Promise<void> {
    if (this.#closed) return Promise.reject(new StorageClosedError("memory log store"));
    try {
      op();
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

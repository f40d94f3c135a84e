/**
 * What the driver's callers are waiting for: proposals (until their entry
 * is applied, or its slot goes to another entry, or a timeout) and
 * linearizable reads (until the leader confirmed them and the machine has
 * applied up to their read index).
 */
import { OutcomeUnknownError, WriteDroppedError } from "./errors.ts";

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

interface ProposalWaiter extends Waiter<unknown> {
  readonly term: number;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class PendingProposals {
  readonly #waiters = new Map<number, ProposalWaiter>();
  readonly #timeoutMs: number;

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Waits for the entry appended at (index, term); rejects with OutcomeUnknownError after the timeout. */
  add(index: number, term: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(index);
        reject(new OutcomeUnknownError(`not applied within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#waiters.set(index, { term, resolve, reject, timer });
    });
  }

  /** The entry at `index` was applied with `result`: its proposer learns the outcome. */
  applied(index: number, term: number, result: unknown): void {
    const waiter = this.#waiters.get(index);
    if (!waiter) return;
    this.#waiters.delete(index);
    clearTimeout(waiter.timer);
    // Another term at this index means the proposal was overwritten (log matching, §5.3).
    if (waiter.term === term) waiter.resolve(result);
    else waiter.reject(new WriteDroppedError(index));
  }

  failAll(error: Error): void {
    for (const waiter of this.#waiters.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.#waiters.clear();
  }
}

export class PendingReads {
  #nextId = 1;
  readonly #asked = new Map<number, Waiter<void>>();
  /** Confirmed by the leader, waiting for applied ≥ index. */
  #confirmed: Array<{ readonly index: number; readonly waiter: Waiter<void> }> = [];

  /** A new request id for the core's readIndex(). */
  nextId(): number {
    return this.#nextId++;
  }

  wait(requestId: number): Promise<void> {
    return new Promise((resolve, reject) => this.#asked.set(requestId, { resolve, reject }));
  }

  /**
   * Reads batch: every read that arrives before the core hands out its next
   * Ready joins the read asked for first (`open`). All of them arrived
   * before that read's heartbeat round leaves — the core closes a round when
   * it hands it out — so one confirmation covers them all (§6.4): one
   * request and one promise however many reads.
   */
  #open: Promise<void> | undefined;
  #openId = 0;

  /** The batch still open to new reads, if any. */
  get open(): Promise<void> | undefined {
    return this.#open;
  }

  /** Opens a batch waiting for `requestId`. */
  openBatch(requestId: number): Promise<void> {
    this.#openId = requestId;
    this.#open = this.wait(requestId);
    return this.#open;
  }

  /** The core is handing out a Ready: later reads need a new round. */
  closeBatch(): void {
    this.#open = undefined;
  }

  /** The leader confirmed the read at `index`; it runs once the machine has applied that far. */
  confirmed(requestId: number, index: number): void {
    const waiter = this.#asked.get(requestId);
    if (!waiter) return;
    this.#asked.delete(requestId);
    this.#confirmed.push({ index, waiter });
  }

  failed(requestId: number, error: Error): void {
    if (requestId === this.#openId) this.closeBatch();
    this.#asked.get(requestId)?.reject(error);
    this.#asked.delete(requestId);
  }

  /** Releases every confirmed read with index ≤ `applied`. */
  release(applied: number): void {
    const waiting = [];
    for (const read of this.#confirmed) {
      if (read.index <= applied) read.waiter.resolve();
      else waiting.push(read);
    }
    this.#confirmed = waiting;
  }

  failAll(error: Error): void {
    this.closeBatch();
    for (const waiter of this.#asked.values()) waiter.reject(error);
    this.#asked.clear();
    for (const read of this.#confirmed) read.waiter.reject(error);
    this.#confirmed = [];
  }
}

/**
 * Per-connection command order, as Redis promises it: every command sees the
 * effects of every earlier command of its connection and none of a later one,
 * however the client pipelined them.
 *
 * Commands start strictly in the order received. Consecutive writes may be
 * in flight together — the log keeps their order, so the batcher may still
 * put them (and other clients' writes) into one entry. Consecutive reads may
 * be in flight together: none changes what the others see. Anything else —
 * and any change between the two kinds — waits until everything before it
 * has finished, so a read never runs before an earlier write is applied, and
 * a later write is not proposed until an earlier read has run.
 *
 * Pure bookkeeping: the connection starts what this says may start.
 */

/** How a command may overlap its neighbours on one connection. */
export type Concurrency = "write" | "read" | "exclusive";

interface Queued<T> {
  readonly item: T;
  readonly concurrency: Concurrency;
}

export class CommandSequencer<T> {
  #running = 0;
  #runningKind: Concurrency = "exclusive";
  #queue: Queued<T>[] = [];
  #head = 0;

  /** Commands received but not started yet. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** Commands started and not finished. */
  get running(): number {
    return this.#running;
  }

  /**
   * True when a command arriving now may start at once (call `started` if
   * it does not finish synchronously); otherwise it must `wait`.
   */
  mayStartNow(concurrency: Concurrency): boolean {
    return this.queued === 0 && this.#mayStart(concurrency);
  }

  /** Queues a command that may not start yet; `next` hands it out in turn. */
  wait(item: T, concurrency: Concurrency): void {
    this.#queue.push({ item, concurrency });
  }

  /** A command that was allowed to start is still running (its reply comes later). */
  started(concurrency: Concurrency): void {
    this.#running++;
    this.#runningKind = concurrency;
  }

  /** A running command finished. */
  finished(): void {
    this.#running--;
  }

  /** The next waiting command that may start now, if any; call until undefined. */
  next(): T | undefined {
    if (this.queued === 0 || !this.#mayStart(this.#queue[this.#head].concurrency)) return undefined;
    const { item } = this.#queue[this.#head++];
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    }
    return item;
  }

  /** Forgets every waiting command (the connection is closing); returns how many. */
  dropQueued(): number {
    const dropped = this.queued;
    this.#queue = [];
    this.#head = 0;
    return dropped;
  }

  #mayStart(concurrency: Concurrency): boolean {
    return this.#running === 0 || (concurrency !== "exclusive" && concurrency === this.#runningKind);
  }
}

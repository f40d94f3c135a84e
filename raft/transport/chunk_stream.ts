/**
 * The receiving end of a snapshot stream: an async iterable of byte chunks
 * that the socket pushes into and the snapshot installer pulls from, with
 * backpressure (the socket is paused while too many bytes wait).
 */

export interface ChunkStreamHooks {
  /** Pause reading above this many waiting bytes; resume below half of it. */
  readonly highWaterBytes: number;
  /** Called when the waiting bytes rise above the high-water mark. */
  onFull(): void;
  /** Called when they fall below half of it again. */
  onDrained(): void;
  /** Called if the consumer stops iterating before the end. */
  onAbandoned(): void;
}

/** A single-consumer async queue of chunks. */
export class ChunkStream implements AsyncIterable<Uint8Array> {
  readonly #hooks: ChunkStreamHooks;
  readonly #chunks: Uint8Array[] = [];
  #head = 0;
  #waiting = 0;
  #full = false;
  #ended = false;
  #error: Error | undefined;
  #abandoned = false;
  #iterated = false;
  #wake: (() => void) | undefined;
  /** Bytes pushed so far. */
  received = 0;

  constructor(hooks: ChunkStreamHooks) {
    this.#hooks = hooks;
  }

  /** True once the consumer stopped iterating early. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  /** Adds the next chunk (ignored after end, failure or abandonment). */
  push(chunk: Uint8Array): void {
    if (this.#ended || this.#error || this.#abandoned) return;
    this.#chunks.push(chunk);
    this.#waiting += chunk.byteLength;
    this.received += chunk.byteLength;
    if (!this.#full && this.#waiting > this.#hooks.highWaterBytes) {
      this.#full = true;
      this.#hooks.onFull();
    }
    this.#notify();
  }

  /** No more chunks: the consumer's loop ends after the waiting ones. */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  /** The stream broke: the consumer's next pull rejects with `error`. */
  fail(error: Error): void {
    if (this.#ended || this.#error) return;
    this.#error = error;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #next(): Promise<IteratorResult<Uint8Array>> {
    while (true) {
      if (this.#abandoned) return { done: true, value: undefined };
      if (this.#head < this.#chunks.length) {
        const chunk = this.#chunks[this.#head];
        this.#chunks[this.#head++] = new Uint8Array(0);
        if (this.#head > 1024 && this.#head * 2 > this.#chunks.length) {
          this.#chunks.splice(0, this.#head);
          this.#head = 0;
        }
        this.#waiting -= chunk.byteLength;
        if (this.#full && this.#waiting <= this.#hooks.highWaterBytes / 2) {
          this.#full = false;
          this.#hooks.onDrained();
        }
        return { done: false, value: chunk };
      }
      if (this.#error) throw this.#error;
      if (this.#ended) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#iterated) throw new Error("A snapshot stream can be read only once");
    this.#iterated = true;
    return {
      next: () => this.#next(),
      return: () => {
        if (!this.#ended && !this.#error && !this.#abandoned) {
          this.#abandoned = true;
          this.#chunks.length = 0;
          this.#hooks.onAbandoned();
        }
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }
}

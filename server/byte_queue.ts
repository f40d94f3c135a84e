/**
 * Bytes received but not yet parsed. Grows by doubling and slides unread
 * bytes to the front, so a large argument arriving in many chunks costs
 * O(size) copying, not O(size²).
 */
export class ByteQueue {
  #buf = new Uint8Array(0);
  #start = 0;
  #end = 0;

  get bytes(): Uint8Array {
    return this.#buf;
  }
  get start(): number {
    return this.#start;
  }
  get end(): number {
    return this.#end;
  }
  get length(): number {
    return this.#end - this.#start;
  }

  append(chunk: Uint8Array): void {
    if (this.length === 0) {
      this.#start = this.#end = 0;
      // Small enough to keep: adopt the chunk's bytes without growing.
      if (this.#buf.length < chunk.length) this.#buf = new Uint8Array(chunk.length);
    } else if (this.#end + chunk.length > this.#buf.length) {
      const needed = this.length + chunk.length;
      let capacity = Math.max(this.#buf.length, 1024);
      while (capacity < needed) capacity *= 2;
      const target = capacity > this.#buf.length ? new Uint8Array(capacity) : this.#buf;
      target.set(this.#buf.subarray(this.#start, this.#end), 0);
      this.#buf = target;
      this.#end = this.length;
      this.#start = 0;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  consume(count: number): void {
    this.#start += count;
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }

  /** Drops a large buffer once it is empty, so idle connections stay small. */
  shrink(maxIdleBytes: number): void {
    if (this.length === 0 && this.#buf.length > maxIdleBytes) this.#buf = new Uint8Array(0);
  }
}

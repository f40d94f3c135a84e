/**
 * PCG32 (O'Neill's XSH-RR variant, 64-bit state): the machine's
 * deterministic random generator. Seeded from TICK entries of the log, so
 * every replica and every replay draws the same numbers.
 */

const MULTIPLIER = 6364136223846793005n;
const MASK64 = (1n << 64n) - 1n;

export class Pcg32 {
  #state: bigint;
  readonly #increment: bigint;

  /** `state` resumes a generator saved with `.state` (snapshots). */
  constructor(seed: bigint, stream = 0xda3e39cb94b95bdbn, state?: bigint) {
    this.#increment = ((stream << 1n) | 1n) & MASK64;
    if (state !== undefined) {
      this.#state = state & MASK64;
    } else {
      this.#state = 0n;
      this.uint32();
      this.#state = (this.#state + (seed & MASK64)) & MASK64;
      this.uint32();
    }
  }

  /** The internal state, to save in a snapshot and resume with the constructor. */
  get state(): bigint {
    return this.#state;
  }

  /** A uniformly random unsigned 32-bit integer. */
  uint32(): number {
    const old = this.#state;
    this.#state = (old * MULTIPLIER + this.#increment) & MASK64;
    const xorShifted = Number((((old >> 18n) ^ old) >> 27n) & 0xffffffffn);
    const rotation = Number(old >> 59n);
    return ((xorShifted >>> rotation) | (xorShifted << ((32 - rotation) & 31))) >>> 0;
  }

  /** A uniformly random unsigned 64-bit integer. */
  uint64(): bigint {
    return (BigInt(this.uint32()) << 32n) | BigInt(this.uint32());
  }

  /** A uniformly random integer in [0, 2^53). */
  int(): number {
    return this.uint32() * 2 ** 21 + (this.uint32() >>> 11);
  }

  /** A uniformly random integer in [0, n), without modulo bias. */
  intn(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`intn needs a positive safe integer, got ${n}`);
    const limit = 2 ** 53 - (2 ** 53 % n);
    while (true) {
      const value = this.int();
      if (value < limit) return value % n;
    }
  }

  /** A uniformly random float in [0, 1) with 53 bits of precision. */
  float64(): number {
    return this.int() / 2 ** 53;
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const word = this.uint32();
      for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
    }
    return out;
  }

  /** A random (version 4) UUID string. */
  uuid(): string {
    const b = this.bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

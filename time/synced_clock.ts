/**
 * Machine time on the leader: unix nanoseconds = the host's monotonic
 * high-resolution clock + an offset from the time source, never going
 * backwards. A correction forward is taken at once; a correction backward
 * is slewed — the clock runs at half speed until it has caught up — so the
 * time read is strictly increasing and follows the source.
 */

/** The host's monotonic clock, ns from an arbitrary origin (process.hrtime, on both runtimes). */
export function monotonicNs(): bigint {
  return process.hrtime.bigint();
}

/** The host's wall clock minus the monotonic clock: the offset that makes this clock the host's. */
export function hostWallOffsetNs(monotonic: () => bigint = monotonicNs): bigint {
  return BigInt(Date.now()) * 1_000_000n - monotonic();
}

/** While slewing backward, the clock advances SLEW_NUM/SLEW_DEN as fast as the host's. */
const SLEW_NUM = 1n;
const SLEW_DEN = 2n;

export class SyncedClock {
  readonly #monotonic: () => bigint;
  /** The offset in use (moves toward #target when slewing). */
  #offsetNs: bigint;
  #targetNs: bigint;
  #lastMonotonicNs: bigint;
  #lastNs = 0n;

  /** Starts as the host's wall clock (offset measured now). */
  constructor(monotonic: () => bigint = monotonicNs) {
    this.#monotonic = monotonic;
    this.#offsetNs = this.#targetNs = hostWallOffsetNs(monotonic);
    this.#lastMonotonicNs = monotonic();
  }

  /** The offset being converged to (the source's latest). */
  get targetOffsetNs(): bigint {
    return this.#targetNs;
  }

  /** Sets the source's latest offset (unix time minus the monotonic clock). */
  setOffset(offsetNs: bigint): void {
    this.#advance();
    this.#targetNs = offsetNs;
    if (offsetNs > this.#offsetNs) this.#offsetNs = offsetNs;
  }

  /** Unix nanoseconds, strictly greater than every value returned before. */
  now(): bigint {
    const time = this.#advance() + this.#offsetNs;
    this.#lastNs = time > this.#lastNs ? time : this.#lastNs + 1n;
    return this.#lastNs;
  }

  /** Moves the offset toward the target for the time passed since the last reading; returns the monotonic time. */
  #advance(): bigint {
    const monotonic = this.#monotonic();
    const elapsed = monotonic - this.#lastMonotonicNs;
    this.#lastMonotonicNs = monotonic;
    if (this.#offsetNs > this.#targetNs && elapsed > 0n) {
      const step = (elapsed * (SLEW_DEN - SLEW_NUM)) / SLEW_DEN;
      this.#offsetNs = this.#offsetNs - step > this.#targetNs ? this.#offsetNs - step : this.#targetNs;
    }
    return monotonic;
  }
}

/**
 * Slows password guessing, per source address. Pure: the caller passes the
 * time and does the waiting.
 *
 * The first `freeFailures` wrong passwords from an address cost nothing
 * (typos). After that, every AUTH from the address — right or wrong, on
 * any of its connections — is answered only after a delay that starts at
 * `firstDelayMs` and doubles every `doublingFailures` further failures, up
 * to `maxDelayMs`. The delays are slots in one queue per address, so many
 * connections from one address guess no faster than one: with the
 * defaults, at most one guess per 2 s once ~70 have failed. Another
 * address is not affected. A right password clears its address's record;
 * so does `forgetMs` without a failure. At most `maxAddresses` addresses
 * are remembered (the least recently failed is forgotten first), so a
 * flood of sources cannot grow memory without bound.
 */

export interface AuthThrottleOptions {
  /** Wrong passwords from one address answered without delay. */
  readonly freeFailures: number;
  /** Delay of the first slowed answer, in ms. */
  readonly firstDelayMs: number;
  /** Further failures after which the delay doubles. */
  readonly doublingFailures: number;
  /** Longest delay, in ms. */
  readonly maxDelayMs: number;
  /** An address's failures are forgotten this long after its last one, in ms. */
  readonly forgetMs: number;
  /** Addresses remembered at most. */
  readonly maxAddresses: number;
  /** An address is reported (logged) at most once per this many ms. */
  readonly reportEveryMs: number;
}

export const DEFAULT_AUTH_THROTTLE: AuthThrottleOptions = {
  freeFailures: 10,
  firstDelayMs: 10,
  doublingFailures: 8,
  maxDelayMs: 2_000,
  forgetMs: 15 * 60_000,
  maxAddresses: 10_000,
  reportEveryMs: 60_000,
};

/** What `failed` tells the caller. */
export interface AuthFailure {
  /** Wrong passwords from the address, this one included. */
  readonly failures: number;
  /** Delay the address's next answer will get, in ms (0 while failures are free). */
  readonly nextDelayMs: number;
  /** True when the caller should log this address (slowed, and not reported within reportEveryMs). */
  readonly report: boolean;
}

interface AddressRecord {
  failures: number;
  lastFailureMs: number;
  /** When the address's queue of slowed answers is free again. */
  queueFreeMs: number;
  /** When it was last reported; -Infinity: never. */
  reportedMs: number;
}

/** Per-address failure counts and answer delays. */
export class AuthThrottle {
  readonly #o: AuthThrottleOptions;
  /** In order of last failure (oldest first): re-inserted on each failure. */
  readonly #records = new Map<string, AddressRecord>();

  constructor(options: AuthThrottleOptions = DEFAULT_AUTH_THROTTLE) {
    this.#o = options;
  }

  /**
   * Books the next answer to `address`.
   * @returns how long to wait, in ms, before checking its password (0: at once)
   */
  admit(address: string, nowMs: number): number {
    const record = this.#current(address, nowMs);
    if (record === undefined) return 0;
    const delay = this.delayAfter(record.failures);
    if (delay === 0) return 0;
    record.queueFreeMs = Math.max(nowMs, record.queueFreeMs) + delay;
    return record.queueFreeMs - nowMs;
  }

  /** Records a wrong password from `address`. */
  failed(address: string, nowMs: number): AuthFailure {
    const record = this.#current(address, nowMs) ?? { failures: 0, lastFailureMs: nowMs, queueFreeMs: 0, reportedMs: -Infinity };
    record.failures++;
    record.lastFailureMs = nowMs;
    this.#records.delete(address);
    this.#records.set(address, record);
    if (this.#records.size > this.#o.maxAddresses) this.#records.delete(this.#records.keys().next().value!);
    const nextDelayMs = this.delayAfter(record.failures);
    const report = nextDelayMs > 0 && nowMs - record.reportedMs >= this.#o.reportEveryMs;
    if (report) record.reportedMs = nowMs;
    return { failures: record.failures, nextDelayMs, report };
  }

  /** A right password from `address`: its record is cleared. */
  succeeded(address: string): void {
    this.#records.delete(address);
  }

  /** The delay, in ms, of an answer to an address with `failures` recent wrong passwords. */
  delayAfter(failures: number): number {
    const o = this.#o;
    if (failures < o.freeFailures) return 0;
    return Math.min(o.maxDelayMs, Math.round(o.firstDelayMs * 2 ** ((failures - o.freeFailures) / o.doublingFailures)));
  }

  /** Addresses remembered now. */
  get size(): number {
    return this.#records.size;
  }

  #current(address: string, nowMs: number): AddressRecord | undefined {
    const record = this.#records.get(address);
    if (record && nowMs - record.lastFailureMs > this.#o.forgetMs) {
      this.#records.delete(address);
      return undefined;
    }
    return record;
  }
}

/**
 * One stretch of time during which this node cannot persist (a full disk,
 * an I/O error): when to try to resume next, and when to say so in the log.
 * Attempts back off exponentially (first after `firstDelayMs`, then twice
 * as long each time, at most `maxDelayMs`); while they keep failing, one
 * log line is due per `logIntervalMs`, however many attempts that covers.
 * Pure bookkeeping: the driver owns the timer and the logging.
 */
import type { StorageFailedError } from "./storage/errors.ts";

export interface StorageOutageOptions {
  /** Wait before the first attempt, ms. Default 100. */
  readonly firstDelayMs?: number;
  /** Longest wait between attempts, ms. Default 2000. */
  readonly maxDelayMs?: number;
  /** At most one "still failing" line per this many ms. Default 10000. */
  readonly logIntervalMs?: number;
}

export class StorageOutage {
  /** When the first write failed (ms, the clock passed in). */
  readonly since: number;
  /** The latest failure. */
  error: StorageFailedError;
  /** Attempts to resume made so far. */
  attempts = 0;
  readonly #firstDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #logIntervalMs: number;
  #delayMs = 0;
  #loggedAt: number;
  #unreported = 0;

  constructor(error: StorageFailedError, now: number, options: StorageOutageOptions = {}) {
    this.error = error;
    this.since = now;
    this.#loggedAt = now;
    this.#firstDelayMs = options.firstDelayMs ?? 100;
    this.#maxDelayMs = Math.max(this.#firstDelayMs, options.maxDelayMs ?? 2_000);
    this.#logIntervalMs = options.logIntervalMs ?? 10_000;
  }

  /** How long to wait before the next attempt: doubles each call, up to the maximum. */
  nextDelayMs(): number {
    this.#delayMs = this.#delayMs === 0 ? this.#firstDelayMs : Math.min(this.#maxDelayMs, this.#delayMs * 2);
    return this.#delayMs;
  }

  /**
   * An attempt (or a write after resuming) failed with `error` at `now`.
   * Returns 0 while the log interval runs, else the number of failures
   * since the last line: a line about them is due (the interval restarts).
   */
  failed(error: StorageFailedError, now: number): number {
    this.error = error;
    this.#unreported++;
    if (now - this.#loggedAt < this.#logIntervalMs) return 0;
    const failures = this.#unreported;
    this.#loggedAt = now;
    this.#unreported = 0;
    return failures;
  }
}

/**
 * Deterministic time and randomness enter the machine here: while this node
 * leads, it proposes a TICK entry every `intervalMs` carrying its clock's
 * time and a fresh random seed. Every replica applies the same TICKs, so
 * `m.now()` and `m.rand` agree everywhere and on replay.
 */
import { getRandomValues } from "node:crypto";
import { encodeTick } from "./log_payload.ts";

export interface TickProposerOptions {
  /** Milliseconds between TICKs (uhaha: 200). */
  readonly intervalMs: number;
  readonly isLeader: () => boolean;
  /** False while the clock waits for its time source: no TICK until then (default: always ready). */
  readonly isClockReady?: () => boolean;
  /** Proposes an entry; resolves once applied (a rejection only means this TICK was lost). */
  readonly propose: (payload: Uint8Array) => Promise<unknown>;
  /** Unix nanoseconds; must never go backwards. */
  readonly clock?: () => bigint;
  /** Why a TICK was lost (not leader any more, shutting down …), for the debug log. */
  readonly onLost?: (error: Error) => void;
}

export class TickProposer {
  readonly #options: TickProposerOptions;
  readonly #clock: () => bigint;
  #timer: ReturnType<typeof setInterval> | undefined;
  #inFlight = false;

  constructor(options: TickProposerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? monotonicHostClock();
  }

  start(): void {
    this.#timer ??= setInterval(() => this.#tick(), this.#options.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    // One at a time: a slow commit must not pile TICKs up behind it.
    if (this.#inFlight || !this.#options.isLeader() || this.#options.isClockReady?.() === false) return;
    this.#inFlight = true;
    this.#options.propose(encodeTick(this.#clock(), randomSeed()))
      .catch((error: Error) => this.#options.onLost?.(error))
      .finally(() => (this.#inFlight = false));
  }
}

/** Unix nanoseconds from the host clock, never going backwards within this process. */
export function monotonicHostClock(): () => bigint {
  let last = 0n;
  return () => {
    const now = BigInt(Date.now()) * 1_000_000n;
    last = now > last ? now : last + 1n;
    return last;
  };
}

function randomSeed(): bigint {
  return new DataView(getRandomValues(new Uint8Array(8)).buffer).getBigUint64(0, true);
}

/**
 * A latency histogram with fixed buckets, as Prometheus exposes one:
 * cumulative counts per upper bound, plus the sum and count of every
 * observation. Pure: the caller measures, this only counts.
 */

/** Upper bounds in seconds: 50 µs to 10 s, enough for an fsync on a slow disk and an apply of a big batch. */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
];

export interface HistogramSnapshot {
  /** [upper bound, observations ≤ it] per bucket, ascending; the last bound is +Inf. */
  readonly buckets: readonly (readonly [number, number])[];
  readonly sum: number;
  readonly count: number;
}

export class Histogram {
  readonly #bounds: readonly number[];
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(bounds: readonly number[] = LATENCY_BUCKETS_S) {
    this.#bounds = bounds;
    this.#counts = new Array(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.#bounds.length && value > this.#bounds[i]) i++;
    this.#counts[i]++;
    this.#sum += value;
    this.#count++;
  }

  snapshot(): HistogramSnapshot {
    let cumulative = 0;
    const buckets: [number, number][] = this.#bounds.map((bound, i) => [bound, (cumulative += this.#counts[i])]);
    buckets.push([Infinity, this.#count]);
    return { buckets, sum: this.#sum, count: this.#count };
  }
}

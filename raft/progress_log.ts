/**
 * Progress lines for long work on bytes (a snapshot written, sent, received
 * or restored; catch-up, counted in entries, has cluster/catch_up_progress.ts): how much is done of how much, and how
 * fast, at most one line per interval per activity, so a long transfer
 * says where it is without flooding the log. Pure but for the clock, which
 * is injected.
 */

/** Bytes as a short human figure: 512 B, 3.2 KiB, 12.0 MiB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export interface ProgressLogOptions {
  /** The total, in bytes, when known (a percentage is shown then). */
  readonly total?: number;
  /** At most one progress line per this many ms. Default 1000. */
  readonly intervalMs?: number;
  /** The clock, in ms. Default performance.now. */
  readonly now?: () => number;
}

export class ProgressLog {
  readonly #write: (line: string) => void;
  readonly #activity: string;
  readonly #total: number | undefined;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #startedAt: number;
  #lastLineAt: number;
  #done = 0;

  /** `write` gets each line; `activity` starts it ("sending snapshot 3-120 to node 2"). */
  constructor(write: (line: string) => void, activity: string, options: ProgressLogOptions = {}) {
    this.#write = write;
    this.#activity = activity;
    this.#total = options.total;
    this.#intervalMs = options.intervalMs ?? 1_000;
    this.#now = options.now ?? (() => performance.now());
    this.#startedAt = this.#now();
    this.#lastLineAt = this.#startedAt;
  }

  /** `amount` more bytes are done; logs a line if the last was at least an interval ago. */
  add(amount: number): void {
    this.set(this.#done + amount);
  }

  /** `done` bytes are done in all; logs a line if the last was at least an interval ago. */
  set(done: number): void {
    this.#done = done;
    const now = this.#now();
    if (now - this.#lastLineAt < this.#intervalMs) return;
    this.#lastLineAt = now;
    this.#write(`${this.#activity} progress: ${this.#amounts()}, ${this.#rate(now)}`);
  }

  /** The work finished: one closing line with the amount, the time taken and the rate. */
  finish(outcome = "done"): void {
    const now = this.#now();
    const seconds = (now - this.#startedAt) / 1000;
    this.#write(`${this.#activity} ${outcome}: ${formatBytes(this.#done)} in ${seconds.toFixed(seconds < 10 ? 2 : 1)} s, ${this.#rate(now)}`);
  }

  #amounts(): string {
    if (this.#total === undefined) return formatBytes(this.#done);
    const percent = this.#total === 0 ? 100 : Math.min(100, (this.#done / this.#total) * 100);
    return `${percent.toFixed(1)}% (${formatBytes(this.#done)} of ${formatBytes(this.#total)})`;
  }

  #rate(now: number): string {
    const seconds = Math.max(1e-3, (now - this.#startedAt) / 1000);
    return `${formatBytes(this.#done / seconds)}/s`;
  }
}

/**
 * Where a node's machine time comes from, and the start-up policy around it.
 *
 * - `--localtime`: the host clock (wall time, read through the monotonic
 *   clock, re-read every resync; never backwards).
 * - default: SNTP rounds against several servers (median of their best
 *   samples), every `resyncMs`. Until the first answer the node is
 *   "waiting": its TICKs wait, and it says so every `waitLogMs`. With no
 *   answer after `graceMs` — or at once when no server's name resolves or
 *   a packet cannot be sent, since then nothing can answer — it falls back
 *   to the host clock with a warning and keeps asking in the background
 *   (retrying sooner at first, backing off to `resyncMs`).
 * - strict: no fallback; writes are refused until a server has answered.
 *
 * Every change of offset goes through the SyncedClock, so time read from
 * it never goes backwards.
 */
import { goDuration } from "../api/go_duration.ts";
import { formatHostPort, type HostPort } from "../api/host_port.ts";
import type { Logger } from "../raft/logger.ts";
import { medianOffset } from "./ntp_packet.ts";
import { type QueryOptions, queryRound, type RoundResult } from "./sntp_client.ts";
import { hostWallOffsetNs, monotonicNs, SyncedClock } from "./synced_clock.ts";

export type TimeSourceOptions =
  | { readonly kind: "local" }
  | {
    readonly kind: "ntp";
    readonly servers: readonly HostPort[];
    /** Refuse writes until synced instead of falling back to the host clock. */
    readonly strict: boolean;
    /** How long to wait for a first answer before falling back (ms). */
    readonly graceMs: number;
  };

/** Tunables with their defaults; tests shorten some. */
export interface TimeSourceTimings {
  /** Between rounds once synced (ms). */
  readonly resyncMs: number;
  /** How long one request waits for its reply (ms). */
  readonly requestTimeoutMs: number;
  /** Requests per server per round (its best is kept). */
  readonly samplesPerServer: number;
  /** Largest round trip accepted (ms). */
  readonly maxDelayMs: number;
  /** Between "waiting for a time source" lines (ms). */
  readonly waitLogMs: number;
  /** First retry after a round with no answer (ms); doubles up to resyncMs. */
  readonly firstRetryMs: number;
}

export const DEFAULT_TIME_TIMINGS: TimeSourceTimings = {
  resyncMs: 30_000,
  requestTimeoutMs: 1_000,
  samplesPerServer: 3,
  maxDelayMs: 1_000,
  waitLogMs: 2_000,
  firstRetryMs: 1_000,
};

/** Default --time-grace: how long a node waits for its first answer. */
export const DEFAULT_TIME_GRACE_MS = 5_000;

export type TimeState = "waiting" | "synced" | "fallback" | "local";

/** What `RAFT INFO time_*` shows. */
export interface TimeInfo {
  readonly time_source: string;
  readonly time_offset: string;
  readonly time_last_sync: string;
}

/** What commands ask of the time source. */
export interface TimeStatus {
  info(): TimeInfo;
  /** The error a write gets while this node may not stamp time (strict mode, not synced yet); else undefined. */
  writeRefusal(): Error | undefined;
}

export class TimeSource implements TimeStatus {
  readonly clock: SyncedClock;
  readonly #options: TimeSourceOptions;
  readonly #timings: TimeSourceTimings;
  readonly #log: Logger;
  #state: TimeState = "waiting";
  #timers: ReturnType<typeof setTimeout>[] = [];
  #stopped = false;
  #failedRounds = 0;
  /** Source offset minus the host wall clock's, at the last sync (what time_offset shows). */
  #lastOffsetVsHostNs: bigint | undefined;
  #lastSyncWallMs: number | undefined;
  #lastAnswered = "";

  constructor(options: TimeSourceOptions, log: Logger, timings: TimeSourceTimings = DEFAULT_TIME_TIMINGS) {
    this.#options = options;
    this.#timings = timings;
    this.#log = log;
    this.clock = new SyncedClock(monotonicNs);
  }

  get state(): TimeState {
    return this.#state;
  }

  /** True when this node's clock may stamp TICKs. */
  get ready(): boolean {
    return this.#state !== "waiting";
  }

  /** Machine time for a TICK: unix ns, never backwards. */
  now(): bigint {
    return this.clock.now();
  }

  start(): void {
    const options = this.#options;
    if (options.kind === "local") {
      this.#state = "local";
      this.#log.info("using the host clock for machine time (--localtime)");
      this.#every(this.#timings.resyncMs, () => this.clock.setOffset(hostWallOffsetNs()));
      return;
    }
    this.#log.info(`waiting for a time source (ntp: ${this.#serverList()})`);
    this.#every(this.#timings.waitLogMs, () => {
      if (this.#state === "waiting") this.#log.info(`waiting for a time source (ntp: ${this.#serverList()})`);
    });
    this.#after(options.graceMs, () => {
      if (this.#state !== "waiting") return;
      if (options.strict) {
        this.#log.warn(`no time source answered within ${options.graceMs} ms (ntp: ${this.#serverList()}); ` +
          "--strict-time: writes are refused until one answers");
      } else {
        this.#fallBack(`no time source answered within ${options.graceMs} ms`);
      }
    });
    void this.#round();
  }

  stop(): void {
    this.#stopped = true;
    this.#timers.forEach((timer) => clearTimeout(timer));
    this.#timers = [];
  }

  info(): TimeInfo {
    const lastSync = this.#lastSyncWallMs === undefined ? "never" : new Date(this.#lastSyncWallMs).toISOString();
    const offset = signedDuration(this.#lastOffsetVsHostNs ?? 0n);
    switch (this.#state) {
      case "local":
        return { time_source: "host clock (--localtime)", time_offset: "0s", time_last_sync: "never" };
      case "waiting":
        return { time_source: `none yet: waiting for ntp ${this.#serverList()}`, time_offset: offset, time_last_sync: lastSync };
      case "fallback":
        return { time_source: `host clock (fallback: no answer from ntp ${this.#serverList()})`, time_offset: offset, time_last_sync: lastSync };
      case "synced":
        return { time_source: `ntp ${this.#lastAnswered}`, time_offset: offset, time_last_sync: lastSync };
    }
  }

  writeRefusal(): Error | undefined {
    if (this.#options.kind === "ntp" && this.#options.strict && this.#state !== "synced") {
      return new Error(`TRYAGAIN machine time is not synchronized: --strict-time refuses writes until an NTP server answers (ntp: ${this.#serverList()})`);
    }
    return undefined;
  }

  async #round(): Promise<void> {
    const options = this.#options;
    if (options.kind !== "ntp" || this.#stopped) return;
    const query: QueryOptions = {
      clock: monotonicNs,
      timeoutMs: this.#timings.requestTimeoutMs,
      maxDelayNs: BigInt(this.#timings.maxDelayMs) * 1_000_000n,
    };
    const results = await queryRound(options.servers, this.#timings.samplesPerServer, query);
    if (this.#stopped) return;
    for (const result of results) if (result.kind !== "sample") this.#log.verb(`ntp ${describe(result)}`);
    const answered = results.flatMap((result) => result.kind === "sample" ? [result] : []);
    const offset = medianOffset(answered.map((result) => result.sample.offsetNs));
    if (offset !== undefined) {
      this.#synced(offset, answered.map((result) => formatHostPort(result.server.host, result.server.port)), results.length);
      this.#failedRounds = 0;
      this.#after(this.#timings.resyncMs, () => void this.#round());
      return;
    }
    this.#failedRounds++;
    if (this.#state === "waiting" && !options.strict && results.every((result) => result.kind === "unreachable")) {
      this.#fallBack(results.map(describe).join("; "));
    } else if (this.#state === "fallback") {
      this.clock.setOffset(hostWallOffsetNs());
    }
    const retryMs = Math.min(this.#timings.resyncMs, this.#timings.firstRetryMs * 2 ** Math.min(this.#failedRounds - 1, 16));
    this.#after(retryMs, () => void this.#round());
  }

  #synced(offsetNs: bigint, answered: string[], asked: number): void {
    const vsHost = offsetNs - hostWallOffsetNs();
    this.clock.setOffset(offsetNs);
    this.#lastOffsetVsHostNs = vsHost;
    this.#lastSyncWallMs = Date.now();
    this.#lastAnswered = answered.join(",");
    const how = `offset ${signedDuration(vsHost)} from the host clock, ${answered.length} of ${asked} servers answered`;
    if (this.#state !== "synced") this.#log.info(`synchronized time (${how})`);
    else this.#log.debug(`resynchronized time (${how})`);
    this.#state = "synced";
  }

  #fallBack(reason: string): void {
    this.#state = "fallback";
    this.clock.setOffset(hostWallOffsetNs());
    this.#log.warn(`no time source reachable (${reason}): falling back to the host clock for machine time; ` +
      `still trying ntp ${this.#serverList()} in the background`);
  }

  #serverList(): string {
    return this.#options.kind === "ntp" ? this.#options.servers.map((s) => formatHostPort(s.host, s.port)).join(",") : "";
  }

  #after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.#timers = this.#timers.filter((t) => t !== timer);
      if (!this.#stopped) run();
    }, ms);
    this.#timers.push(timer);
  }

  #every(ms: number, run: () => void): void {
    const timer = setInterval(() => !this.#stopped && run(), ms);
    this.#timers.push(timer);
  }
}

function describe(result: RoundResult): string {
  const name = formatHostPort(result.server.host, result.server.port);
  switch (result.kind) {
    case "sample":
      return `${name}: offset ${result.sample.offsetNs} ns`;
    case "rejected":
      return `${name}: rejected: ${result.reason}`;
    case "timeout":
      return `${name}: no answer`;
    case "unreachable":
      return `${name}: ${result.reason}`;
  }
}

/** A Go-style duration with a sign, to the µs: "1h0m0.002s", "-3.5ms". */
function signedDuration(ns: bigint): string {
  const micros = ((ns < 0n ? -ns : ns) + 500n) / 1_000n;
  return (ns < 0n && micros > 0n ? "-" : "") + goDuration(micros * 1_000n);
}

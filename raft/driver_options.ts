/**
 * The Raft driver's options: what it drives (the stores, the machine, the
 * logger, the configuration of a new cluster), its callbacks, and its
 * tunables — each named with its unit, defaulted in DRIVER_DEFAULTS, and
 * checked by one validateDriverOptions that names a bad value and why.
 */
import type { MembershipConfig } from "./core/types.ts";
import type { Applier } from "./driver_seams.ts";
import type { Logger } from "./logger.ts";
import type { NodeState } from "./state_changes.ts";
import { isNodeId } from "./membership_config.ts";
import type { LogStore } from "./storage/log_store.ts";
import type { SnapshotStore } from "./storage/snapshot_store.ts";
import type { StableStore } from "./storage/stable_store.ts";

/** The driver's tunables. Each is optional in DriverOptions; the defaults are DRIVER_DEFAULTS. */
export interface DriverTunables {
  /** Length of one core tick, in ms. Default 100. */
  readonly tickMs: number;
  /**
   * Election timeout in ticks, randomized in [n, 2n). The leader's
   * heartbeat is one tick, and must be shorter, so at least 2. Default 10.
   */
  readonly electionTicks: number;
  /** Take a snapshot once this many entries were applied since the last one. Default 8192. */
  readonly snapshotThresholdEntries: number;
  /**
   * Also once entries holding this many bytes of commands (or the state's
   * size in the last snapshot, up to 4 times this) were applied since the last: the
   * log since the last snapshots is held in memory, and batched writes fill
   * 8192 entries with hundreds of MB. Default 8 MiB.
   */
  readonly snapshotThresholdBytes: number;
  /**
   * Also take one this often, in ms, when anything was applied since the
   * last, so a quiet node's log and restart replay stay short. Default 120000.
   */
  readonly snapshotIntervalMs: number;
  /** A proposal not applied after this long, in ms, gets OutcomeUnknownError. Default 10000. */
  readonly proposalTimeoutMs: number;
  /**
   * After a storage write fails (full disk, I/O error) the node steps down,
   * stops taking part and tries to resume by itself: first after 100 ms,
   * then waiting twice as long each time, but at most this long, in ms.
   * Default 2000.
   */
  readonly storageRetryMaxMs: number;
  /** While storage keeps failing, at most one log line about it per this many ms (0: every failure). Default 10000. */
  readonly storageRetryLogMs: number;
}

export const DRIVER_DEFAULTS: DriverTunables = Object.freeze({
  tickMs: 100,
  electionTicks: 10,
  snapshotThresholdEntries: 8192,
  snapshotThresholdBytes: 8 * 1024 * 1024,
  snapshotIntervalMs: 120_000,
  proposalTimeoutMs: 10_000,
  storageRetryMaxMs: 2_000,
  storageRetryLogMs: 10_000,
});

/** What RaftDriver.open takes: the parts of a node, its callbacks, and any tunables (undefined: the default). */
export interface DriverOptions extends Partial<DriverTunables> {
  /** This node's id (an integer ≥ 1). */
  readonly id: number;
  readonly log: LogStore;
  readonly stable: StableStore;
  readonly snapshots: SnapshotStore;
  readonly applier: Applier;
  readonly logger: Logger;
  /** The configuration of a brand-new cluster (bootstrap), or an empty one to wait to be added. */
  readonly initialConfig: MembershipConfig;
  /** Called whenever role, term or leader changes. */
  readonly onStateChange?: (state: NodeState) => void;
  /** Called after each batch of applied entries, with the index of the last. */
  readonly onApplied?: (appliedIndex: number) => void;
}

/** DriverOptions with every tunable set. */
export type ResolvedDriverOptions = DriverOptions & DriverTunables;

/** The longest delay setTimeout/setInterval honour, in ms (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The range of each tunable (all integers): delays stop at what a timer can wait. */
const RULES: { readonly [K in keyof DriverTunables]: { readonly min: number; readonly max: number } } = {
  tickMs: { min: 1, max: MAX_TIMER_MS },
  electionTicks: { min: 2, max: Number.MAX_SAFE_INTEGER },
  snapshotThresholdEntries: { min: 1, max: Number.MAX_SAFE_INTEGER },
  snapshotThresholdBytes: { min: 1, max: Number.MAX_SAFE_INTEGER },
  snapshotIntervalMs: { min: 1, max: MAX_TIMER_MS },
  proposalTimeoutMs: { min: 1, max: MAX_TIMER_MS },
  storageRetryMaxMs: { min: 1, max: MAX_TIMER_MS },
  storageRetryLogMs: { min: 0, max: Number.MAX_SAFE_INTEGER },
};

/**
 * Fills in the defaults of the tunables left out (or undefined) and validates.
 * @throws RangeError naming the first bad option, what it must be, and what it was
 * @example resolveDriverOptions({ ...parts, electionTicks: 1 }) // RangeError: electionTicks must be an integer ≥ 2, got 1
 */
export function resolveDriverOptions(options: DriverOptions): ResolvedDriverOptions {
  const tunables: { -readonly [K in keyof DriverTunables]: number } = { ...DRIVER_DEFAULTS };
  for (const name of Object.keys(DRIVER_DEFAULTS) as (keyof DriverTunables)[]) {
    const value = options[name];
    if (value !== undefined) tunables[name] = value;
  }
  const resolved = { ...options, ...tunables };
  validateDriverOptions(resolved);
  return resolved;
}

/** Throws a RangeError naming the first bad option, what it must be, and what it was. */
export function validateDriverOptions(options: ResolvedDriverOptions): void {
  if (!isNodeId(options.id)) throw new RangeError(`id must be a node id (an integer ≥ 1), got ${options.id}`);
  for (const name of Object.keys(RULES) as (keyof DriverTunables)[]) {
    const { min, max } = RULES[name];
    const value = options[name];
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
      throw new RangeError(`${name} must be an integer ${range}, got ${value}`);
    }
  }
}

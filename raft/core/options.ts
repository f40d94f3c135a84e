/**
 * Tunables of the consensus core. Time is counted in ticks (calls to
 * `tick()`); the driver decides how long a tick is.
 */

/** Options given to `RaftNode`; see `defaultOptions` for defaults. */
export interface RaftOptions {
  /** This server's id (≥ 1). */
  readonly id: number;
  /** Base election timeout in ticks; the real one is random in [n, 2n). Default 10. */
  readonly electionTicks: number;
  /** Leader heartbeat interval in ticks; must be < electionTicks. Default 1. */
  readonly heartbeatTicks: number;
  /** Max append messages in flight per follower in replicate mode. Default 64. */
  readonly maxInflightAppends: number;
  /** Max entries in one append message. Default 256. */
  readonly maxEntriesPerAppend: number;
  /** Max entry payload bytes in one append message (≥ 1 entry is always sent). Default 1 MiB. */
  readonly maxAppendBytes: number;
  /** Max committed entries handed to the driver in one Ready. Default 1024. */
  readonly maxApplyEntries: number;
  /** Pre-vote phase before a real election (dissertation §9.6). Default true. */
  readonly preVote: boolean;
  /** Leader steps down without a quorum heard within an election timeout (§6.2). Default true. */
  readonly checkQuorum: boolean;
  /** Seeded random source returning numbers in [0, 1). The core never uses Math.random. */
  readonly random: () => number;
}

/** Defaults for everything except `id` and `random`. */
export const defaultOptions = {
  electionTicks: 10,
  heartbeatTicks: 1,
  maxInflightAppends: 64,
  maxEntriesPerAppend: 256,
  maxAppendBytes: 1 << 20,
  maxApplyEntries: 1024,
  preVote: true,
  checkQuorum: true,
} as const;

/** Fills defaults and validates; throws RangeError with a clear message. */
export function resolveOptions(
  partial: Partial<RaftOptions> & Pick<RaftOptions, "id" | "random">,
): RaftOptions {
  const options: RaftOptions = { ...defaultOptions, ...partial };
  validateOptions(options);
  return options;
}

/** Throws a RangeError naming the first invalid field and why. */
export function validateOptions(o: RaftOptions): void {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new RangeError(`Invalid raft option ${name}=${v}: must be an integer ≥ 1`);
    }
  };
  positiveInt("id", o.id);
  positiveInt("electionTicks", o.electionTicks);
  positiveInt("heartbeatTicks", o.heartbeatTicks);
  positiveInt("maxInflightAppends", o.maxInflightAppends);
  positiveInt("maxEntriesPerAppend", o.maxEntriesPerAppend);
  positiveInt("maxAppendBytes", o.maxAppendBytes);
  positiveInt("maxApplyEntries", o.maxApplyEntries);
  if (o.heartbeatTicks >= o.electionTicks) {
    throw new RangeError(
      `Invalid raft options: heartbeatTicks=${o.heartbeatTicks} must be < electionTicks=${o.electionTicks}`,
    );
  }
  if (typeof o.random !== "function") {
    throw new RangeError("Invalid raft option random: must be a function returning [0, 1)");
  }
}

/**
 * Versionstamps from the log: 16 hex digits of the Raft log index of the
 * entry that committed the write, then 4 of the commit's position among
 * the commits that entry made (a batched entry carries many commands, and
 * a command may commit several times). Identical on every replica and
 * after replay, and increasing, as Deno KV's are.
 */
export const MAX_COMMITS_PER_ENTRY = 0x10000;

export function formatVersionstamp(logIndex: number, position: number): string {
  if (!Number.isSafeInteger(logIndex) || logIndex < 0) throw new RangeError(`bad log index ${logIndex}`);
  if (!Number.isInteger(position) || position < 0 || position >= MAX_COMMITS_PER_ENTRY) {
    throw new RangeError(`more than ${MAX_COMMITS_PER_ENTRY} commits in one log entry`);
  }
  return logIndex.toString(16).padStart(16, "0") + position.toString(16).padStart(4, "0");
}

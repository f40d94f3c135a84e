/**
 * The first step of running a Ready: making durable what it asks for,
 * before any of its messages is sent (Raft §5, Figure 2: persistent state
 * is updated on stable storage before responding to RPCs). The log first
 * (a snapshot's reset, a conflicting suffix cut, new entries), then the
 * term and vote.
 */
import type { Ready } from "./core/types.ts";
import type { LogStore } from "./storage/log_store.ts";
import type { StableStore } from "./storage/stable_store.ts";

/**
 * Persists `ready`; resolves whether anything was written. Rejects with the
 * store's error (StorageFailedError for a write the disk refused).
 */
export async function persistReady(ready: Ready, log: LogStore, stable: StableStore): Promise<boolean> {
  if (ready.snapshot) await log.reset(ready.snapshot.index, ready.snapshot.term);
  if (ready.entries.length > 0) {
    const first = ready.entries[0].index;
    if (first <= log.lastIndex()) await log.truncateSuffix(first);
    await log.append(ready.entries);
  }
  const hard = ready.hardState;
  const saved = stable.get();
  const vote = hard && hard.vote !== 0 ? hard.vote : null;
  // The commit index is not persisted: it is re-learned from the leader (or a
  // new election) after a restart, which costs no extra fsync per write.
  if (hard && (hard.term !== saved.currentTerm || vote !== saved.votedFor)) {
    await stable.update({ currentTerm: hard.term, votedFor: vote });
    return true;
  }
  return ready.snapshot !== undefined || ready.entries.length > 0;
}

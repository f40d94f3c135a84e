/**
 * The first step of running a Ready: making durable what it asks for,
 * before any of its messages is sent (Raft §5, Figure 2: persistent state
 * is updated on stable storage before responding to RPCs). The log first
 * (a snapshot's reset, a conflicting suffix cut, new entries), then the
 * term and vote.
 */
import type { Ready, RoleKind } from "./core/types.ts";
import type { LogStore } from "./storage/log_store.ts";
import type { StableState, StableStore } from "./storage/stable_store.ts";

type DurableTermAndVote = Pick<StableState, "currentTerm" | "votedFor">;

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
  if (changesTermOrVote(ready, stable.get())) {
    await stable.update({ currentTerm: ready.hardState!.term, votedFor: ready.hardState!.vote || null });
    return true;
  }
  return ready.snapshot !== undefined || ready.entries.length > 0;
}

/**
 * True when `ready` carries a term or vote not yet on disk. The commit index
 * is never persisted: it is re-learned from the leader (or a new election)
 * after a restart, which costs no extra fsync per write.
 */
export function changesTermOrVote(ready: Ready, saved: DurableTermAndVote): boolean {
  const hard = ready.hardState;
  return hard !== undefined && (hard.term !== saved.currentTerm || (hard.vote || null) !== saved.votedFor);
}

/**
 * True when `ready`'s messages may leave before its writes are durable: a
 * leader's appends and heartbeats (Raft dissertation §10.2.1) — the leader
 * counts its own copy toward a commit only once advance() says it is on
 * disk, so sending first overlaps the leader's fsync with the followers'.
 * Votes, acknowledgements and anything under a term or vote not yet on disk
 * wait for the disk. An entry sent this way whose local write then fails
 * may still commit through the followers: its client hears "outcome unknown".
 */
export function maySendBeforePersisting(ready: Ready, role: RoleKind, saved: DurableTermAndVote): boolean {
  return role === "leader" && ready.snapshot === undefined && !changesTermOrVote(ready, saved);
}

/**
 * The leader's view of one follower's replication (etcd's tracker):
 * probe (one append at a time until a match is found), replicate
 * (optimistic pipelining with a bounded in-flight window), snapshot
 * (waiting for a snapshot to be installed).
 */

/** Replication mode of one follower. */
export type ProgressState = "probe" | "replicate" | "snapshot";

/** A bounded FIFO of the last index of each append message in flight. */
export class Inflights {
  private readonly items: number[] = [];
  readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get count(): number {
    return this.items.length;
  }
  full(): boolean {
    return this.items.length >= this.capacity;
  }
  add(lastIndex: number): void {
    this.items.push(lastIndex);
  }
  /** Frees every message whose last index is ≤ `index` (acknowledged). */
  freeTo(index: number): void {
    let k = 0;
    while (k < this.items.length && this.items[k] <= index) k++;
    if (k > 0) this.items.splice(0, k);
  }
  freeFirstOne(): void {
    this.items.shift();
  }
  reset(): void {
    this.items.length = 0;
  }
}

/** Replication progress of one member, kept by the leader. */
export class Progress {
  match = 0;
  next: number;
  state: ProgressState = "probe";
  /** In probe state: an append was sent and not yet answered. */
  probeSent = false;
  /** Index of the snapshot being sent, in snapshot state. */
  pendingSnapshot = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  voter: boolean;
  readonly inflights: Inflights;

  constructor(next: number, voter: boolean, maxInflight: number) {
    this.next = next;
    this.voter = voter;
    this.inflights = new Inflights(maxInflight);
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot, resume right after it (the follower has it now or will ask again).
    const afterSnapshot = this.state === "snapshot" ? this.pendingSnapshot + 1 : 0;
    this.resetState("probe");
    this.next = Math.max(this.match + 1, afterSnapshot);
  }

  becomeReplicate(): void {
    this.resetState("replicate");
    this.next = this.match + 1;
  }

  becomeSnapshot(index: number): void {
    this.resetState("snapshot");
    this.pendingSnapshot = index;
  }

  /** An acknowledgement up to `index`; returns true if it told us something new. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * A rejection of an append at `rejected`; `matchHint` is the last index
   * that may match. Returns false when the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** Records that an append ending at `lastIndex` (with `count` entries) was sent. */
  sentAppend(lastIndex: number, count: number): void {
    if (this.state === "replicate") {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === "probe") {
      this.probeSent = true;
    }
  }

  /** True when no append should be sent now. */
  isPaused(): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflights.full();
      case "snapshot":
        return true;
    }
  }
}

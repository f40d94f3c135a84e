/**
 * RaftNode: the public face of the consensus core, in the style of
 * etcd-io/raft's RawNode. It performs no I/O and reads no clock: the driver
 * calls `tick()` on a timer, feeds peer messages to `step()`, and loops
 * `hasReady()` → `ready()` → (persist, send, apply) → `advance()`.
 *
 * @example
 * ```ts
 * const node = new RaftNode({ id: 1, random: seededRandom }, {
 *   hardState: { term: 0, vote: 0, commit: 0 },
 *   snapshot: { index: 0, term: 0, config: { members: [{ id: 1, address: "a", voter: true }] } },
 *   entries: [],
 * });
 * node.campaign();
 * while (node.hasReady()) { const rd = node.ready(); persist(rd); send(rd); apply(rd); node.advance(rd); }
 * ```
 */
import type { LogEntry } from "../log_entry.ts";
import { leaderState, maybeCommit, bcastAppend } from "./leader.ts";
import { resolveOptions, type RaftOptions } from "./options.ts";
import { type PersistedState, Raft } from "./raft.ts";
import * as requests from "./requests.ts";
import type {
  ConfChange,
  HardState,
  MembershipConfig,
  Message,
  PeerProgress,
  ProposeResult,
  RequestResult,
  Ready,
  RoleKind,
  SnapshotMessage,
  SnapshotMeta,
} from "./types.ts";

export type { PersistedState };

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** A Raft server without I/O: see the module example for the driver loop. */
export class RaftNode {
  readonly #r: Raft;
  #persistedHardState: HardState;
  #outstanding: Ready | undefined;

  /**
   * @param options `id` and a seeded `random` are required; the rest default
   *   (see `defaultOptions`). Invalid values throw RangeError.
   * @param persisted what the driver has on disk: hard state, the latest
   *   snapshot's metadata (index 0 with the initial configuration for a new
   *   cluster, or with no members for a server waiting to be added), and the
   *   log entries after it.
   */
  constructor(
    options: Partial<RaftOptions> & Pick<RaftOptions, "id" | "random">,
    persisted: PersistedState,
  ) {
    this.#r = new Raft(resolveOptions(options), persisted);
    this.#persistedHardState = this.#r.hardState();
  }

  /** Advances logical time by one tick (elections, heartbeats, check-quorum). */
  tick(): void {
    this.#r.tick();
  }

  /** Feeds one message from a peer. Messages for other ids are ignored. */
  step(message: Message): void {
    this.#r.step(message);
  }

  /**
   * Whether a snapshot in `message` would be considered now: addressed here,
   * of this term or newer, from a sender this node heeds (Raft.heeds). The
   * driver asks before it stores the snapshot's data.
   */
  wantsSnapshot(message: SnapshotMessage): boolean {
    return message.to === this.#r.id && message.term >= this.#r.term && this.#r.heeds(message);
  }

  /** Starts an election now (a single-voter cluster elects itself at once). */
  campaign(): void {
    if (this.#r.role.kind !== "leader") this.#r.campaign("election");
  }

  /**
   * Becomes a follower of no known leader in the same term (the vote is
   * kept): from now on proposals and reads are refused. For a driver that
   * can no longer persist, and stops stepping and ticking this core.
   */
  stepDown(): void {
    this.#r.becomeFollower(this.#r.term, 0);
  }

  /** Appends application data on the leader; refused with a leader hint elsewhere. */
  propose(data: Uint8Array): ProposeResult {
    return requests.propose(this.#r, data);
  }

  /** Proposes one membership change (see ConfChange). */
  proposeConfChange(change: ConfChange): ProposeResult {
    return requests.proposeConfChange(this.#r, change);
  }

  /**
   * Asks for a linearizable read. When accepted, a later Ready lists
   * `{requestId, index}` in `readStates` (serve it once applied ≥ index) or
   * `requestId` in `failedReads` if leadership was lost meanwhile.
   */
  readIndex(requestId: number): RequestResult {
    return requests.readIndex(this.#r, requestId);
  }

  /** Transfers leadership to voter `target` (abandoned after an election timeout). */
  transferLeadership(target: number): RequestResult {
    return requests.transferLeadership(this.#r, target);
  }

  /**
   * The application saved a snapshot of its state at `index` (≤ applied):
   * drop the log up to there. Returns the snapshot's metadata (term and the
   * configuration at `index`) for the driver to store with the snapshot.
   * To let lagging followers catch up from the log, call this with the
   * index of an older retained snapshot, not the newest one.
   */
  compact(index: number): SnapshotMeta {
    const log = this.#r.log;
    if (index <= log.snapshot.index) return log.snapshot;
    const meta = this.snapshotMetaAt(index);
    log.compact(meta);
    return meta;
  }

  /**
   * The metadata a snapshot of the state machine at `index` must carry: the
   * term of that entry and the configuration in effect there (which may
   * differ from `config`, the latest one, when a change is still in flight).
   * `index` must be between the current snapshot's index and the commit
   * index (the driver applies committed entries before they are advance()d).
   */
  snapshotMetaAt(index: number): SnapshotMeta {
    const log = this.#r.log;
    if (index > log.committed) {
      throw new RangeError(`snapshot at ${index}: must be ≤ the commit index ${log.committed}`);
    }
    if (index === log.snapshot.index) return log.snapshot;
    if (index < log.snapshot.index) {
      throw new RangeError(`snapshot at ${index}: the log is already compacted through ${log.snapshot.index}`);
    }
    return { index, term: log.term(index)!, config: log.configAt(index) };
  }

  /**
   * The driver finished (ok) or gave up (not ok) streaming a snapshot to
   * `peer`. Must be called once for every snapshot message sent.
   */
  reportSnapshot(peer: number, ok: boolean): void {
    const r = this.#r;
    if (r.role.kind !== "leader") return;
    const pr = r.role.progress.get(peer);
    if (!pr || pr.state !== "snapshot") return;
    if (!ok) pr.pendingSnapshot = 0;
    pr.becomeProbe();
    pr.probeSent = true; // wait for the next heartbeat answer before probing
  }

  /** True when `ready()` has something to do and no Ready is outstanding. */
  hasReady(): boolean {
    if (this.#outstanding) return false;
    const r = this.#r;
    const log = r.log;
    return r.msgs.length > 0 || log.lastIndex() > log.stable || log.pendingSnapshot !== undefined ||
      log.committed > log.applied || r.readStates.length > 0 || r.failedReads.length > 0 ||
      !sameHardState(r.hardState(), this.#persistedHardState);
  }

  /** Collects the next batch of work; call `advance(ready)` when it is done. */
  ready(): Ready {
    if (this.#outstanding) throw new Error("ready() called again before advance()");
    const r = this.#r;
    const log = r.log;
    const hardState = r.hardState();
    const snapshot = log.pendingSnapshot;
    const from = Math.max(log.applied, snapshot?.index ?? 0) + 1;
    const to = Math.min(log.committed, from + r.options.maxApplyEntries - 1);
    const committedEntries: LogEntry[] = to >= from ? log.slice(from, to + 1) : [];
    const rd: Ready = {
      hardState: sameHardState(hardState, this.#persistedHardState) ? undefined : hardState,
      snapshot,
      entries: log.unstableEntries(),
      messages: r.msgs,
      committedEntries,
      readStates: r.readStates,
      failedReads: r.failedReads,
    };
    r.msgs = [];
    r.readStates = [];
    r.failedReads = [];
    if (r.role.kind === "leader") r.role.reads.closeOpenRound();
    this.#outstanding = rd;
    return rd;
  }

  /** Marks `ready` as persisted, sent and applied. */
  advance(ready: Ready): void {
    if (ready !== this.#outstanding) throw new Error("advance() expects the last Ready returned");
    this.#outstanding = undefined;
    const r = this.#r;
    const log = r.log;
    if (ready.snapshot) {
      if (log.pendingSnapshot === ready.snapshot) log.pendingSnapshot = undefined;
      log.applied = Math.max(log.applied, ready.snapshot.index);
      log.stable = Math.max(log.stable, Math.min(ready.snapshot.index, log.lastIndex()));
    }
    // Everything in ready.entries is on disk now; entries replaced since
    // ready() (steps may run meanwhile) do not count.
    for (let k = ready.entries.length - 1; k >= 0; k--) {
      const e = ready.entries[k];
      if (log.matchTerm(e.index, e.term)) {
        log.stableTo(e.index, e.term);
        break;
      }
    }
    if (ready.committedEntries.length > 0) {
      log.applied = ready.committedEntries[ready.committedEntries.length - 1].index;
    }
    if (ready.hardState) this.#persistedHardState = ready.hardState;
    if (r.role.kind === "leader") {
      // The leader counts its own copy only once it is on disk.
      leaderState(r).progress.get(r.id)?.maybeUpdate(log.stable);
      if (maybeCommit(r) && r.role.kind === "leader") bcastAppend(r);
    }
  }

  /** This node's id. */
  get id(): number {
    return this.#r.id;
  }
  /** Current role. */
  get role(): RoleKind {
    return this.#r.role.kind;
  }
  /** Current term. */
  get term(): number {
    return this.#r.term;
  }
  /** Id of the known leader of the current term, 0 if unknown. */
  get leaderId(): number {
    return this.#r.leaderId;
  }
  /** Highest index known committed. */
  get commitIndex(): number {
    return this.#r.log.committed;
  }
  /** Highest index handed to the driver as applied (advanced). */
  get appliedIndex(): number {
    return this.#r.log.applied;
  }
  /** Index of the last log entry. */
  get lastIndex(): number {
    return this.#r.log.lastIndex();
  }
  /** The latest configuration (in effect as soon as appended). */
  get config(): MembershipConfig {
    return this.#r.config;
  }
  /** Index of the entry holding `config` (the snapshot's index when it came with the snapshot). */
  get configIndex(): number {
    return this.#r.log.lastConfigIndex() || this.#r.log.snapshot.index;
  }
  /** Metadata of the snapshot the log starts after. */
  get snapshotMeta(): SnapshotMeta {
    return this.#r.log.snapshot;
  }
  /** Term of the entry at `index`, undefined if compacted or absent. */
  termAt(index: number): number | undefined {
    return this.#r.log.term(index);
  }
  /** Log entries in [from, to) (must not be compacted). */
  entries(from: number, to: number): LogEntry[] {
    return this.#r.log.slice(from, to);
  }
  /** Leader only: replication state per member (empty on other roles). */
  progress(): PeerProgress[] {
    const role = this.#r.role;
    if (role.kind !== "leader") return [];
    return [...role.progress].map(([id, pr]) => ({
      id,
      voter: pr.voter,
      match: pr.match,
      next: pr.next,
      state: pr.state,
      inflight: pr.inflights.count,
      recentActive: pr.recentActive,
    }));
  }
  /** Leader only: the current transfer target, 0 if none. */
  get transferee(): number {
    const role = this.#r.role;
    return role.kind === "leader" ? role.transferee : 0;
  }
}

/**
 * The Raft driver: the I/O edge around the pure core. It ticks the core on
 * a timer, feeds it peer messages, and runs each Ready in the order Raft
 * requires — persist (log, then term/vote), send, apply, advance — and it
 * turns proposals and reads into promises for the layers above. When a
 * write fails (a full disk), the node steps down and pauses, and resumes by
 * itself from its durable state once writes succeed again (#resume).
 */
import type { LogEntry } from "./log_entry.ts";
import { EntryKind } from "./log_entry.ts";
import { RaftNode } from "./core/raft_node.ts";
import type {
  ConfChange,
  MembershipConfig,
  Message,
  ProposeResult,
  Ready,
  RoleKind,
  SnapshotMessage,
  SnapshotMeta,
} from "./core/types.ts";
import type { LogStore } from "./storage/log_store.ts";
import type { StableStore } from "./storage/stable_store.ts";
import type { SnapshotInfo, SnapshotStore } from "./storage/snapshot_store.ts";
import { NotLeaderError, OutcomeUnknownError, ShutdownError } from "./errors.ts";
import { PendingProposals, PendingReads } from "./pending_requests.ts";
import { findSnapshot, readSnapshotData, snapshotFileChunks, storeStreamedSnapshot } from "./snapshot_io.ts";
import type { PersistedState } from "./core/raft.ts";
import { loadDurableState } from "./durable_state.ts";
import { StorageFailedError } from "./storage/errors.ts";
import { StorageOutage } from "./storage_outage.ts";
import type { Logger } from "./logger.ts";

/** What the layers above may read of the consensus core. */
export type RaftStatus = Pick<
  RaftNode,
  | "role"
  | "term"
  | "leaderId"
  | "commitIndex"
  | "appliedIndex"
  | "lastIndex"
  | "config"
  | "snapshotMeta"
  | "termAt"
  | "progress"
  | "configIndex"
>;

/** Where committed entries go: the replicated machine. */
export interface Applier {
  /** Applies a committed Command entry's data; the result goes to the proposer. */
  apply(data: Uint8Array, index: number): unknown;
  /** The machine's whole state (as of the last applied entry). */
  snapshot(): Uint8Array;
  /** Replaces the machine's state with a snapshot's. */
  restore(bytes: Uint8Array): void;
  /** Machine time in ms and its random state, stored in snapshot headers for display. */
  snapshotHeader(): { time: number; seed: string };
}

/** How the driver reaches peers (raft/transport implements it). */
export interface DriverTransport {
  setPeers(peers: ReadonlyMap<number, string>): void;
  send(messages: readonly Message[]): void;
  sendSnapshot(message: SnapshotMessage, chunks: AsyncIterable<Uint8Array>): Promise<boolean>;
  /** Peer `id`'s address, also one learned from its handshake before any configuration names it. */
  addressOf?(id: number): string | undefined;
}

export interface DriverOptions {
  readonly id: number;
  readonly log: LogStore;
  readonly stable: StableStore;
  readonly snapshots: SnapshotStore;
  readonly applier: Applier;
  readonly logger: Logger;
  /** The configuration of a brand-new cluster (bootstrap), or an empty one to wait to be added. */
  readonly initialConfig: MembershipConfig;
  /** Length of one core tick in ms. Default 100. */
  readonly tickMs?: number;
  /** Election timeout in ticks (randomized in [n, 2n)). Default 10. */
  readonly electionTicks?: number;
  /** Take a snapshot after this many applied entries. Default 8192. */
  readonly snapshotThresholdEntries?: number;
  /**
   * Also take one this often (ms) when anything was applied since the last,
   * so a quiet node's log and restart replay stay short. Default 120000.
   */
  readonly snapshotIntervalMs?: number;
  /** A proposal that has not resolved after this long gets OutcomeUnknownError. Default 10 s. */
  readonly proposalTimeoutMs?: number;
  /**
   * After a storage write fails (full disk, I/O error) the node steps down,
   * stops taking part and tries to resume by itself: first after 100 ms,
   * then waiting twice as long each time, but at most this long (ms).
   * Default 2000.
   */
  readonly storageRetryMaxMs?: number;
  /** While storage keeps failing, at most one log line about it per this many ms. Default 10000. */
  readonly storageRetryLogMs?: number;
  /** Called whenever role, term or leader changes. */
  readonly onStateChange?: (state: { role: RoleKind; term: number; leaderId: number }) => void;
  /** Called after each batch of applied entries. */
  readonly onApplied?: (appliedIndex: number) => void;
}

function configKey(config: MembershipConfig): string {
  return config.members.map((m) => `${m.id}@${m.address}`).join(",");
}

function newCore(options: DriverOptions, persisted: PersistedState): RaftNode {
  return new RaftNode({ id: options.id, random: Math.random, electionTicks: options.electionTicks ?? 10, heartbeatTicks: 1 }, persisted);
}

export class RaftDriver {
  readonly id: number;
  /** Replaced (rebuilt from disk) when the node resumes after a storage failure. */
  #core: RaftNode;
  readonly #o: DriverOptions;
  #transport: DriverTransport | undefined;
  readonly #proposals: PendingProposals;
  readonly #reads = new PendingReads();
  #pumping = false;
  #again = false;
  #closed = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #snapshotTimer: ReturnType<typeof setInterval> | undefined;
  #lastSnapshotIndex: number;
  #snapshotting: Promise<SnapshotInfo> | undefined;
  #lastState = { role: "follower" as RoleKind, term: -1, leaderId: -1 };
  #fatal: Error | undefined;
  /** Set while this node cannot persist: it takes no part in the cluster until it can again. */
  #outage: StorageOutage | undefined;
  /** The last outage, until a write succeeds after resuming: failing again at once continues it, and its backoff. */
  #recentOutage: StorageOutage | undefined;
  #resumeTimer: ReturnType<typeof setTimeout> | undefined;
  #resuming: Promise<void> = Promise.resolve();

  private constructor(options: DriverOptions, core: RaftNode, snapshotIndex: number) {
    this.id = options.id;
    this.#o = options;
    this.#core = core;
    this.#lastSnapshotIndex = snapshotIndex;
    this.#proposals = new PendingProposals(options.proposalTimeoutMs ?? 10_000);
  }

  /**
   * Loads the node's persisted state (latest snapshot into the machine,
   * term/vote, log entries after the snapshot) and builds the core.
   */
  static async open(options: DriverOptions): Promise<RaftDriver> {
    const durable = await loadDurableState(options, undefined);
    const driver = new RaftDriver(options, newCore(options, durable.persisted), durable.persisted.snapshot.index);
    driver.#machineIndex = durable.machineIndex;
    return driver;
  }

  /** Connects the transport and starts ticking. */
  start(transport: DriverTransport): void {
    this.#transport = transport;
    this.#updatePeers();
    this.#campaignIfAlone();
    this.#timer = setInterval(() => {
      if (this.#outage) return; // a node that cannot persist must not campaign
      this.#core.tick();
      this.#kick();
    }, this.#o.tickMs ?? 100);
    this.#snapshotTimer = setInterval(() => this.#maybeSnapshot(true), this.#o.snapshotIntervalMs ?? 120_000);
    this.#kick();
  }

  /** A single-voter cluster need not wait an election timeout to elect itself. */
  #campaignIfAlone(): void {
    const config = this.#core.config;
    if (config.members.length === 1 && config.members[0].id === this.id && config.members[0].voter) {
      this.#core.campaign();
    }
  }

  // ---- inputs -------------------------------------------------------------

  /** A message from a peer. */
  receive(message: Message): void {
    // During a storage outage messages are dropped, as if lost on the network.
    if (this.#closed || this.#outage) return;
    this.#core.step(message);
    if (message.from === this.#core.leaderId && message.term === this.#core.term) this.#leaderHeardAt = performance.now();
    this.#kick();
  }

  /** A snapshot streamed from the leader: store it (verified), then let the core install it. */
  async receiveSnapshot(message: SnapshotMessage, data: AsyncIterable<Uint8Array>): Promise<void> {
    if (this.#outage) throw this.#outage.error; // the transport tells the sender, who retries later
    try {
      const info = await storeStreamedSnapshot(this.#o.snapshots, message.snapshot, data);
      this.#o.logger.info(`received snapshot ${info.id} (${info.size} bytes) from ${message.from}`);
    } catch (error) {
      this.#o.logger.warn(`snapshot from ${message.from} failed: ${(error as Error).message}`);
      throw error; // the transport tells the sender, whose core then retries
    }
    this.receive(message);
  }

  /**
   * Proposes `data` as a Command entry; resolves with the machine's result
   * once committed and applied here.
   */
  propose(data: Uint8Array): Promise<unknown> {
    return this.#await(this.#core.propose(data));
  }

  /** Proposes a membership change; resolves once it is applied. */
  changeMembership(change: ConfChange): Promise<unknown> {
    return this.#await(this.#core.proposeConfChange(change));
  }

  #await(result: ProposeResult): Promise<unknown> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (!result.accepted) {
      if (result.reason === "notLeader") return Promise.reject(this.#notLeader());
      return Promise.reject(new Error(result.message));
    }
    this.#kick();
    return this.#proposals.add(result.index, result.term);
  }

  /**
   * Resolves when a linearizable read may run here: this node confirmed it
   * is still leader after the read arrived, and has applied everything
   * committed at that moment (ReadIndex, Raft §6.4).
   */
  linearizableRead(): Promise<void> {
    if (this.#fatal) return Promise.reject(this.#fatal);
    const requestId = this.#reads.nextId();
    const result = this.#core.readIndex(requestId);
    if (!result.accepted) return Promise.reject(this.#notLeader());
    this.#kick();
    return this.#reads.wait(requestId);
  }

  /** Starts a leadership transfer to `target`. */
  transferLeadership(target: number): void {
    const result = this.#core.transferLeadership(target);
    if (!result.accepted) throw result.reason === "notLeader" ? this.#notLeader() : new Error(`cannot transfer: ${result.reason}`);
    this.#kick();
  }

  #notLeader(): NotLeaderError {
    const leaderId = this.#core.leaderId;
    return new NotLeaderError(leaderId, this.leaderAddress());
  }

  /** A joining node's guess at its leader (see hintLeader), and the term it was made in. */
  #leaderHint: { readonly address: string; readonly term: number } | undefined;

  /**
   * A joining node (`-j`) has asked `address` to add it: the join address, or
   * the leader a redirect named. Until this node hears from a leader itself,
   * clients that need the leader are redirected there, rather than told no
   * leader is known while the leader's configuration already lists this node.
   * The hint never reaches the core, so it cannot sway a vote or a term; it
   * lapses once a leader is known, or when the term moves (an election is
   * under way). `undefined` withdraws it.
   */
  hintLeader(address: string | undefined): void {
    const known = this.#core.leaderId !== 0;
    this.#leaderHint = address === undefined || known ? undefined : { address, term: this.#core.term };
  }

  /**
   * Where a client that needs the leader should go: the known leader's
   * address — from the configuration or, when its first messages came before
   * a configuration naming it, from its handshake — else the join hint, else
   * undefined (no leader known).
   */
  leaderAddress(): string | undefined {
    const id = this.#core.leaderId;
    if (id !== 0) return this.addressOf(id) ?? this.#transport?.addressOf?.(id);
    const hint = this.#leaderHint;
    return hint !== undefined && hint.term === this.#core.term ? hint.address : undefined;
  }

  // ---- the Ready loop -----------------------------------------------------

  #kick(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    this.#pumpDone = Promise.resolve().then(() => this.#pump());
  }

  #pumpDone: Promise<void> = Promise.resolve();

  async #pump(): Promise<void> {
    try {
      do {
        this.#again = false;
        while (!this.#closed && !this.#outage && this.#core.hasReady()) {
          const ready = this.#core.ready();
          try {
            if (await this.#persist(ready)) this.#recentOutage = undefined;
          } catch (error) {
            if (!(error instanceof StorageFailedError)) throw error;
            // Nothing of this Ready is sent, applied or advanced: its core is dropped on resuming.
            this.#storageFailed(error);
            break;
          }
          // A configuration takes effect when appended, not when committed (Raft §4.1):
          // the transport must know a new member before this Ready's first append to it.
          if (configKey(this.#core.config) !== this.#peersFrom) this.#updatePeers();
          this.#send(ready);
          await this.#apply(ready);
          this.#core.advance(ready);
          this.#noticeStateChange();
        }
      } while (this.#again && !this.#closed && !this.#outage);
    } catch (error) {
      this.#fail(error as Error);
    } finally {
      this.#pumping = false;
    }
    this.#maybeSnapshot();
  }

  /** A failure no retry can fix (corrupt files, a bug): stop taking part for good. */
  #fail(error: Error): void {
    this.#fatal = new Error(`storage failure, node stopped taking writes: ${error.message}`);
    this.#o.logger.warn(this.#fatal.message);
    this.#proposals.failAll(new OutcomeUnknownError(error.message));
    this.#reads.failAll(this.#fatal);
    this.#closed = true;
    clearInterval(this.#timer);
    clearInterval(this.#snapshotTimer);
    clearTimeout(this.#resumeTimer);
  }

  /** Persists what `ready` asks for; returns whether anything was written. */
  async #persist(ready: Ready): Promise<boolean> {
    const log = this.#o.log;
    if (ready.snapshot) await log.reset(ready.snapshot.index, ready.snapshot.term);
    if (ready.entries.length > 0) {
      const first = ready.entries[0].index;
      if (first <= log.lastIndex()) await log.truncateSuffix(first);
      await log.append(ready.entries);
    }
    const hard = ready.hardState;
    const stable = this.#o.stable.get();
    const vote = hard && hard.vote !== 0 ? hard.vote : null;
    // The commit index is not persisted: it is re-learned from the leader (or a
    // new election) after a restart, which costs no extra fsync per write.
    if (hard && (hard.term !== stable.currentTerm || vote !== stable.votedFor)) {
      await this.#o.stable.update({ currentTerm: hard.term, votedFor: vote });
      return true;
    }
    return ready.snapshot !== undefined || ready.entries.length > 0;
  }

  // ---- storage failures ---------------------------------------------------

  /**
   * A write failed (a full disk, an I/O error). This node can no longer
   * promise anything it has not persisted, so it steps down and stops
   * taking part — it drops peer messages and stops ticking, so it neither
   * acknowledges, votes nor campaigns — until an attempt to resume finds
   * the disk writable again (#resume). Its waiting proposals learn that
   * their outcome is unknown: their entries may be on other nodes already
   * and may yet commit there.
   */
  #storageFailed(error: StorageFailedError): void {
    const now = Date.now();
    const continuing = this.#recentOutage;
    const outage = continuing ??
      new StorageOutage(error, now, { maxDelayMs: this.#o.storageRetryMaxMs, logIntervalMs: this.#o.storageRetryLogMs });
    this.#outage = this.#recentOutage = outage;
    if (continuing) {
      this.#reportStillFailing(outage, error, now);
    } else {
      this.#o.logger.warn(
        `storage write failed (${error.code}): ${this.#core.role === "leader" ? "stepping down as leader and " : ""}` +
          `pausing Raft until the disk takes writes again; this node retries by itself. ${error.message}`,
      );
    }
    this.#core.stepDown();
    this.#noticeStateChange();
    this.#proposals.failAll(new OutcomeUnknownError(`this node's storage failed (${error.code})`));
    this.#reads.failAll(this.#notLeader());
    this.#scheduleResume(outage);
  }

  /** One line per log interval while the storage keeps failing, not one per attempt. */
  #reportStillFailing(outage: StorageOutage, error: StorageFailedError, now: number): void {
    const failures = outage.failed(error, now);
    if (failures === 0) return;
    const seconds = ((now - outage.since) / 1000).toFixed(1);
    this.#o.logger.warn(
      `storage still failing (${error.code}) ${seconds} s after the first failure, ` +
        `${failures} more failures since the last report; still retrying: ${error.message}`,
    );
  }

  #scheduleResume(outage: StorageOutage): void {
    if (this.#closed) return;
    this.#resumeTimer = setTimeout(() => {
      this.#resumeTimer = undefined;
      this.#resuming = this.#resume(outage).catch((error) => this.#fail(error as Error));
    }, outage.nextDelayMs());
  }

  /**
   * One attempt to take part again after a storage failure. The disk must
   * take a small write (the term/vote file, saved again unchanged); the log
   * store reopens itself, verifying its files and cutting a tail the failed
   * append may have torn; then the core is rebuilt from what is durable —
   * exactly the core a restart would build, except that the machine keeps
   * its state (it has applied only committed entries, all of them durable
   * here, so the new core starts with them committed and applied).
   *
   * Why this is safe: Raft's persistent state — currentTerm, votedFor and
   * the log — must be on stable storage before the server responds to RPCs
   * (Raft §5, Figure 2), and this driver sends the messages of a Ready only
   * after persisting it. So everything a peer ever heard from this node
   * (votes, acknowledgements, entries) is covered by what is durable, and
   * restarting from durable state is the crash-recovery case Raft handles
   * at any moment (§5.5). What failed to persist goes with the old core:
   * those entries were never acknowledged (a follower answers only after
   * persisting), never counted in the leader's own match index (the leader
   * counts itself in advance(), which a failed Ready never reaches), and a
   * term or vote that was not saved was never sent. Keeping the old core
   * and retrying instead would keep in-memory state derived from entries
   * that are not on disk (its stable mark, a commit index learned over
   * them), which is what the rebuild rules out. The new core is a follower
   * with a fresh election timer.
   */
  async #resume(outage: StorageOutage): Promise<void> {
    if (this.#closed || this.#outage !== outage) return;
    outage.attempts++;
    try {
      await this.#snapshotting?.catch(() => {});
      await this.#o.stable.save(this.#o.stable.get());
      await this.#o.log.recover();
      const durable = await loadDurableState(this.#o, this.#machineIndex);
      if (this.#closed) return;
      this.#core = newCore(this.#o, durable.persisted);
      this.#machineIndex = durable.machineIndex;
      this.#lastSnapshotIndex = durable.persisted.snapshot.index;
      this.#outage = undefined;
    } catch (error) {
      if (this.#closed) return;
      // Anything but a failed write (a corrupt file, say) is not fixed by waiting.
      if (!(error instanceof StorageFailedError)) throw error;
      this.#reportStillFailing(outage, error, Date.now());
      this.#scheduleResume(outage);
      return;
    }
    const seconds = ((Date.now() - outage.since) / 1000).toFixed(1);
    this.#o.logger.info(
      `storage takes writes again, ${seconds} s after it failed (${outage.attempts} attempts to resume): ` +
        `rejoining as a follower from the durable state (last index ${this.#core.lastIndex}, term ${this.#core.term})`,
    );
    this.#updatePeers();
    this.#noticeStateChange();
    this.#campaignIfAlone();
    this.#kick();
  }

  #send(ready: Ready): void {
    const plain: Message[] = [];
    for (const message of ready.messages) {
      if (message.type === "snapshot") void this.#sendSnapshot(message);
      else plain.push(message);
    }
    if (plain.length > 0) this.#transport?.send(plain);
  }

  async #sendSnapshot(message: SnapshotMessage): Promise<void> {
    let ok = false;
    try {
      const store = this.#o.snapshots;
      const info = await findSnapshot(store, message.snapshot.index, message.snapshot.term);
      this.#o.logger.info(`sending snapshot ${info.id} (${info.size} bytes) to ${message.to}`);
      ok = (await this.#transport?.sendSnapshot(message, snapshotFileChunks(store, info))) ?? false;
    } catch (error) {
      this.#o.logger.warn(`snapshot to ${message.to} failed: ${(error as Error).message}`);
    }
    this.#core.reportSnapshot(message.to, ok);
    this.#kick();
  }

  async #apply(ready: Ready): Promise<void> {
    if (ready.snapshot) await this.#installSnapshot(ready.snapshot);
    for (const entry of ready.committedEntries) this.#applyEntry(entry);
    for (const read of ready.readStates) this.#reads.confirmed(read.requestId, read.index);
    for (const requestId of ready.failedReads) this.#reads.failed(requestId, this.#notLeader());
    this.#reads.release(this.#machineIndex);
    const applied = ready.committedEntries.at(-1)?.index ?? ready.snapshot?.index;
    if (applied !== undefined) this.#o.onApplied?.(applied);
  }

  /** Restores the machine from a snapshot that receiveSnapshot stored. */
  async #installSnapshot(meta: SnapshotMeta): Promise<void> {
    const info = await findSnapshot(this.#o.snapshots, meta.index, meta.term);
    this.#o.applier.restore(await readSnapshotData(this.#o.snapshots, info));
    this.#lastSnapshotIndex = meta.index;
    this.#machineIndex = meta.index;
    this.#updatePeers();
    this.#o.logger.info(`installed snapshot ${info.id}`);
  }

  /** Index of the last entry applied to the machine (or of the snapshot it was restored from). */
  #machineIndex = 0;

  #applyEntry(entry: LogEntry): void {
    this.#machineIndex = entry.index;
    let result: unknown = undefined;
    if (entry.kind === EntryKind.Command) result = this.#o.applier.apply(entry.data, entry.index);
    this.#proposals.applied(entry.index, entry.term, result);
  }

  /** configKey of the configuration the transport's address book was made from. */
  #peersFrom = "";

  #updatePeers(): void {
    this.#peersFrom = configKey(this.#core.config);
    const peers = new Map<number, string>();
    for (const member of this.#core.config.members) {
      if (member.id !== this.id) peers.set(member.id, member.address);
    }
    this.#transport?.setPeers(peers);
  }

  #noticeStateChange(): void {
    const state = { role: this.#core.role, term: this.#core.term, leaderId: this.#core.leaderId };
    if (state.leaderId !== 0) this.#leaderHint = undefined;
    const last = this.#lastState;
    if (state.role === last.role && state.term === last.term && state.leaderId === last.leaderId) return;
    this.#lastState = state;
    this.#o.onStateChange?.(state);
  }

  // ---- snapshots ----------------------------------------------------------

  #maybeSnapshot(intervalElapsed = false): void {
    const threshold = intervalElapsed ? 1 : this.#o.snapshotThresholdEntries ?? 8192;
    if (this.#closed || this.#snapshotting || this.#outage) return;
    if (this.#core.appliedIndex - this.#lastSnapshotIndex < threshold) return;
    this.snapshotNow().catch((error) => this.#o.logger.warn(`automatic snapshot failed: ${error.message}`));
  }

  /**
   * Snapshots the machine at the applied index, stores it, and compacts the
   * log up to the previous snapshot — keeping the entries between the two,
   * so a follower a little behind catches up from the log instead of
   * needing a snapshot (and cannot loop between the two).
   */
  snapshotNow(): Promise<SnapshotInfo> {
    if (this.#snapshotting) return this.#snapshotting;
    // While paused by a storage failure: the core is frozen and the disk refuses writes.
    if (this.#outage) return Promise.reject(this.#outage.error);
    const run = async () => {
      // Entries applied to the machine but not yet advance()d are unknown to the
      // core; let the Ready loop catch up, then snapshot with no await between.
      while (this.#machineIndex > this.#core.appliedIndex) await this.#pumpDone;
      const index = this.#machineIndex;
      // The configuration in effect at `index`, not the latest appended one
      // (a membership change may still be in flight).
      const { term, config } = this.#core.snapshotMetaAt(index);
      const bytes = this.#o.applier.snapshot();
      const header = this.#o.applier.snapshotHeader();
      const sink = await this.#o.snapshots.create({
        index,
        term,
        config,
        time: header.time,
        seed: header.seed,
      });
      await sink.write(bytes);
      const info = await sink.commit();
      const previous = this.#lastSnapshotIndex;
      this.#lastSnapshotIndex = index;
      if (previous > 0 && previous <= Math.min(index, this.#core.appliedIndex)) {
        const meta = this.#core.compact(previous);
        if (meta.index > this.#o.log.firstIndex() - 1 && meta.index <= this.#o.log.lastIndex()) {
          await this.#o.log.compactPrefix(meta.index);
        }
      }
      this.#o.logger.info(`snapshot ${info.id} taken (${info.size} bytes)`);
      return info;
    };
    this.#snapshotting = run().finally(() => (this.#snapshotting = undefined));
    return this.#snapshotting;
  }

  // ---- status -------------------------------------------------------------

  /** The core's state, read-only: role, term, leader, indexes, configuration, progress. */
  get status(): RaftStatus {
    return this.#core;
  }
  get failed(): Error | undefined {
    return this.#fatal;
  }
  /** The storage failure this node is paused by (it resumes by itself), or undefined. */
  get storageFailure(): StorageFailedError | undefined {
    return this.#outage?.error;
  }

  #leaderHeardAt: number | undefined;
  /** performance.now() when a message from the leader of its term last arrived; undefined before any (RAFT INFO last_contact). */
  get leaderHeardAt(): number | undefined {
    return this.#leaderHeardAt;
  }

  /** The advertised address of member `id`, if it is in the configuration. */
  addressOf(id: number): string | undefined {
    return this.#core.config.members.find((m) => m.id === id)?.address;
  }

  /** Stops ticking; pending proposals fail with ShutdownError. Closes nothing it did not open. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    clearInterval(this.#snapshotTimer);
    clearTimeout(this.#resumeTimer);
    await this.#resuming;
    await this.#pumpDone;
    await this.#snapshotting?.catch(() => {});
    this.#proposals.failAll(new ShutdownError());
    this.#reads.failAll(new ShutdownError());
  }
}

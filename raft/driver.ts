/**
 * The Raft driver: the I/O edge around the pure core. It ticks the core on
 * a timer, feeds it peer messages, and runs each Ready in the order Raft
 * requires — persist (log, then term/vote), send, apply, advance (entries
 * committed and durable already are applied first) — and it turns
 * proposals and reads into promises for the layers above.
 *
 * Its other concerns have files of their own: the options and their
 * defaults (driver_options.ts), persisting a Ready (ready_persistence.ts),
 * applying to the machine (machine_feed.ts), snapshots (snapshotter.ts,
 * and snapshot_policy.ts for when), a storage outage — the node steps down,
 * pauses and resumes by itself from its durable state (outage_recovery.ts)
 * — and the read-only status the layers above see (driver_status.ts).
 */
import { RaftNode } from "./core/raft_node.ts";
import type { ConfChange, Message, ProposeResult, Ready, SnapshotMessage } from "./core/types.ts";
import type { PersistedState } from "./core/raft.ts";
import type { DriverTransport } from "./driver_seams.ts";
import { type DriverOptions, resolveDriverOptions, type ResolvedDriverOptions } from "./driver_options.ts";
import { type RaftStatus, statusView } from "./driver_status.ts";
import { loadDurableState } from "./durable_state.ts";
import { NodeStoppedError, NotLeaderError, OutcomeUnknownError, refusalError, ShutdownError } from "./errors.ts";
import { MachineFeed } from "./machine_feed.ts";
import { OutageRecovery } from "./outage_recovery.ts";
import { PeerBook } from "./peer_book.ts";
import { PendingProposals, PendingReads } from "./pending_requests.ts";
import { maySendBeforePersisting, persistReady } from "./ready_persistence.ts";
import { LeaderHint } from "./leader_hint.ts";
import { receiveStreamedSnapshot, sendStoredSnapshot } from "./snapshot_io.ts";
import { SnapshotPolicy } from "./snapshot_policy.ts";
import { Snapshotter } from "./snapshotter.ts";
import { StateChanges } from "./state_changes.ts";
import { StorageFailedError } from "./storage/errors.ts";
import type { SnapshotInfo } from "./storage/snapshot_store.ts";

export type { Applier, DriverTransport } from "./driver_seams.ts";
export type { DriverOptions, DriverTunables } from "./driver_options.ts";
export type { RaftStatus } from "./driver_status.ts";

function newCore(options: ResolvedDriverOptions, persisted: PersistedState): RaftNode {
  return new RaftNode({ id: options.id, random: Math.random, electionTicks: options.electionTicks, heartbeatTicks: 1 }, persisted);
}

export class RaftDriver {
  readonly id: number;
  /** Replaced (rebuilt from disk) when the node resumes after a storage failure. */
  #core: RaftNode;
  readonly #o: ResolvedDriverOptions;
  readonly #status: RaftStatus;
  #transport: DriverTransport | undefined;
  readonly #proposals: PendingProposals;
  readonly #reads = new PendingReads();
  readonly #machine: MachineFeed;
  readonly #snapshotter: Snapshotter;
  readonly #snapshotPolicy: SnapshotPolicy;
  readonly #recovery: OutageRecovery;
  #pumping = false;
  #again = false;
  #pumpDone: Promise<void> = Promise.resolve();
  #closed = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #stateChanges: StateChanges;
  #fatal: NodeStoppedError | undefined;
  readonly #leaderHint = new LeaderHint();
  #leaderHeardAt: number | undefined;
  readonly #peers: PeerBook;

  private constructor(options: ResolvedDriverOptions, core: RaftNode, snapshotIndex: number, machineIndex: number) {
    this.id = options.id;
    this.#o = options;
    this.#core = core;
    this.#status = statusView(() => this.#core);
    this.#peers = new PeerBook(options.id);
    this.#stateChanges = new StateChanges(options.onStateChange);
    this.#proposals = new PendingProposals(options.proposalTimeoutMs);
    this.#machine = new MachineFeed(options.applier, options.snapshots, this.#proposals, machineIndex);
    const source = { core: () => this.#core, machineIndex: () => this.#machine.index };
    this.#snapshotter = new Snapshotter(source, options, snapshotIndex);
    this.#snapshotPolicy = new SnapshotPolicy(options, this.#snapshotter, () => !this.#closed && !this.#recovery.failure);
    this.#recovery = new OutageRecovery(options, {
      closed: () => this.#closed,
      pause: (error) => this.#pause(error),
      snapshotIdle: () => this.#snapshotter.idle(),
      rebuild: () => this.#rebuild(),
      resumed: () => this.#resumed(),
      stop: (error) => this.#stop(NodeStoppedError.storage(error)),
    });
  }

  /**
   * Checks the options, loads the node's persisted state (latest snapshot
   * into the machine, term/vote, log entries after the snapshot) and builds
   * the core.
   * @throws RangeError for a bad option (see driver_options.ts)
   */
  static async open(options: DriverOptions): Promise<RaftDriver> {
    const resolved = resolveDriverOptions(options);
    const durable = await loadDurableState(resolved, undefined);
    return new RaftDriver(resolved, newCore(resolved, durable.persisted), durable.persisted.snapshot.index, durable.machineIndex);
  }

  /** Connects the transport and starts ticking. */
  start(transport: DriverTransport): void {
    this.#transport = transport;
    this.#updatePeers();
    this.#campaignIfAlone();
    this.#timer = setInterval(() => {
      if (this.#recovery.failure) return; // a node that cannot persist must not campaign
      this.#core.tick();
      this.#kick();
    }, this.#o.tickMs);
    this.#snapshotPolicy.start();
    this.#kick();
  }

  /** A single-voter cluster need not wait an election timeout to elect itself. */
  #campaignIfAlone(): void {
    const [only, ...others] = this.#core.config.members;
    if (others.length === 0 && only?.id === this.id && only.voter) this.#core.campaign();
  }

  // ---- inputs -------------------------------------------------------------

  /** A message from a peer. */
  receive(message: Message): void {
    // During a storage outage messages are dropped, as if lost on the network.
    if (this.#closed || this.#recovery.failure) return;
    this.#core.step(message);
    if (message.from === this.#core.leaderId && message.term === this.#core.term) this.#leaderHeardAt = performance.now();
    this.#kick();
  }

  /** A snapshot streamed from the leader: store it (verified), then let the core install it. */
  async receiveSnapshot(message: SnapshotMessage, data: AsyncIterable<Uint8Array>): Promise<void> {
    const failure = this.#recovery.failure ?? (this.#core.wantsSnapshot(message) ? undefined : new Error(`snapshot from node ${message.from} refused: not from a leader this node heeds`));
    // A failure reaches the transport, which tells the sender, whose core then retries.
    if (failure) throw failure;
    await receiveStreamedSnapshot(this.#o.snapshots, message, data, this.#o.logger);
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
      return Promise.reject(refusalError(result.reason, result.message));
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
    if (this.#reads.open) return this.#reads.open;
    const requestId = this.#reads.nextId();
    const result = this.#core.readIndex(requestId);
    if (!result.accepted) return Promise.reject(this.#notLeader());
    this.#kick();
    return this.#reads.openBatch(requestId);
  }

  /** Starts a leadership transfer to `target`. */
  transferLeadership(target: number): void {
    const result = this.#core.transferLeadership(target);
    if (!result.accepted) throw result.reason === "notLeader" ? this.#notLeader() : new Error(`cannot transfer: ${result.reason}`);
    this.#kick();
  }

  #notLeader(): NotLeaderError {
    return new NotLeaderError(this.#core.leaderId, this.leaderAddress());
  }

  /**
   * A joining node (`-j`) has asked `address` to add it: until this node
   * hears of a leader, clients that need the leader go there (LeaderHint).
   * `undefined` withdraws it.
   */
  hintLeader(address: string | undefined): void {
    this.#leaderHint.set(address, this.#core.term, this.#core.leaderId !== 0);
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
    return this.#leaderHint.addressIn(this.#core.term);
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

  #running(): boolean {
    return !this.#closed && !this.#recovery.failure;
  }

  async #pump(): Promise<void> {
    try {
      do {
        this.#again = false;
        while (this.#running() && this.#core.hasReady()) {
          this.#reads.closeBatch();
          const ready = this.#core.ready();
          this.#machine.applyDurable(ready);
          const sendFirst = maySendBeforePersisting(ready, this.#core.role, this.#o.stable.get());
          if (sendFirst) this.#send(ready);
          // Nothing of a Ready that failed to persist is applied or advanced (nor sent, unless sent first): its core is dropped on resuming.
          if (!(await this.#persist(ready))) break;
          if (!sendFirst) this.#send(ready);
          await this.#apply(ready);
          this.#core.advance(ready);
          this.#noticeStateChange();
        }
      } while (this.#again && this.#running());
    } catch (error) {
      this.#stop(error instanceof NodeStoppedError ? error : NodeStoppedError.internal(error));
    } finally {
      this.#pumping = false;
    }
    this.#snapshotPolicy.applied(this.#core.appliedIndex, this.#machine.appliedBytes);
  }

  /**
   * Persists `ready`; false when the disk refused a write (the node is paused
   * now, see OutageRecovery). Any other storage error stops the node.
   */
  async #persist(ready: Ready): Promise<boolean> {
    try {
      if (await persistReady(ready, this.#o.log, this.#o.stable)) this.#recovery.persisted();
      return true;
    } catch (error) {
      if (!(error instanceof StorageFailedError)) throw NodeStoppedError.storage(error);
      this.#recovery.failed(error, this.#core.role === "leader");
      return false;
    }
  }

  #send(ready: Ready): void {
    // The transport must know a new member before this Ready's first append to it (PeerBook).
    if (this.#peers.stale(this.#core.config)) this.#updatePeers();
    const plain: Message[] = [];
    for (const message of ready.messages) {
      if (message.type === "snapshot") void this.#sendSnapshot(message);
      else plain.push(message);
    }
    if (plain.length > 0) this.#transport?.send(plain);
  }

  async #sendSnapshot(message: SnapshotMessage): Promise<void> {
    const ok = await sendStoredSnapshot(this.#o.snapshots, message, this.#transport, this.#o.logger);
    this.#core.reportSnapshot(message.to, ok);
    this.#kick();
  }

  async #apply(ready: Ready): Promise<void> {
    if (ready.snapshot) {
      const info = await this.#machine.restore(ready.snapshot);
      this.#snapshotter.noteSnapshot(ready.snapshot.index);
      this.#updatePeers();
      this.#o.logger.info(`installed snapshot ${info.id}`);
    }
    this.#machine.apply(ready.committedEntries);
    for (const read of ready.readStates) this.#reads.confirmed(read.requestId, read.index);
    for (const requestId of ready.failedReads) this.#reads.failed(requestId, this.#notLeader());
    this.#reads.release(this.#machine.index);
    const applied = ready.committedEntries.at(-1)?.index ?? ready.snapshot?.index;
    if (applied !== undefined) this.#o.onApplied?.(applied);
  }

  #updatePeers(): void {
    this.#peers.publish(this.#core.config, this.#transport);
  }

  #noticeStateChange(): void {
    if (this.#core.leaderId !== 0) this.#leaderHint.clear();
    this.#stateChanges.notice(this.#core);
  }

  // ---- failures -----------------------------------------------------------

  /**
   * A failure no retry fixes (a corrupt file, a machine that threw, a bug):
   * the node stops applying and serving for good, and says what failed.
   */
  #stop(error: NodeStoppedError): void {
    if (this.#fatal) return;
    this.#fatal = error;
    this.#o.logger.warn(error.message);
    if (error.kind !== "storage" && error.cause instanceof Error && error.cause.stack) this.#o.logger.warn(error.cause.stack);
    this.#proposals.failAll(new OutcomeUnknownError(error.reason));
    this.#reads.failAll(error);
    this.#closed = true;
    clearInterval(this.#timer);
    this.#snapshotPolicy.stop();
    this.#recovery.cancel();
  }

  /** A write failed (OutageRecovery decides when to try again): nothing unpersisted may be promised. */
  #pause(error: StorageFailedError): void {
    this.#core.stepDown();
    this.#noticeStateChange();
    this.#proposals.failAll(new OutcomeUnknownError(`this node's storage failed (${error.code})`));
    this.#reads.failAll(this.#notLeader());
  }

  /** The core a restart would build from what is durable now; the machine keeps its state. */
  async #rebuild(): Promise<{ lastIndex: number; term: number } | undefined> {
    const durable = await loadDurableState(this.#o, this.#machine.index);
    if (this.#closed) return undefined;
    this.#core = newCore(this.#o, durable.persisted);
    this.#machine.rebase(durable.machineIndex);
    this.#snapshotter.noteSnapshot(durable.persisted.snapshot.index);
    return { lastIndex: this.#core.lastIndex, term: this.#core.term };
  }

  #resumed(): void {
    this.#updatePeers();
    this.#noticeStateChange();
    this.#campaignIfAlone();
    this.#kick();
  }

  // ---- snapshots and status -----------------------------------------------

  /**
   * Snapshots the machine at the applied index, stores it, and compacts the
   * log up to the previous snapshot (see Snapshotter).
   */
  snapshotNow(): Promise<SnapshotInfo> {
    // While paused by a storage failure: the core is frozen and the disk refuses writes.
    const failure = this.#recovery.failure;
    if (failure && !this.#snapshotter.busy) return Promise.reject(failure);
    return this.#snapshotter.take();
  }

  /** The core's state, read-only: role, term, leader, indexes, configuration, progress. */
  get status(): RaftStatus {
    return this.#status;
  }
  /** Why this node stopped for good, or undefined while it runs. */
  get failed(): NodeStoppedError | undefined {
    return this.#fatal;
  }
  /** The storage failure this node is paused by (it resumes by itself), or undefined. */
  get storageFailure(): StorageFailedError | undefined {
    return this.#recovery.failure;
  }

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
    this.#snapshotPolicy.stop();
    await this.#recovery.close();
    await this.#pumpDone;
    await this.#snapshotter.idle();
    this.#proposals.failAll(new ShutdownError());
    this.#reads.failAll(new ShutdownError());
  }
}

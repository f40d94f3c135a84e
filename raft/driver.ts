/**
 * The Raft driver: the I/O edge around the pure core. It ticks the core on
 * a timer, feeds it peer messages, and runs each Ready in the order Raft
 * requires — persist (log, then term/vote), send, apply, advance — and it
 * turns proposals and reads into promises for the layers above.
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

export interface DriverLogger {
  debug(message: string): void;
  verb(message: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export interface DriverOptions {
  readonly id: number;
  readonly log: LogStore;
  readonly stable: StableStore;
  readonly snapshots: SnapshotStore;
  readonly applier: Applier;
  readonly logger: DriverLogger;
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
  /** Called whenever role, term or leader changes. */
  readonly onStateChange?: (state: { role: RoleKind; term: number; leaderId: number }) => void;
  /** Called after each batch of applied entries. */
  readonly onApplied?: (appliedIndex: number) => void;
}

function configKey(config: MembershipConfig): string {
  return config.members.map((m) => `${m.id}@${m.address}`).join(",");
}

export class RaftDriver {
  readonly id: number;
  readonly #core: RaftNode;
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
    const latest = (await options.snapshots.list())[0];
    let snapshot: SnapshotMeta = { index: 0, term: 0, config: options.initialConfig };
    if (latest) {
      options.applier.restore(await readSnapshotData(options.snapshots, latest));
      snapshot = { index: latest.index, term: latest.term, config: latest.config as unknown as MembershipConfig };
    }
    const log = options.log;
    if (log.lastIndex() < snapshot.index || log.firstIndex() > snapshot.index + 1) {
      // The log does not continue the snapshot (a crash between installing a
      // snapshot and resetting the log): the snapshot wins.
      await log.reset(snapshot.index, snapshot.term);
    }
    const entries = await log.entries(snapshot.index + 1, log.lastIndex() + 1);
    const stable = options.stable.get();
    // A snapshot from --restore may carry a term above the stored one: the
    // current term never trails the log, or new entries would go backwards.
    const lastTerm = entries.at(-1)?.term ?? snapshot.term;
    const termRaised = lastTerm > stable.currentTerm;
    const core = new RaftNode(
      {
        id: options.id,
        random: Math.random,
        electionTicks: options.electionTicks ?? 10,
        heartbeatTicks: 1,
      },
      {
        hardState: {
          term: termRaised ? lastTerm : stable.currentTerm,
          vote: termRaised || stable.votedFor === null ? 0 : Number(stable.votedFor),
          commit: 0,
        },
        snapshot,
        entries,
      },
    );
    const driver = new RaftDriver(options, core, snapshot.index);
    driver.#machineIndex = snapshot.index;
    return driver;
  }

  /** Connects the transport and starts ticking. */
  start(transport: DriverTransport): void {
    this.#transport = transport;
    this.#updatePeers();
    const config = this.#core.config;
    // A single-voter cluster need not wait an election timeout to elect itself.
    if (config.members.length === 1 && config.members[0].id === this.id && config.members[0].voter) {
      this.#core.campaign();
    }
    this.#timer = setInterval(() => {
      this.#core.tick();
      this.#kick();
    }, this.#o.tickMs ?? 100);
    this.#snapshotTimer = setInterval(() => this.#maybeSnapshot(true), this.#o.snapshotIntervalMs ?? 120_000);
    this.#kick();
  }

  // ---- inputs -------------------------------------------------------------

  /** A message from a peer. */
  receive(message: Message): void {
    if (this.#closed) return;
    this.#core.step(message);
    if (message.from === this.#core.leaderId && message.term === this.#core.term) this.#leaderHeardAt = performance.now();
    this.#kick();
  }

  /** A snapshot streamed from the leader: store it (verified), then let the core install it. */
  async receiveSnapshot(message: SnapshotMessage, data: AsyncIterable<Uint8Array>): Promise<void> {
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
        while (!this.#closed && this.#core.hasReady()) {
          const ready = this.#core.ready();
          await this.#persist(ready);
          // A configuration takes effect when appended, not when committed (Raft §4.1):
          // the transport must know a new member before this Ready's first append to it.
          if (configKey(this.#core.config) !== this.#peersFrom) this.#updatePeers();
          this.#send(ready);
          await this.#apply(ready);
          this.#core.advance(ready);
          this.#noticeStateChange();
        }
      } while (this.#again && !this.#closed);
    } catch (error) {
      this.#fail(error as Error);
    } finally {
      this.#pumping = false;
    }
    this.#maybeSnapshot();
  }

  /** Storage failed: stop taking part (acknowledging anything now could lose it). */
  #fail(error: Error): void {
    this.#fatal = new Error(`storage failure, node stopped taking writes: ${error.message}`);
    this.#o.logger.warn(this.#fatal.message);
    this.#proposals.failAll(new OutcomeUnknownError(error.message));
    this.#reads.failAll(this.#fatal);
    this.#closed = true;
    clearInterval(this.#timer);
    clearInterval(this.#snapshotTimer);
  }

  async #persist(ready: Ready): Promise<void> {
    const log = this.#o.log;
    if (ready.snapshot) await log.reset(ready.snapshot.index, ready.snapshot.term);
    if (ready.entries.length > 0) {
      const first = ready.entries[0].index;
      if (first <= log.lastIndex()) await log.truncateSuffix(first);
      await log.append(ready.entries);
    }
    const hard = ready.hardState;
    const stable = this.#o.stable.get();
    const vote = hard && hard.vote !== 0 ? String(hard.vote) : null;
    // The commit index is not persisted: it is re-learned from the leader (or a
    // new election) after a restart, which costs no extra fsync per write.
    if (hard && (hard.term !== stable.currentTerm || vote !== stable.votedFor)) {
      await this.#o.stable.update({ currentTerm: hard.term, votedFor: vote });
    }
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
    if (this.#closed || this.#snapshotting) return;
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
        config: JSON.parse(JSON.stringify(config)),
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
    await this.#pumpDone;
    await this.#snapshotting?.catch(() => {});
    this.#proposals.failAll(new ShutdownError());
    this.#reads.failAll(new ShutdownError());
  }
}

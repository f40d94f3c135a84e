/**
 * One simulated server: a RaftNode, its "disk" (what survives a crash) and
 * a register state machine, with the driver loop persist → send → apply →
 * advance that the real driver will run.
 */
import { EntryKind, type LogEntry } from "../../raft/log_entry.ts";
import { maySendBeforePersisting } from "../../raft/ready_persistence.ts";
import {
  type HardState,
  type Message,
  RaftNode,
  type RaftOptions,
  type ReadState,
  type Ready,
  type SnapshotMeta,
} from "../../raft/core/mod.ts";
import type { SafetyChecker } from "./checker.ts";
import type { Rng } from "./rng.ts";

/** A snapshot of the register as stored on disk or sent over the network. */
export interface StoredSnapshot {
  readonly meta: SnapshotMeta;
  readonly value: number;
}

/** What survives a crash. */
export interface Disk {
  hardState: HardState;
  snapshot: StoredSnapshot;
  /** Entries after snapshot.meta.index, contiguous. */
  entries: LogEntry[];
}

/** What a server needs from the simulation around it. */
export interface ServerHost {
  readonly checker: SafetyChecker;
  send(from: SimServer, m: Message, snapshot: StoredSnapshot | undefined): void;
  onApplied(server: SimServer, entry: LogEntry): void;
  onReadServed(server: SimServer, requestId: number, value: number): void;
  onReadFailed(server: SimServer, requestId: number): void;
  onCompacted(server: SimServer): void;
  onSnapshotInstalled(server: SimServer, index: number): void;
}

export function encodeValue(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v);
  return b;
}

export function decodeValue(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0);
}

export class SimServer {
  readonly id: number;
  readonly disk: Disk;
  core: RaftNode | undefined;
  /** Increases at every restart: messages and client calls of an old life are void. */
  incarnation = 0;
  register = 0;
  removed = false;
  private pendingReads: ReadState[] = [];
  private readonly incoming = new Map<number, number>();
  /** Snapshots taken by the state machine but not yet used for compaction. */
  private retained: { index: number; value: number } | undefined;
  private readonly options: Omit<RaftOptions, "id" | "random">;
  private readonly rng: Rng;
  private readonly host: ServerHost;
  private readonly snapshotEvery: number;
  private readonly compactTrailing: boolean;
  private readonly deferAdvance: boolean;
  private outstanding: Ready | undefined;
  /** The outstanding Ready's messages left before its writes reached the disk. */
  private unpersisted = false;

  constructor(
    id: number,
    initial: SnapshotMeta,
    options: Omit<RaftOptions, "id" | "random">,
    rng: Rng,
    host: ServerHost,
  ) {
    this.id = id;
    this.disk = {
      hardState: { term: 0, vote: 0, commit: 0 },
      snapshot: { meta: initial, value: 0 },
      entries: [],
    };
    this.options = options;
    this.rng = rng;
    this.host = host;
    this.snapshotEvery = rng.int(4, 40);
    this.compactTrailing = rng.chance(0.5);
    this.deferAdvance = rng.chance(0.3);
  }

  get alive(): boolean {
    return this.core !== undefined;
  }

  /** Starts (or restarts) from the disk. */
  start(): void {
    const rng = this.rng.fork();
    this.incarnation++;
    this.core = new RaftNode(
      { ...this.options, id: this.id, random: () => rng.next() },
      {
        hardState: this.disk.hardState,
        snapshot: this.disk.snapshot.meta,
        entries: this.disk.entries.slice(),
      },
    );
    this.register = this.disk.snapshot.value;
    this.pendingReads = [];
    this.incoming.clear();
    this.retained = undefined;
    this.outstanding = undefined;
    this.unpersisted = false;
    this.host.checker.onStart(this.id, this.disk.snapshot.meta.index);
  }

  /** Loses everything that is not on disk. */
  crash(): void {
    this.core = undefined;
  }

  /** A snapshot's bytes arrived (the stream finished): keep them for the core. */
  receiveSnapshot(index: number, value: number): void {
    this.incoming.set(index, value);
  }

  /**
   * Runs the driver loop until the core has nothing more to do. Some
   * servers finish a Ready (apply + advance) only at their next event, so
   * that messages and ticks reach the core between ready() and advance(),
   * as with a driver whose disk writes are asynchronous.
   */
  process(): void {
    const core = this.core;
    if (!core) return;
    if (this.outstanding) {
      const rd = this.outstanding;
      this.outstanding = undefined;
      if (this.unpersisted) this.persist(rd);
      this.unpersisted = false;
      this.finish(core, rd);
    }
    while (core.hasReady()) {
      const rd = core.ready();
      if (this.deferAdvance && this.rng.chance(0.5)) {
        // As the driver does: a leader's appends leave while its own write is
        // still in flight (§10.2.1); a crash before the next event loses the write.
        const { term, vote } = this.disk.hardState;
        this.unpersisted = maySendBeforePersisting(rd, core.role, { currentTerm: term, votedFor: vote || null });
        if (!this.unpersisted) this.persist(rd);
        this.send(rd);
        this.outstanding = rd;
        return;
      }
      this.persist(rd);
      this.send(rd);
      this.finish(core, rd);
    }
  }

  private persist(rd: Ready): void {
    if (rd.snapshot) {
      const value = this.incoming.get(rd.snapshot.index);
      if (value === undefined) throw new Error(`server ${this.id}: snapshot ${rd.snapshot.index} has no data`);
      this.disk.snapshot = { meta: rd.snapshot, value };
      this.disk.entries = [];
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0].index;
      const base = this.disk.snapshot.meta.index;
      const prevTerm = first - 1 === base
        ? this.disk.snapshot.meta.term
        : this.disk.entries[first - 2 - base]?.term;
      this.disk.entries.length = Math.max(0, first - 1 - base);
      this.disk.entries.push(...rd.entries);
      this.host.checker.onPersist(this.id, rd.entries, prevTerm);
    }
    if (rd.hardState) this.disk.hardState = rd.hardState;
  }

  private send(rd: Ready): void {
    for (const m of rd.messages) {
      this.host.send(this, m, m.type === "snapshot" ? this.disk.snapshot : undefined);
    }
  }

  private finish(core: RaftNode, rd: Ready): void {
    if (rd.snapshot) {
      this.register = this.disk.snapshot.value;
      for (const index of this.incoming.keys()) if (index <= rd.snapshot.index) this.incoming.delete(index);
      this.host.checker.onRestoreSnapshot(this.id, rd.snapshot.index);
      this.host.onSnapshotInstalled(this, rd.snapshot.index);
    }
    for (const e of rd.committedEntries) {
      if (e.kind === EntryKind.Command) this.register = decodeValue(e.data);
      this.host.checker.onApply(this.id, e);
      this.host.onApplied(this, e);
    }
    this.pendingReads.push(...rd.readStates);
    for (const id of rd.failedReads) this.host.onReadFailed(this, id);
    core.advance(rd);
    this.serveReads(core.appliedIndex);
    this.maybeSnapshot(core);
  }

  private serveReads(applied: number): void {
    if (this.pendingReads.length === 0) return;
    const waiting: ReadState[] = [];
    for (const rs of this.pendingReads) {
      if (rs.index <= applied) this.host.onReadServed(this, rs.requestId, this.register);
      else waiting.push(rs);
    }
    this.pendingReads = waiting;
  }

  /** The app snapshots every few entries; the log is compacted to an older snapshot or this one. */
  private maybeSnapshot(core: RaftNode): void {
    const applied = core.appliedIndex;
    const last = this.retained?.index ?? this.disk.snapshot.meta.index;
    if (applied - last < this.snapshotEvery) return;
    const previous = this.retained;
    this.retained = { index: applied, value: this.register };
    const target = this.compactTrailing ? previous : this.retained;
    if (!target || target.index <= this.disk.snapshot.meta.index) return;
    const base = this.disk.snapshot.meta.index;
    const meta = core.compact(target.index);
    this.disk.entries.splice(0, meta.index - base);
    this.disk.snapshot = { meta, value: target.value };
    this.host.onCompacted(this);
  }
}

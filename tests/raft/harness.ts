/**
 * A tiny deterministic cluster for scenario tests: RaftNodes with in-memory
 * "disks", a message queue delivered on demand, and link cuts/filters.
 */
import { EntryKind, type LogEntry } from "../../raft/log_entry.ts";
import {
  type HardState,
  type Member,
  type Message,
  RaftNode,
  type RaftOptions,
  type SnapshotMeta,
} from "../../raft/core/mod.ts";

/** Entries 1..n with the given terms (Command entries carrying their index). */
export function entriesWithTerms(terms: readonly number[], from = 1): LogEntry[] {
  return terms.map((term, i) => ({
    index: from + i,
    term,
    kind: EntryKind.Command,
    data: new Uint8Array([from + i]),
  }));
}

export function members(voters: readonly number[], learners: readonly number[] = []): Member[] {
  return [
    ...voters.map((id) => ({ id, address: `n${id}`, voter: true })),
    ...learners.map((id) => ({ id, address: `n${id}`, voter: false })),
  ];
}

/** A seeded random source for tests. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface NodeSpec {
  readonly id: number;
  /** Terms of the log entries 1..n. */
  readonly terms?: readonly number[];
  readonly hardState?: Partial<HardState>;
  readonly snapshot?: SnapshotMeta;
  readonly options?: Partial<RaftOptions>;
}

export interface TestNode {
  core: RaftNode;
  /** Everything the driver persisted. */
  disk: { hardState: HardState; snapshot: SnapshotMeta; entries: LogEntry[] };
  applied: LogEntry[];
  reads: { requestId: number; index: number }[];
  failedReads: number[];
}

export class Cluster {
  readonly nodes = new Map<number, TestNode>();
  queue: Message[] = [];
  /** Directed links that drop messages: "from>to". */
  readonly cut = new Set<string>();
  /** Return false to drop a message. */
  filter: (m: Message) => boolean = () => true;
  /** Changes a message in flight (e.g. strips entries). */
  rewrite: (m: Message) => Message = (m) => m;
  /** Every message delivered, for assertions. */
  readonly delivered: Message[] = [];

  constructor(voters: readonly number[], specs: readonly NodeSpec[] = [], learners: readonly number[] = [], defaults: Partial<RaftOptions> = {}) {
    const config = { members: members(voters, learners) };
    for (const id of [...voters, ...learners]) {
      const spec = specs.find((s) => s.id === id) ?? { id };
      this.add(spec, { index: 0, term: 0, config }, defaults);
    }
  }

  add(spec: NodeSpec, bootstrap: SnapshotMeta, defaults: Partial<RaftOptions> = {}): TestNode {
    const snapshot = spec.snapshot ?? bootstrap;
    const entries = spec.terms ? entriesWithTerms(spec.terms).filter((e) => e.index > snapshot.index) : [];
    const hardState = { term: 0, vote: 0, commit: 0, ...spec.hardState };
    const core = new RaftNode(
      { electionTicks: 10, heartbeatTicks: 1, ...defaults, ...spec.options, id: spec.id, random: seeded(spec.id) },
      { hardState, snapshot, entries },
    );
    const node: TestNode = {
      core, disk: { hardState, snapshot, entries: entries.slice() }, applied: [], reads: [], failedReads: [],
    };
    this.nodes.set(spec.id, node);
    return node;
  }

  node(id: number): TestNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  core(id: number): RaftNode {
    return this.node(id).core;
  }

  /** Runs the driver loop of one node: persist, queue messages, apply. */
  flush(id: number): void {
    const n = this.node(id);
    while (n.core.hasReady()) {
      const rd = n.core.ready();
      if (rd.snapshot) {
        n.disk.snapshot = rd.snapshot;
        n.disk.entries = [];
      }
      if (rd.entries.length > 0) {
        const keep = rd.entries[0].index - n.disk.snapshot.index - 1;
        n.disk.entries.length = Math.max(0, keep);
        n.disk.entries.push(...rd.entries);
      }
      if (rd.hardState) n.disk.hardState = rd.hardState;
      this.queue.push(...rd.messages);
      n.applied.push(...rd.committedEntries);
      n.reads.push(...rd.readStates);
      n.failedReads.push(...rd.failedReads);
      n.core.advance(rd);
    }
  }

  flushAll(): void {
    for (const id of this.nodes.keys()) this.flush(id);
  }

  /** Delivers queued messages (and the ones they cause) until none are left. */
  deliver(max = 10_000): number {
    this.flushAll();
    let count = 0;
    while (this.queue.length > 0) {
      if (++count > max) throw new Error("deliver(): too many messages (no convergence?)");
      const m = this.rewrite(this.queue.shift()!);
      const to = this.nodes.get(m.to);
      if (!to || this.cut.has(`${m.from}>${m.to}`) || !this.filter(m)) {
        if (m.type === "snapshot") this.nodes.get(m.from)?.core.reportSnapshot(m.to, false);
        continue;
      }
      this.delivered.push(m);
      to.core.step(m);
      this.flush(m.to);
      if (m.type === "snapshot") {
        this.node(m.from).core.reportSnapshot(m.to, true);
        this.flush(m.from);
      }
    }
    return count;
  }

  tick(id: number, n = 1): void {
    for (let i = 0; i < n; i++) this.core(id).tick();
    this.flush(id);
  }

  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) for (const id of this.nodes.keys()) this.tick(id);
  }

  /** Ticks everyone and delivers, `rounds` times. */
  run(rounds: number): void {
    for (let i = 0; i < rounds; i++) {
      this.tickAll();
      this.deliver();
    }
  }

  /** Campaigns at `id` and delivers everything. */
  elect(id: number): void {
    this.core(id).campaign();
    this.deliver();
  }

  isolate(id: number): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Terms of node `id`'s log entries after its snapshot. */
  terms(id: number): number[] {
    const core = this.core(id);
    const out: number[] = [];
    for (let i = core.snapshotMeta.index + 1; i <= core.lastIndex; i++) out.push(core.termAt(i)!);
    return out;
  }

  /** Proposes `count` commands at `id` and delivers everything. */
  propose(id: number, count = 1): number[] {
    const indexes: number[] = [];
    for (let i = 0; i < count; i++) {
      const r = this.core(id).propose(new Uint8Array([i]));
      if (!r.accepted) throw new Error(`proposal refused: ${r.message}`);
      indexes.push(r.index);
    }
    this.deliver();
    return indexes;
  }

  leaders(): number[] {
    return [...this.nodes.values()].filter((n) => n.core.role === "leader").map((n) => n.core.id);
  }
}

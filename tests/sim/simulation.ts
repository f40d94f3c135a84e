/**
 * One seeded run of a simulated cluster: a chaos phase (network faults,
 * crashes, membership changes, transfers, client traffic) followed by a
 * calm phase in which the cluster must recover within a bound (liveness).
 * Safety is checked after every step, linearizability at the end.
 */
import { EntryKind, type LogEntry } from "../../raft/log_entry.ts";
import { decodeConfig, type Message, voterIds } from "../../raft/core/mod.ts";
import { type LogView, SafetyChecker, SafetyViolation } from "./checker.ts";
import { RegisterClients } from "./client.ts";
import { checkRegister } from "./linearizability.ts";
import { describe, emptyCounts, type Envelope, type FaultCounts, Network } from "./network.ts";
import { EventQueue, Rng } from "./rng.ts";
import { type ServerHost, SimServer, type StoredSnapshot } from "./server.ts";

/** Simulated time units per tick. Message delays are a few units. */
export const TICK = 10;
/** After the faults heal, the cluster must serve a write and a read within this many ticks. */
export const LIVENESS_TICKS = 300;
/** A client call without an answer after this long (time units) has an unknown outcome. */
const CLIENT_TIMEOUT = 40 * TICK;

export interface SimConfig {
  readonly seed: number;
  readonly size: number;
  /** Length of the chaos phase in ticks (default: random 60–200). */
  readonly chaosTicks?: number;
  /** Record a readable trace (slower). */
  readonly trace?: boolean;
}

export interface SimResult {
  readonly seed: number;
  readonly size: number;
  readonly ok: boolean;
  readonly error: string | undefined;
  readonly steps: number;
  readonly counts: FaultCounts;
  readonly operations: number;
  /** Ticks from the end of the chaos to a served write and read. */
  readonly recoveryTicks: number;
  readonly trace: readonly string[];
}

type SimEvent =
  | { readonly kind: "tick"; readonly server: SimServer; readonly incarnation: number }
  | { readonly kind: "deliver"; readonly envelope: Envelope }
  | { readonly kind: "snapshotDone"; readonly envelope: Envelope; readonly ok: boolean }
  | { readonly kind: "client" }
  | { readonly kind: "chaos" }
  | { readonly kind: "restart"; readonly server: SimServer }
  | { readonly kind: "heal"; readonly links: readonly (readonly [number, number])[] }
  | { readonly kind: "calm" }
  | { readonly kind: "probe" }
  | { readonly kind: "hitLeader"; readonly server: SimServer; readonly term: number };

const chaosClients = ["c1", "c2", "c3"];

class Simulation implements ServerHost {
  readonly checker = new SafetyChecker();
  readonly counts = emptyCounts();
  readonly servers = new Map<number, SimServer>();
  private readonly queue = new EventQueue<SimEvent>();
  private readonly rng: Rng;
  private readonly net: Network;
  readonly clients = new RegisterClients(3);
  private readonly options;
  private readonly trace: string[] | undefined;
  private readonly size: number;
  now = 0;
  steps = 0;
  private nextId: number;
  private readonly everMember = new Set<number>();
  private toStop: SimServer[] = [];
  private lastConfigApplied = 0;
  /** Chance that a server dies right after taking a message in, before persisting or sending. */
  private readonly stepCrashRate: number;
  private readonly clientPause: number;
  private crashBeforeProcessing: SimServer | undefined;
  /** Chance that a newly elected leader is soon crashed or cut off (Figure 8 shapes). */
  private readonly hitLeaderRate: number;
  private lastLeaderTerm = 0;
  readonly calmAt: number;
  private calm = false;
  private marker = { value: 0, index: 0, readId: 0 };
  done = false;

  constructor(config: SimConfig) {
    this.size = config.size;
    this.rng = new Rng(config.seed * 100 + config.size);
    this.trace = config.trace ? [] : undefined;
    this.net = new Network(this.rng.fork(), this.counts);
    const rng = this.rng;
    this.options = {
      electionTicks: 10,
      heartbeatTicks: rng.int(1, 3),
      maxInflightAppends: rng.int(1, 8),
      maxEntriesPerAppend: rng.chance(0.4) ? 1 : rng.int(2, 6),
      maxAppendBytes: 1 << 20,
      maxApplyEntries: rng.chance(0.3) ? rng.int(1, 3) : 1024,
      preVote: rng.chance(0.85),
      checkQuorum: rng.chance(0.85),
    };
    const members = Array.from({ length: config.size }, (_, i) => ({
      id: i + 1, address: `sim:${i + 1}`, voter: true,
    }));
    for (const m of members) {
      this.everMember.add(m.id);
      this.addServer(m.id, { members });
    }
    this.nextId = config.size + 1;
    this.stepCrashRate = rng.chance(0.6) ? rng.next() * 0.01 : 0;
    this.clientPause = rng.int(10, 40);
    this.hitLeaderRate = rng.chance(0.5) ? rng.next() * 0.5 : 0;
    this.calmAt = (config.chaosTicks ?? rng.int(60, 200)) * TICK;
    this.queue.push(rng.int(5, 30), { kind: "client" });
    this.queue.push(rng.int(20, 100), { kind: "chaos" });
    this.queue.push(this.calmAt, { kind: "calm" });
    this.log(
      `cluster of ${config.size}, options ${JSON.stringify(this.options)}, network ${JSON.stringify(this.net.params)}`,
    );
  }

  log(line: string): void {
    this.trace?.push(`${String(this.now).padStart(6)} ${line}`);
  }

  traceLines(): string[] {
    return this.trace ?? [];
  }

  private addServer(id: number, config: { members: { id: number; address: string; voter: boolean }[] }): SimServer {
    const server = new SimServer(id, { index: 0, term: 0, config }, this.options, this.rng.fork(), this);
    this.servers.set(id, server);
    this.startServer(server);
    return server;
  }

  private startServer(server: SimServer): void {
    server.start();
    this.queue.push(this.now + this.rng.int(1, TICK), { kind: "tick", server, incarnation: server.incarnation });
  }

  private live(): SimServer[] {
    const out: SimServer[] = [];
    for (const s of this.servers.values()) if (s.alive) out.push(s);
    return out;
  }

  private leader(): SimServer | undefined {
    let best: SimServer | undefined;
    for (const s of this.servers.values()) {
      if (s.core?.role === "leader" && (!best || s.core.term > best.core!.term)) best = s;
    }
    return best;
  }

  /** Runs one event; returns false when the queue is empty. */
  step(): boolean {
    const next = this.queue.pop();
    if (!next) return false;
    this.now = next.time;
    this.steps++;
    this.handle(next.item);
    const dying = this.crashBeforeProcessing;
    if (dying) {
      // Check what it believed (e.g. a commit) before it dies with it unsaved.
      this.checker.afterStep(
        this.live() as { id: number; core: NonNullable<SimServer["core"]> }[],
        () => this.logViews(),
      );
      this.crashBeforeProcessing = undefined;
      this.log(`crash server ${dying.id} after a step, before persisting or sending`);
      this.crashServer(dying);
      this.counts.crash++;
      this.queue.push(this.now + this.rng.int(10, 300), { kind: "restart", server: dying });
    }
    for (const s of this.toStop.splice(0)) {
      if (s.alive) {
        this.log(`server ${s.id} stops: removed from the configuration`);
        this.crashServer(s);
      }
    }
    if (this.trace) this.traceRoles();
    if (!this.calm && this.hitLeaderRate > 0) this.watchLeader();
    this.checker.afterStep(
      this.live() as { id: number; core: NonNullable<SimServer["core"]> }[],
      () => this.logViews(),
    );
    return true;
  }

  /** Logs of every server that may still vote or campaign (not removed), from memory or disk. */
  private logViews(): LogView[] {
    const views: LogView[] = [];
    for (const s of this.servers.values()) {
      if (s.removed) continue;
      const core = s.core;
      if (core) {
        views.push({
          id: s.id, lastIndex: core.lastIndex, lastTerm: core.termAt(core.lastIndex)!,
          snapshotIndex: core.snapshotMeta.index, voters: voterIds(core.config),
          termAt: (i) => core.termAt(i),
        });
        continue;
      }
      const d = s.disk;
      const base = d.snapshot.meta.index;
      const last = d.entries.length > 0 ? d.entries[d.entries.length - 1] : undefined;
      let config = d.snapshot.meta.config;
      for (let k = d.entries.length - 1; k >= 0; k--) {
        if (d.entries[k].kind === EntryKind.Config) {
          config = decodeConfig(d.entries[k].data);
          break;
        }
      }
      views.push({
        id: s.id, lastIndex: last?.index ?? base, lastTerm: last?.term ?? d.snapshot.meta.term,
        snapshotIndex: base, voters: voterIds(config),
        termAt: (i) => (i === base ? d.snapshot.meta.term : d.entries[i - base - 1]?.term),
      });
    }
    return views;
  }

  /** A new leader appeared: maybe crash or isolate it shortly, mid-replication. */
  private watchLeader(): void {
    const leader = this.leader();
    if (!leader || leader.core!.term <= this.lastLeaderTerm) return;
    this.lastLeaderTerm = leader.core!.term;
    if (this.rng.chance(this.hitLeaderRate)) {
      this.queue.push(this.now + this.rng.int(1, 40), { kind: "hitLeader", server: leader, term: this.lastLeaderTerm });
    }
  }

  private readonly lastRoles = new Map<number, string>();

  /** Trace: one line whenever a server's role or term changes. */
  private traceRoles(): void {
    for (const s of this.servers.values()) {
      const now = s.core ? `${s.core.role} t${s.core.term}` : "down";
      if (this.lastRoles.get(s.id) !== now) {
        this.lastRoles.set(s.id, now);
        if (s.core) this.log(`server ${s.id} is ${now} (commit ${s.core.commitIndex}, last ${s.core.lastIndex})`);
      }
    }
  }

  private handle(ev: SimEvent): void {
    switch (ev.kind) {
      case "tick": {
        const s = ev.server;
        if (!s.alive || s.incarnation !== ev.incarnation) return;
        s.core!.tick();
        s.process();
        this.queue.push(this.now + TICK, ev);
        return;
      }
      case "deliver":
        return this.deliver(ev.envelope);
      case "snapshotDone": {
        const m = ev.envelope.message;
        const sender = this.servers.get(m.from)!;
        if (!sender.alive || sender.incarnation !== ev.envelope.senderIncarnation) return;
        this.log(`snapshot stream ${m.from}→${m.to} ${ev.ok ? "done" : "failed"}`);
        sender.core!.reportSnapshot(m.to, ev.ok);
        sender.process();
        return;
      }
      case "client":
        if (this.calm) return;
        this.clientStep();
        this.queue.push(this.now + this.rng.int(1, this.clientPause), ev);
        return;
      case "chaos":
        if (this.calm) return;
        this.chaosStep();
        this.queue.push(this.now + this.rng.int(15, 80), ev);
        return;
      case "restart":
        if (ev.server.alive || ev.server.removed) return;
        this.counts.restart++;
        this.log(`server ${ev.server.id} restarts from disk`);
        this.startServer(ev.server);
        return;
      case "heal":
        for (const [a, b] of ev.links) this.net.unblock(a, b);
        this.log(`heal ${ev.links.map(([a, b]) => `${a}→${b}`).join(" ")}`);
        return;
      case "calm":
        this.calm = true;
        this.net.calm();
        this.log("calm: partitions healed, loss stopped, crashed servers restart");
        for (const s of this.servers.values()) {
          if (!s.alive && !s.removed) this.startServer(s);
        }
        this.queue.push(this.now + 1, { kind: "probe" });
        return;
      case "hitLeader": {
        const s = ev.server;
        if (this.calm || s.core?.role !== "leader" || s.core.term !== ev.term) return;
        if (this.rng.chance(0.5)) {
          this.log(`crash new leader ${s.id} of term ${ev.term}`);
          this.crashServer(s);
          this.counts.crash++;
          this.queue.push(this.now + this.rng.int(10, 200), { kind: "restart", server: s });
        } else {
          const others = [...this.servers.keys()].filter((id) => id !== s.id);
          this.cut(others.flatMap((o) => [[s.id, o], [o, s.id]] as [number, number][]), `isolate new leader ${s.id}`);
          this.counts.partition++;
        }
        return;
      }
      case "probe":
        this.probe();
        if (!this.done) this.queue.push(this.now + TICK, ev);
        return;
    }
  }

  send(from: SimServer, m: Message, snapshot: StoredSnapshot | undefined): void {
    const envelope: Envelope = { message: m, senderIncarnation: from.incarnation, snapshot };
    if (m.type === "snapshot") this.counts.snapshotSent++;
    const times = this.net.schedule(this.now, m.from, m.to);
    if (this.trace && times.length === 0) this.log(`LOST ${describe(m)}`);
    if (times.length === 0 && m.type === "snapshot") {
      this.queue.push(this.now + 2 * TICK, { kind: "snapshotDone", envelope, ok: false });
    }
    for (const t of times) this.queue.push(t, { kind: "deliver", envelope });
  }

  private deliver(envelope: Envelope): void {
    const m = envelope.message;
    const to = this.servers.get(m.to);
    const isSnapshot = m.type === "snapshot";
    if (!to || !to.alive || this.net.isBlocked(m.from, m.to)) {
      if (this.trace) this.log(`DROPPED (${to?.alive ? "cut" : "down"}) ${describe(m)}`);
      if (isSnapshot) this.queue.push(this.now + TICK, { kind: "snapshotDone", envelope, ok: false });
      return;
    }
    if (this.trace) this.log(describe(m));
    if (isSnapshot) to.receiveSnapshot(m.snapshot.index, envelope.snapshot!.value);
    to.core!.step(m);
    if (!this.calm && this.rng.chance(this.stepCrashRate)) {
      this.crashBeforeProcessing = to;
      if (isSnapshot) this.queue.push(this.now + 1, { kind: "snapshotDone", envelope, ok: false });
      return;
    }
    to.process();
    if (isSnapshot) this.queue.push(this.now + 1, { kind: "snapshotDone", envelope, ok: true });
  }

  private crashServer(s: SimServer): void {
    s.crash();
    this.clients.abandon((p) => p.server === s);
  }

  private clientStep(): void {
    // A client gives up on a call after a while: its outcome is unknown.
    this.clients.abandon((p) => this.now - p.startedAt > CLIENT_TIMEOUT);
    const client = this.clients.idleClient(chaosClients);
    if (!client) return;
    const live = this.live().filter((s) => !s.removed);
    if (live.length === 0) return;
    const hinted = this.servers.get(this.clients.leaderHint);
    const target = hinted?.alive && this.rng.chance(0.75) ? hinted : this.rng.pick(live);
    const line = this.rng.chance(0.6)
      ? this.clients.write(target, client, this.now).line
      : this.clients.read(target, client, this.now).line;
    this.log(line);
    target.process();
  }

  private chaosStep(): void {
    const r = this.rng.next();
    const ids = [...this.servers.values()].filter((s) => !s.removed).map((s) => s.id);
    const leader = this.leader();
    if (r < 0.14 && ids.length > 1) {
      const shuffled = ids.slice().sort(() => this.rng.next() - 0.5);
      // Often isolate the leader, alone or with a few others.
      if (leader && this.rng.chance(0.4)) {
        shuffled.splice(shuffled.indexOf(leader.id), 1);
        shuffled.unshift(leader.id);
      }
      const cut = this.rng.chance(0.5) ? 1 : this.rng.int(1, ids.length - 1);
      const a = shuffled.slice(0, cut);
      const b = shuffled.slice(cut);
      const links: [number, number][] = [];
      for (const x of a) for (const y of b) links.push([x, y], [y, x]);
      this.cut(links, `partition {${a}} | {${b}}`);
      this.counts.partition++;
    } else if (r < 0.24 && ids.length > 1) {
      const from = this.rng.pick(ids);
      const targets = this.rng.chance(0.5) ? ids.filter((i) => i !== from) : [this.rng.pick(ids.filter((i) => i !== from))];
      this.cut(targets.map((t) => [from, t] as [number, number]), `one-way cut from ${from} to {${targets}}`);
      this.counts.oneWayPartition++;
    } else if (r < 0.38) {
      const victims = this.live().filter((s) => !s.removed);
      if (victims.length === 0) return;
      const s = leader && this.rng.chance(0.5) ? leader : this.rng.pick(victims);
      this.log(`crash server ${s.id} (${s.core!.role}, term ${s.core!.term})`);
      this.crashServer(s);
      this.counts.crash++;
      const downFor = this.rng.chance(0.5) ? this.rng.int(10, 100) : this.rng.int(100, 600);
      this.queue.push(this.now + downFor, { kind: "restart", server: s });
    } else if (r < 0.56) {
      this.membershipChange();
    } else if (r < 0.68) {
      if (!leader) return;
      const others = voterIds(leader.core!.config).filter((id) => id !== leader.id);
      if (others.length === 0) return;
      const target = this.rng.pick(others);
      const res = leader.core!.transferLeadership(target);
      this.log(`transfer leadership ${leader.id} → ${target}: ${res.accepted ? "started" : "refused"}`);
      if (res.accepted) this.counts.transfer++;
      leader.process();
    }
  }

  private cut(links: [number, number][], what: string): void {
    for (const [a, b] of links) this.net.block(a, b);
    this.log(what);
    this.queue.push(this.now + this.rng.int(30, 600), { kind: "heal", links });
  }

  private membershipChange(): void {
    const leader = this.leader();
    if (!leader) return;
    const core = leader.core!;
    const members = core.config.members;
    const voters = members.filter((m) => m.voter);
    const learners = members.filter((m) => !m.voter);
    const choice = this.rng.next();
    let change;
    if (choice < 0.3 && members.length < this.size + 2) {
      const type = this.rng.chance(0.5) ? "addVoter" as const : "addLearner" as const;
      change = { type, id: this.nextId, address: `sim:${this.nextId}` };
    } else if (choice < 0.45 && learners.length > 0) {
      change = { type: "promote" as const, id: this.rng.pick(learners).id };
    } else if (choice < 0.6 && voters.length > 1) {
      change = { type: "demote" as const, id: this.rng.pick(voters).id };
    } else if (members.length > 1) {
      change = { type: "remove" as const, id: this.rng.pick(members).id };
    } else return;
    const res = core.proposeConfChange(change);
    this.log(`${change.type} ${change.id} via leader ${leader.id}: ${res.accepted ? `at ${res.index}` : res.message}`);
    if (res.accepted) {
      this.counts[change.type]++;
      if (change.type === "remove" && change.id === leader.id) this.counts.removeLeader++;
      if (change.type === "addVoter" || change.type === "addLearner") {
        this.addServer(this.nextId++, { members: [] });
      }
    }
    leader.process();
  }

  /** Calm phase: a write and then a read must succeed, and every member catch up. */
  private probe(): void {
    if (this.now > this.calmAt + LIVENESS_TICKS * TICK) {
      const state = [...this.servers.values()].map((s) =>
        `${s.id}:${s.removed ? "removed" : s.core ? `${s.core.role}/t${s.core.term}/c${s.core.commitIndex}/a${s.core.appliedIndex}` : "down"}`
      ).join(" ");
      throw new LivenessFailure(`no recovery within ${LIVENESS_TICKS} ticks after healing: ${state}`);
    }
    this.clients.abandon((p) => this.now - p.startedAt > CLIENT_TIMEOUT);
    const leader = this.leader();
    if (!leader) return;
    const mk = this.marker;
    if (mk.value === 0 || (!this.clients.completedWrites.has(mk.value) && this.clients.idleClient(["probe"]))) {
      if (!this.clients.idleClient(["probe"])) return;
      const w = this.clients.write(leader, "probe", this.now);
      this.log(w.line);
      if (w.index > 0) this.marker = { value: w.value, index: w.index, readId: 0 };
      leader.process();
      return;
    }
    if (!this.clients.completedWrites.has(mk.value)) return;
    if (mk.readId === 0 || (!this.clients.completedReads.has(mk.readId) && this.clients.idleClient(["probe"]))) {
      if (!this.clients.idleClient(["probe"])) return;
      const rd = this.clients.read(leader, "probe", this.now);
      this.log(rd.line);
      if (rd.requestId > 0) mk.readId = rd.requestId;
      leader.process();
      return;
    }
    if (!this.clients.completedReads.has(mk.readId)) return;
    for (const m of leader.core!.config.members) {
      const s = this.servers.get(m.id);
      if (!s?.core || s.core.appliedIndex < mk.index) return;
    }
    this.done = true;
  }

  onApplied(server: SimServer, entry: LogEntry): void {
    const line = this.clients.onApplied(server, entry);
    if (line) this.log(line);
    if (entry.kind === EntryKind.Config && entry.index > this.lastConfigApplied) {
      // Configurations are applied in log order; a slow server re-applying
      // an older one must not count.
      this.lastConfigApplied = entry.index;
      const config = decodeConfig(entry.data);
      const ids = new Set(config.members.map((m) => m.id));
      for (const id of ids) this.everMember.add(id);
      for (const id of this.everMember) {
        const s = this.servers.get(id);
        if (s && !ids.has(id) && !s.removed) {
          s.removed = true;
          this.toStop.push(s);
        }
      }
    }
  }

  onReadServed(server: SimServer, requestId: number, value: number): void {
    const line = this.clients.onReadServed(server, requestId, value);
    if (line) this.log(line);
  }

  onReadFailed(server: SimServer, requestId: number): void {
    this.log(`read#${requestId} at ${server.id} failed: leadership lost`);
    this.clients.onReadFailed(server, requestId);
  }

  onCompacted(server: SimServer): void {
    this.counts.compaction++;
    this.log(`server ${server.id} compacted its log through ${server.disk.snapshot.meta.index}`);
  }

  onSnapshotInstalled(server: SimServer, index: number): void {
    this.log(`server ${server.id} installed snapshot ${index}`);
    this.clients.abandon((p) => p.server === server && p.index <= index);
  }

  /** Final checks once the cluster recovered. */
  finish(): void {
    // Every member of the final configuration holds every committed entry.
    const leader = this.leader()!;
    for (const m of leader.core!.config.members) {
      const s = this.servers.get(m.id)!;
      this.checker.checkHolds(s as { id: number; core: NonNullable<SimServer["core"]> });
    }
    this.clients.abandon(() => true);
    const lin = checkRegister(this.clients.history);
    if (!lin.ok) throw new SafetyViolation(`linearizability: ${lin.explanation}`);
  }
}

export class LivenessFailure extends Error {
  override name = "LivenessFailure";
}

/** Runs one seed to completion; never throws. */
export function runSimulation(config: SimConfig): SimResult {
  const sim = new Simulation(config);
  let error: string | undefined;
  try {
    while (!sim.done && sim.step());
    if (!sim.done) throw new LivenessFailure("event queue ran dry");
    sim.finish();
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    if (e instanceof Error && !(e instanceof SafetyViolation) && !(e instanceof LivenessFailure)) {
      error += `\n${e.stack}`;
    }
  }
  return {
    seed: config.seed,
    size: config.size,
    ok: error === undefined,
    error,
    steps: sim.steps,
    counts: sim.counts,
    operations: sim.clients.history.length,
    recoveryTicks: Math.round((sim.now - sim.calmAt) / TICK),
    trace: sim.traceLines(),
  };
}

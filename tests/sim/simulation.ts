/**
 * One seeded run of a simulated cluster: a chaos phase (network faults,
 * crashes, membership changes, transfers, client traffic) followed by a
 * calm phase in which the cluster must recover within a bound (liveness).
 * Safety is checked after every step, linearizability at the end.
 */
import { EntryKind, type LogEntry } from "../../raft/log_entry.ts";
import { decodeConfig, type Message } from "../../raft/core/mod.ts";
import { SafetyChecker, SafetyViolation } from "./checker.ts";
import { chaosStep, hitLeader, watchLeader } from "./faults.ts";
import { probeLiveness } from "./liveness.ts";
import { CLIENT_TIMEOUT, TICK } from "./limits.ts";
import { logViews } from "./log_views.ts";
import { RegisterClients } from "./client.ts";
import { checkRegister } from "./linearizability.ts";
import { describe, emptyCounts, type Envelope, Network } from "./network.ts";
import { EventQueue, Rng } from "./rng.ts";
import { type ServerHost, SimServer, type StoredSnapshot } from "./server.ts";

export interface SimConfig {
  readonly seed: number;
  readonly size: number;
  /** Length of the chaos phase in ticks (default: random 60–200). */
  readonly chaosTicks?: number;
  /** Record a readable trace (slower). */
  readonly trace?: boolean;
}

export type SimEvent =
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

/** The simulated world of one seed (fields are shared with faults.ts and liveness.ts). */
export class Simulation implements ServerHost {
  readonly checker = new SafetyChecker();
  readonly counts = emptyCounts();
  readonly servers = new Map<number, SimServer>();
  readonly queue = new EventQueue<SimEvent>();
  readonly rng: Rng;
  readonly net: Network;
  readonly clients = new RegisterClients(3);
  private readonly options;
  private readonly trace: string[] | undefined;
  readonly size: number;
  now = 0;
  steps = 0;
  nextId: number;
  private readonly everMember = new Set<number>();
  private toStop: SimServer[] = [];
  private lastConfigApplied = 0;
  /** Chance that a server dies right after taking a message in, before persisting or sending. */
  private readonly stepCrashRate: number;
  private readonly clientPause: number;
  private crashBeforeProcessing: SimServer | undefined;
  /** Chance that a newly elected leader is soon crashed or cut off (Figure 8 shapes). */
  readonly hitLeaderRate: number;
  lastLeaderTerm = 0;
  readonly calmAt: number;
  calm = false;
  marker = { value: 0, index: 0, readId: 0 };
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

  addServer(id: number, config: { members: { id: number; address: string; voter: boolean }[] }): SimServer {
    const server = new SimServer(id, { index: 0, term: 0, config }, this.options, this.rng.fork(), this);
    this.servers.set(id, server);
    this.startServer(server);
    return server;
  }

  startServer(server: SimServer): void {
    server.start();
    this.queue.push(this.now + this.rng.int(1, TICK), { kind: "tick", server, incarnation: server.incarnation });
  }

  live(): SimServer[] {
    const out: SimServer[] = [];
    for (const s of this.servers.values()) if (s.alive) out.push(s);
    return out;
  }

  leader(): SimServer | undefined {
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
        () => logViews(this.servers.values()),
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
    if (!this.calm && this.hitLeaderRate > 0) watchLeader(this);
    this.checker.afterStep(
      this.live() as { id: number; core: NonNullable<SimServer["core"]> }[],
      () => logViews(this.servers.values()),
    );
    return true;
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
        chaosStep(this);
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
      case "hitLeader":
        return hitLeader(this, ev.server, ev.term);
      case "probe":
        probeLiveness(this);
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

  crashServer(s: SimServer): void {
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

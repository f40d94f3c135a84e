/**
 * The chaos the simulator injects: partitions (symmetric and one-way),
 * crashes, membership changes, leadership transfers, and hits on freshly
 * elected leaders (the shapes of the paper's Figure 8).
 */
import { voterIds } from "../../raft/core/mod.ts";
import type { SimServer } from "./server.ts";
import type { Simulation } from "./simulation.ts";

/** One random fault, or nothing. */
export function chaosStep(sim: Simulation): void {
  const r = sim.rng.next();
  const ids = [...sim.servers.values()].filter((s) => !s.removed).map((s) => s.id);
  const leader = sim.leader();
  if (r < 0.14 && ids.length > 1) {
    const shuffled = sim.rng.shuffle(ids);
    // Often isolate the leader, alone or with a few others.
    if (leader && sim.rng.chance(0.4)) {
      shuffled.splice(shuffled.indexOf(leader.id), 1);
      shuffled.unshift(leader.id);
    }
    const split = sim.rng.chance(0.5) ? 1 : sim.rng.int(1, ids.length - 1);
    const a = shuffled.slice(0, split);
    const b = shuffled.slice(split);
    const links: [number, number][] = [];
    for (const x of a) for (const y of b) links.push([x, y], [y, x]);
    cut(sim, links, `partition {${a}} | {${b}}`);
    sim.counts.partition++;
  } else if (r < 0.24 && ids.length > 1) {
    const from = sim.rng.pick(ids);
    const targets = sim.rng.chance(0.5) ? ids.filter((i) => i !== from) : [sim.rng.pick(ids.filter((i) => i !== from))];
    cut(sim, targets.map((t) => [from, t] as [number, number]), `one-way cut from ${from} to {${targets}}`);
    sim.counts.oneWayPartition++;
  } else if (r < 0.38) {
    const victims = sim.live().filter((s) => !s.removed);
    if (victims.length === 0) return;
    const s = leader && sim.rng.chance(0.5) ? leader : sim.rng.pick(victims);
    sim.log(`crash server ${s.id} (${s.core!.role}, term ${s.core!.term})`);
    sim.crashServer(s);
    sim.counts.crash++;
    const downFor = sim.rng.chance(0.5) ? sim.rng.int(10, 100) : sim.rng.int(100, 600);
    sim.queue.push(sim.now + downFor, { kind: "restart", server: s });
  } else if (r < 0.56) {
    membershipChange(sim);
  } else if (r < 0.68) {
    if (!leader) return;
    const others = voterIds(leader.core!.config).filter((id) => id !== leader.id);
    if (others.length === 0) return;
    const target = sim.rng.pick(others);
    const res = leader.core!.transferLeadership(target);
    sim.log(`transfer leadership ${leader.id} → ${target}: ${res.accepted ? "started" : "refused"}`);
    if (res.accepted) sim.counts.transfer++;
    leader.process();
  }
}

/** Cuts `links` until a random heal time. */
export function cut(sim: Simulation, links: [number, number][], what: string): void {
  for (const [a, b] of links) sim.net.block(a, b);
  sim.log(what);
  sim.queue.push(sim.now + sim.rng.int(30, 600), { kind: "heal", links });
}

/** Proposes a random one-server change through the current leader. */
export function membershipChange(sim: Simulation): void {
  const leader = sim.leader();
  if (!leader) return;
  const core = leader.core!;
  const members = core.config.members;
  const voters = members.filter((m) => m.voter);
  const learners = members.filter((m) => !m.voter);
  const choice = sim.rng.next();
  let change;
  if (choice < 0.3 && members.length < sim.size + 2) {
    const type = sim.rng.chance(0.5) ? "addVoter" as const : "addLearner" as const;
    change = { type, id: sim.nextId, address: `sim:${sim.nextId}` };
  } else if (choice < 0.45 && learners.length > 0) {
    change = { type: "promote" as const, id: sim.rng.pick(learners).id };
  } else if (choice < 0.6 && voters.length > 1) {
    change = { type: "demote" as const, id: sim.rng.pick(voters).id };
  } else if (members.length > 1) {
    change = { type: "remove" as const, id: sim.rng.pick(members).id };
  } else return;
  const res = core.proposeConfChange(change);
  sim.log(`${change.type} ${change.id} via leader ${leader.id}: ${res.accepted ? `at ${res.index}` : res.message}`);
  if (res.accepted) {
    sim.counts[change.type]++;
    if (change.type === "remove" && change.id === leader.id) sim.counts.removeLeader++;
    if (change.type === "addVoter" || change.type === "addLearner") {
      sim.addServer(sim.nextId++, { members: [] });
    }
  }
  leader.process();
}

/** A new leader appeared: maybe crash or isolate it shortly, mid-replication. */
export function watchLeader(sim: Simulation): void {
  const leader = sim.leader();
  if (!leader || leader.core!.term <= sim.lastLeaderTerm) return;
  sim.lastLeaderTerm = leader.core!.term;
  if (sim.rng.chance(sim.hitLeaderRate)) {
    sim.queue.push(sim.now + sim.rng.int(1, 40), { kind: "hitLeader", server: leader, term: sim.lastLeaderTerm });
  }
}

/** Crashes or isolates `server` if it still leads `term`. */
export function hitLeader(sim: Simulation, s: SimServer, term: number): void {
  if (sim.calm || s.core?.role !== "leader" || s.core.term !== term) return;
  if (sim.rng.chance(0.5)) {
    sim.log(`crash new leader ${s.id} of term ${term}`);
    sim.crashServer(s);
    sim.counts.crash++;
    sim.queue.push(sim.now + sim.rng.int(10, 200), { kind: "restart", server: s });
  } else {
    const others = [...sim.servers.keys()].filter((id) => id !== s.id);
    cut(sim, others.flatMap((o) => [[s.id, o], [o, s.id]] as [number, number][]), `isolate new leader ${s.id}`);
    sim.counts.partition++;
  }
}

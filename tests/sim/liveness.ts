/**
 * Liveness after the chaos: within LIVENESS_TICKS of healing, a leader must
 * accept a write that commits, then serve a ReadIndex read, and every member
 * of its configuration must apply the write.
 */
import { CLIENT_TIMEOUT, LIVENESS_TICKS, LivenessFailure, TICK } from "./limits.ts";
import type { Simulation } from "./simulation.ts";

/** Calm phase: a write and then a read must succeed, and every member catch up. */
export function probeLiveness(sim: Simulation): void {
  if (sim.now > sim.calmAt + LIVENESS_TICKS * TICK) {
    const state = [...sim.servers.values()].map((s) =>
      `${s.id}:${s.removed ? "removed" : s.core ? `${s.core.role}/t${s.core.term}/c${s.core.commitIndex}/a${s.core.appliedIndex}` : "down"}`
    ).join(" ");
    throw new LivenessFailure(`no recovery within ${LIVENESS_TICKS} ticks after healing: ${state}`);
  }
  sim.clients.abandon((p) => sim.now - p.startedAt > CLIENT_TIMEOUT);
  const leader = sim.leader();
  if (!leader) return;
  const mk = sim.marker;
  if (mk.value === 0 || (!sim.clients.completedWrites.has(mk.value) && sim.clients.idleClient(["probe"]))) {
    if (!sim.clients.idleClient(["probe"])) return;
    const w = sim.clients.write(leader, "probe", sim.now);
    sim.log(w.line);
    if (w.index > 0) sim.marker = { value: w.value, index: w.index, readId: 0 };
    leader.process();
    return;
  }
  if (!sim.clients.completedWrites.has(mk.value)) return;
  if (mk.readId === 0 || (!sim.clients.completedReads.has(mk.readId) && sim.clients.idleClient(["probe"]))) {
    if (!sim.clients.idleClient(["probe"])) return;
    const rd = sim.clients.read(leader, "probe", sim.now);
    sim.log(rd.line);
    if (rd.requestId > 0) mk.readId = rd.requestId;
    leader.process();
    return;
  }
  if (!sim.clients.completedReads.has(mk.readId)) return;
  for (const m of leader.core!.config.members) {
    const s = sim.servers.get(m.id);
    if (!s?.core || s.core.appliedIndex < mk.index) return;
  }
  sim.done = true;
}

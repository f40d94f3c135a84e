/** Time limits of the simulation, in simulated time units unless named in ticks. */

/** Simulated time units per tick. Message delays are a few units. */
export const TICK = 10;
/**
 * After the faults heal, the cluster must serve a write and a read within
 * this many ticks (40 election timeouts; the slowest of 200,000 seeds took
 * 209, without pre-vote, where stale candidates keep bumping the term).
 */
export const LIVENESS_TICKS = 400;
/** A client call without an answer after this long (time units) has an unknown outcome. */
export const CLIENT_TIMEOUT = 40 * TICK;

/** The cluster did not recover in time after the faults healed. */
export class LivenessFailure extends Error {
  override name = "LivenessFailure";
}

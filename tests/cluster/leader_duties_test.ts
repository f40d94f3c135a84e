/**
 * The pure parts of a leader's operability duties: whom a stopping leader
 * hands over to, when a silent non-voter is evicted, and what catch-up
 * progress is logged.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { handoverTarget } from "../../cluster/graceful_stop.ts";
import { NonVoterWatch } from "../../cluster/nonvoter_eviction.ts";
import { CATCH_UP_MIN_BEHIND, CatchUpProgress } from "../../cluster/catch_up_progress.ts";
import type { PeerProgress } from "../../raft/core/types.ts";

function peer(id: number, match: number, voter = true): PeerProgress {
  return { id, voter, match, next: match + 1, state: "replicate", inflight: 0, recentActive: true };
}

describe("leader duties", () => {
  test("handover goes to the voter with the most of the log, never to self or a non-voter", () => {
    const status = (peers: PeerProgress[]) => ({ progress: () => peers });
    assert.equal(handoverTarget(status([peer(1, 100), peer(2, 90), peer(3, 95), peer(4, 100, false)]), 1), 3);
    assert.equal(handoverTarget(status([peer(1, 100), peer(3, 95), peer(2, 95)]), 1), 2, "a tie goes to the lower id");
    assert.equal(handoverTarget(status([peer(1, 100), peer(4, 100, false)]), 1), undefined);
  });

  test("a non-voter is silent once its message count has not moved for the limit", () => {
    const watch = new NonVoterWatch(1_000);
    const counts = new Map([[4, 10], [5, 3]]);
    assert.deepEqual(watch.silent(0, [4, 5], counts), []);
    counts.set(4, 11); // 4 talks, 5 does not
    assert.deepEqual(watch.silent(600, [4, 5], counts), []);
    assert.deepEqual(watch.silent(1_000, [4, 5], counts), [5]);
    assert.deepEqual(watch.silent(1_599, [4, 5], counts), [5], "4's silence started at 600");
    assert.deepEqual(watch.silent(1_600, [4, 5], counts), [4, 5]);
    counts.set(5, 4);
    assert.deepEqual(watch.silent(1_700, [4, 5], counts), [4], "5 spoke again");
    watch.reset(); // a new leader gives every non-voter the whole time again
    assert.deepEqual(watch.silent(1_800, [4, 5], counts), []);
    assert.deepEqual(watch.silent(2_700, [4], counts), []);
    assert.deepEqual(watch.silent(2_800, [4], counts), [4]);
  });

  test("catch-up progress: logged for a follower far behind, once per sample, until it caught up", () => {
    const progress = new CatchUpProgress();
    const last = 10 * CATCH_UP_MIN_BEHIND;
    assert.deepEqual(progress.sample(0, last, [{ id: 2, match: last - 5 }, { id: 3, match: 0 }]), [], "the first sample only notes who is behind");
    assert.deepEqual(progress.sample(1_000, last, [{ id: 2, match: last }, { id: 3, match: 5_000 }]), [
      `node 3 catch-up: logs progress: 50.0% (index 5000 of ${last}, 5000 behind), 5000 entries/s`,
    ]);
    assert.deepEqual(progress.sample(2_000, last + 100, [{ id: 3, match: last + 50 }]), ["node 3 caught up: 10050 entries in 2.0 s, 5025 entries/s"]);
    assert.deepEqual(progress.sample(3_000, last + 100, [{ id: 3, match: last + 50 }]), []);
  });
});

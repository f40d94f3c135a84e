import { test } from "node:test";
import assert from "node:assert/strict";
import { Cluster } from "./harness.ts";

test("transfer to an up-to-date voter: TimeoutNow, and it wins the next term", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  const term = c.core(1).term;
  assert.ok(c.core(1).transferLeadership(2).accepted);
  c.deliver();
  assert.equal(c.core(2).role, "leader");
  assert.equal(c.core(2).term, term + 1);
  assert.ok(c.delivered.some((m) => m.type === "timeoutNow" && m.to === 2));
});

test("transfer to a lagging node: catch it up first; proposals are refused meanwhile", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  c.isolate(3);
  c.propose(1, 5);
  const leaderLog = c.terms(1);
  assert.ok(c.core(3).lastIndex < c.core(1).lastIndex);
  assert.ok(c.core(1).transferLeadership(3).accepted);
  assert.equal(c.core(1).transferee, 3);
  const refused = c.core(1).propose(new Uint8Array([9]));
  assert.equal(!refused.accepted && refused.reason, "transferring");
  c.heal();
  c.run(3);
  assert.equal(c.core(3).role, "leader");
  assert.deepEqual(c.terms(3).slice(0, leaderLog.length), leaderLog, "nothing was lost");
  const timeoutNow = c.delivered.findIndex((m) => m.type === "timeoutNow");
  const lastAppendTo3 = c.delivered.findLastIndex((m, i) => i < timeoutNow && m.type === "appendResponse" && m.from === 3);
  assert.ok(lastAppendTo3 >= 0 && lastAppendTo3 < timeoutNow, "TimeoutNow only after 3 caught up");
});

test("a transfer that cannot finish is abandoned after an election timeout", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  c.isolate(3);
  c.propose(1, 1);
  assert.ok(c.core(1).transferLeadership(3).accepted);
  c.run(12);
  assert.equal(c.core(1).transferee, 0);
  assert.equal(c.core(1).role, "leader");
  assert.ok(c.core(1).propose(new Uint8Array([1])).accepted);
});

test("transfer to a non-voter is refused", () => {
  const c = new Cluster([1, 2], [], [3]);
  c.elect(1);
  assert.equal(c.core(1).transferLeadership(3).accepted, false);
  assert.equal(c.core(2).transferLeadership(1).accepted, false, "only the leader transfers");
});

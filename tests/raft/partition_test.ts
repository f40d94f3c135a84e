import { test } from "node:test";
import assert from "node:assert/strict";
import { Cluster } from "./harness.ts";

for (const checkQuorum of [true, false]) {
  test(`a partitioned old leader cannot commit, and its entries are replaced (checkQuorum=${checkQuorum})`, () => {
    const c = new Cluster([1, 2, 3, 4, 5], [], [], { checkQuorum });
    c.elect(1);
    c.propose(1, 2);
    const committed = c.core(1).commitIndex;
    // 1 and 2 on one side, 3, 4, 5 on the other.
    for (const a of [1, 2]) for (const b of [3, 4, 5]) c.cut.add(`${a}>${b}`).add(`${b}>${a}`);
    const stale = c.core(1).propose(new Uint8Array([7]));
    c.deliver();
    if (checkQuorum) assert.ok(stale.accepted);
    assert.equal(c.core(1).commitIndex, committed, "a minority cannot commit");
    c.run(40); // the majority side times out and elects a leader
    const majority = c.leaders().filter((id) => id >= 3);
    assert.equal(majority.length, 1);
    const leader = majority[0];
    if (checkQuorum) assert.notEqual(c.core(1).role, "leader", "check-quorum deposed the old leader");
    else assert.equal(c.core(1).role, "leader", "without check-quorum it does not know it is deposed");
    c.propose(leader, 2);
    assert.equal(c.core(1).commitIndex, committed, "the old leader never learns of commits it cannot make");
    c.heal();
    c.run(5);
    assert.deepEqual(c.leaders(), [leader]);
    for (const id of [1, 2, 3, 4, 5]) assert.deepEqual(c.terms(id), c.terms(leader), `server ${id}`);
    assert.ok(stale.accepted && c.core(1).termAt(stale.index) !== stale.term, "the stale proposal was replaced");
    const applied = c.node(1).applied.map((e) => `${e.index}/${e.term}`);
    assert.deepEqual(applied, c.node(leader).applied.map((e) => `${e.index}/${e.term}`).slice(0, applied.length));
  });
}

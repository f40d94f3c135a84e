import { test } from "node:test";
import assert from "node:assert/strict";
import { EntryKind } from "../../raft/log_entry.ts";
import { applyConfChange, decodeConfig, encodeConfig, type Message, voterIds } from "../../raft/core/mod.ts";
import { Cluster, members } from "./harness.ts";

const empty = { index: 0, term: 0, config: { members: [] } };

test("applyConfChange: each change and its refusals", () => {
  const cfg = { members: members([1, 2], [3]) };
  assert.deepEqual(voterIds(applyConfChange(cfg, { type: "promote", id: 3 }) as typeof cfg), [1, 2, 3]);
  assert.match(applyConfChange(cfg, { type: "addVoter", id: 1, address: "x" }) as string, /already a voter/);
  assert.match(applyConfChange(cfg, { type: "addLearner", id: 3, address: "x" }) as string, /already a member/);
  assert.match(applyConfChange(cfg, { type: "demote", id: 3 }) as string, /not a voter/);
  assert.match(applyConfChange(cfg, { type: "remove", id: 9 }) as string, /not a member/);
  assert.match(applyConfChange({ members: members([1]) }, { type: "remove", id: 1 }) as string, /last voter/);
  assert.match(applyConfChange(cfg, { type: "addVoter", id: 0, address: "x" }) as string, /invalid server id/);
  assert.deepEqual(decodeConfig(encodeConfig(cfg)), cfg);
  assert.throws(() => decodeConfig(new TextEncoder().encode('[{"id":1}]')), TypeError);
});

test("add a voter: the new server catches up and counts toward the quorum", () => {
  const c = new Cluster([1]);
  c.elect(1);
  c.propose(1, 3);
  c.add({ id: 2 }, empty);
  const r = c.core(1).proposeConfChange({ type: "addVoter", id: 2, address: "n2" });
  assert.ok(r.accepted);
  assert.deepEqual(voterIds(c.core(1).config), [1, 2], "in effect as soon as appended");
  c.run(3);
  assert.deepEqual(c.terms(2), c.terms(1));
  assert.equal(c.core(2).commitIndex, c.core(1).commitIndex);
  c.isolate(2);
  const before = c.core(1).commitIndex;
  c.propose(1, 1);
  assert.equal(c.core(1).commitIndex, before, "with 2 voters, the leader alone cannot commit");
});

test("one change at a time: a second change waits for the first to commit", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  c.isolate(2);
  c.isolate(3);
  assert.ok(c.core(1).proposeConfChange({ type: "addLearner", id: 4, address: "n4" }).accepted);
  const second = c.core(1).proposeConfChange({ type: "addLearner", id: 5, address: "n5" });
  assert.equal(second.accepted, false);
  assert.equal(!second.accepted && second.reason, "configChangePending");
});

test("a new leader accepts changes only after committing an entry of its term", () => {
  const c = new Cluster([1, 2, 3]);
  c.isolate(2);
  c.isolate(3);
  c.elect(1); // pre-vote fails; force a real election below
  c.heal();
  c.core(1).campaign();
  c.flush(1);
  // Deliver only the votes: the leader has not committed its no-op yet.
  c.filter = (m) => m.type !== "append" && m.type !== "appendResponse";
  c.deliver();
  assert.equal(c.core(1).role, "leader");
  const r = c.core(1).proposeConfChange({ type: "remove", id: 3 });
  assert.equal(!r.accepted && r.reason, "configChangePending");
  c.filter = () => true;
  c.run(2);
  assert.ok(c.core(1).proposeConfChange({ type: "remove", id: 3 }).accepted);
});

test("promote and demote", () => {
  const c = new Cluster([1, 2], [], [3]);
  c.elect(1);
  c.run(2);
  assert.ok(c.core(1).proposeConfChange({ type: "promote", id: 3 }).accepted);
  c.run(2);
  assert.deepEqual(voterIds(c.core(3).config), [1, 2, 3]);
  assert.ok(c.core(1).proposeConfChange({ type: "demote", id: 2 }).accepted);
  c.run(2);
  assert.deepEqual(voterIds(c.core(2).config), [1, 3]);
  c.run(50);
  assert.equal(c.delivered.some((m) => m.type === "preVote" && m.from === 2), false, "a learner never campaigns");
});

test("removing the leader: it keeps leading until the change commits, then steps down", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  c.propose(1, 2);
  const r = c.core(1).proposeConfChange({ type: "remove", id: 1 });
  assert.ok(r.accepted);
  assert.equal(c.core(1).role, "leader", "still leader while the removal is uncommitted");
  c.deliver();
  assert.notEqual(c.core(1).role, "leader");
  c.run(40);
  const leaders = c.leaders();
  assert.equal(leaders.length, 1);
  assert.notEqual(leaders[0], 1);
  const newLeader = leaders[0];
  c.propose(newLeader, 2);
  // Node 1 is out of the configuration: it never campaigns again.
  assert.deepEqual(voterIds(c.core(newLeader).config), [2, 3]);
  c.delivered.length = 0;
  c.run(50);
  assert.equal(c.delivered.some((m) => (m.type === "vote" || m.type === "preVote") && m.from === 1), false);
  // Replicas that applied the same index applied the same entry.
  const a2 = c.node(2).applied;
  const a3 = c.node(3).applied;
  const a1 = c.node(1).applied;
  const n = Math.min(a2.length, a3.length);
  assert.deepEqual(a2.slice(0, n), a3.slice(0, n));
  assert.deepEqual(a1, a2.slice(0, a1.length));
  assert.ok(a1.some((e) => e.kind === EntryKind.Config), "node 1 applied its own removal");
});

/** One message as a transcript line. */
function show(m: Message): string {
  const head = `${m.type} ${m.from}→${m.to} t${m.term}`;
  switch (m.type) {
    case "append":
      return `${head} prev ${m.prevIndex}/${m.prevTerm} entries [${m.entries.map((e) => e.index).join(",")}] commit ${m.commit}`;
    case "appendResponse":
      return `${head} ${m.reject ? `reject ${m.index} hint ${m.hintIndex}/${m.hintTerm}` : `ok ${m.index}`}`;
    default:
      return head;
  }
}

test("adding a member: the leader's first append leaves with the change, and names the leader to it", () => {
  const c = new Cluster([1]);
  c.elect(1);
  c.propose(1, 2); // entries 1 (no-op), 2, 3: all committed
  c.add({ id: 2 }, empty);
  const r = c.core(1).proposeConfChange({ type: "addVoter", id: 2, address: "n2" });
  assert.equal(r.accepted && r.index, 4);
  // The Ready that persists the change already carries the append to the
  // new member (the driver must know its address before sending it).
  c.flush(1);
  assert.deepEqual(c.node(1).disk.entries.at(-1)?.kind, EntryKind.Config);
  assert.deepEqual(c.queue.map(show), ["append 1→2 t1 prev 4/1 entries [] commit 3"]);

  // Delivered one at a time: what the new member knows after each message.
  const transcript: string[] = [];
  while (c.queue.length > 0) {
    const m = c.queue.shift()!;
    c.core(m.to).step(m);
    c.flush(m.to);
    const n2 = c.core(2);
    transcript.push(
      `${show(m)} | n2: leader ${n2.leaderId} term ${n2.term} members [${n2.config.members.map((x) => x.id)}] commit ${n2.commitIndex}`,
    );
  }
  assert.deepEqual(transcript, [
    // Its first message names the leader, before any configuration does:
    // a redirect needs the address from elsewhere (the driver: the handshake).
    "append 1→2 t1 prev 4/1 entries [] commit 3 | n2: leader 1 term 1 members [] commit 0",
    "appendResponse 2→1 t1 reject 4 hint 0/0 | n2: leader 1 term 1 members [] commit 0",
    "append 1→2 t1 prev 0/0 entries [1,2,3,4] commit 3 | n2: leader 1 term 1 members [1,2] commit 3",
    "appendResponse 2→1 t1 ok 4 | n2: leader 1 term 1 members [1,2] commit 3",
    "append 1→2 t1 prev 4/1 entries [] commit 4 | n2: leader 1 term 1 members [1,2] commit 4",
    "appendResponse 2→1 t1 ok 4 | n2: leader 1 term 1 members [1,2] commit 4",
  ]);
  assert.equal(c.core(1).commitIndex, 4, "the addition committed with the new member's vote");
});

test("a leader that appended its own removal takes no more entries, and hands over by TimeoutNow when it commits", () => {
  const c = new Cluster([1, 2, 3]);
  c.elect(1);
  c.propose(1, 2);
  assert.ok(c.core(1).proposeConfChange({ type: "demote", id: 1 }).accepted);
  const refused = c.core(1).propose(new Uint8Array([1]));
  assert.equal(!refused.accepted && refused.reason, "transferring", "a write after its own demotion is refused");
  const term = c.core(1).term;
  c.delivered.length = 0;
  c.deliver();
  // No election timeout passes: a caught-up voter is told to campaign, and wins the next term at once.
  assert.ok(c.delivered.some((m) => m.type === "timeoutNow" && m.from === 1));
  const leaders = c.leaders();
  assert.equal(leaders.length, 1);
  assert.notEqual(leaders[0], 1);
  assert.equal(c.core(leaders[0]).term, term + 1);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { RaftNode, resolveOptions } from "../../raft/core/mod.ts";

const random = () => 0.5;
const persisted = {
  hardState: { term: 0, vote: 0, commit: 0 },
  snapshot: { index: 0, term: 0, config: { members: [] } },
  entries: [],
};

test("options: defaults and clear errors", () => {
  const o = resolveOptions({ id: 1, random });
  assert.equal(o.electionTicks, 10);
  assert.equal(o.heartbeatTicks, 1);
  assert.throws(() => resolveOptions({ id: 0, random }), /id=0: must be an integer ≥ 1/);
  assert.throws(() => resolveOptions({ id: 1, random, electionTicks: 2, heartbeatTicks: 2 }), /heartbeatTicks=2 must be < electionTicks=2/);
  assert.throws(() => resolveOptions({ id: 1, random, maxInflightAppends: 0.5 }), RangeError);
});

test("a server with no configuration waits to be added and never campaigns", () => {
  const node = new RaftNode({ id: 4, random }, persisted);
  for (let i = 0; i < 100; i++) node.tick();
  assert.equal(node.role, "follower");
  assert.equal(node.hasReady(), false);
});

test("ready() twice without advance() is a driver bug", () => {
  const node = new RaftNode({ id: 1, random }, {
    ...persisted, snapshot: { index: 0, term: 0, config: { members: [{ id: 1, address: "", voter: true }] } },
  });
  node.campaign();
  const rd = node.ready();
  assert.throws(() => node.ready(), /before advance/);
  node.advance(rd);
  assert.equal(node.role, "leader");
});

test("log entries must be contiguous", () => {
  assert.throws(() =>
    new RaftNode({ id: 1, random }, {
      ...persisted,
      entries: [{ index: 1, term: 1, kind: 0, data: new Uint8Array() }, { index: 3, term: 1, kind: 0, data: new Uint8Array() }],
    }), /not contiguous/);
});

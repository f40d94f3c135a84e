/**
 * The driver's side of a join: a new member's first append is routable the
 * moment the leader appends the change, and a joining node redirects clients
 * to a leader before any configuration names one — from the join's hint,
 * then from the leader's handshake — without the hint ever reaching the core.
 * Drivers run on memory stores over an in-process network that can hold
 * messages; ticks are an hour apart, so nothing here waits on a timer.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { type Applier, type DriverTransport, RaftDriver } from "../../raft/driver.ts";
import type { MembershipConfig, Message, SnapshotMessage } from "../../raft/core/mod.ts";
import { NotLeaderError } from "../../raft/errors.ts";
import { MemoryLogStore, MemorySnapshotStore, MemoryStableStore } from "../../raft/storage/mod.ts";
import { waitFor } from "../helpers/process.ts";

/** Delivers messages between drivers; a receiver learns the sender's address, as from a handshake. */
class Network {
  readonly transports = new Map<number, FakeTransport>();
  readonly held = new Map<number, Message[]>();

  /** Messages to `id` wait until `release`. */
  hold(id: number): void {
    this.held.set(id, []);
  }

  /** Delivers up to `count` held messages to `id`, in order; stops holding once none are left. */
  release(id: number, count = Infinity): void {
    const queue = this.held.get(id) ?? [];
    for (const m of queue.splice(0, count)) this.#deliver(m);
    if (queue.length === 0) this.held.delete(id);
  }

  send(m: Message): void {
    const queue = this.held.get(m.to);
    if (queue) queue.push(m);
    else queueMicrotask(() => this.#deliver(m));
  }

  #deliver(m: Message): void {
    const to = this.transports.get(m.to);
    const from = this.transports.get(m.from);
    if (!to?.driver) return;
    if (from) to.learned.set(m.from, from.address);
    to.driver.receive(m);
  }
}

class FakeTransport implements DriverTransport {
  book: ReadonlyMap<number, string> = new Map();
  readonly learned = new Map<number, string>();
  /** Messages dropped for want of an address (as PeerTransport counts them). */
  readonly unroutable: Message[] = [];
  /** Everything the driver sent, routable or not. */
  readonly sent: Message[] = [];
  driver: RaftDriver | undefined;
  constructor(readonly id: number, readonly address: string, readonly net: Network) {
    net.transports.set(id, this);
  }
  setPeers(peers: ReadonlyMap<number, string>): void {
    this.book = peers;
  }
  send(messages: readonly Message[]): void {
    for (const m of messages) {
      this.sent.push(m);
      if (this.addressOf(m.to) === undefined) this.unroutable.push(m);
      else this.net.send(m);
    }
  }
  sendSnapshot(_message: SnapshotMessage): Promise<boolean> {
    return Promise.resolve(false);
  }
  addressOf(id: number): string | undefined {
    return this.book.get(id) ?? this.learned.get(id);
  }
}

const applier: Applier = {
  apply: () => undefined,
  snapshot: () => new Uint8Array(0),
  restore: () => {},
  snapshotHeader: () => ({ time: 0, seed: "" }),
};
const quiet = { debug() {}, verb() {}, info() {}, warn() {} };
const drivers: RaftDriver[] = [];
after(() => Promise.all(drivers.map((d) => d.close())));

async function startDriver(net: Network, id: number, initialConfig: MembershipConfig): Promise<{ driver: RaftDriver; transport: FakeTransport }> {
  const driver = await RaftDriver.open({
    id,
    log: new MemoryLogStore(),
    stable: new MemoryStableStore(),
    snapshots: new MemorySnapshotStore(),
    applier,
    logger: quiet,
    initialConfig,
    tickMs: 3_600_000,
  });
  drivers.push(driver);
  const transport = new FakeTransport(id, `n${id}`, net);
  transport.driver = driver;
  driver.start(transport);
  return { driver, transport };
}

/** A single-voter cluster of node 1 at "n1", leading with its no-op committed. */
async function startLeader(net: Network) {
  const leader = await startDriver(net, 1, { members: [{ id: 1, address: "n1", voter: true }] });
  await waitFor("node 1 to lead and commit", () => leader.driver.status.role === "leader" && leader.driver.status.appliedIndex >= 1);
  return leader;
}

/** The redirect a write to `driver` gets: the address in its NotLeaderError. */
async function writeRedirect(driver: RaftDriver): Promise<string | undefined> {
  const error = await driver.propose(new Uint8Array([1])).then(() => undefined, (e) => e);
  assert.ok(error instanceof NotLeaderError, `expected NotLeaderError, got ${error}`);
  return error.leaderAddress;
}

test("a joining node redirects to the node it asked, then to the leader it heard from, then to the configured leader", async () => {
  const net = new Network();
  const leader = await startLeader(net);
  const joiner = await startDriver(net, 2, { members: [] });
  const j = joiner.driver;
  assert.equal(j.leaderAddress(), undefined, "no leader known, no hint: CLUSTERDOWN");
  assert.equal(await writeRedirect(j), undefined);

  // The join went to "n9" (say, the -j address); the leader's messages are held.
  j.hintLeader("n9");
  assert.equal(j.leaderAddress(), "n9");
  assert.equal(await writeRedirect(j), "n9");
  assert.equal(j.status.leaderId, 0, "the hint stays out of the core");

  net.hold(2);
  const added = leader.driver.changeMembership({ type: "addVoter", id: 2, address: "n2" });
  await waitFor("the leader's first message to node 2", () => leader.transport.sent.some((m) => m.to === 2));
  assert.deepEqual(leader.driver.status.config.members.map((m) => m.id), [1, 2], "listed as soon as appended");
  assert.deepEqual(leader.transport.unroutable, [], "the append to the new member found its address");
  assert.equal(net.held.get(2)?.[0]?.type, "append");
  assert.equal(j.leaderAddress(), "n9", "not heard from the leader yet: the hint");

  // The first append names leader 1; no configuration has its address yet: the handshake's.
  net.release(2, 1);
  assert.equal(j.status.leaderId, 1);
  assert.equal(j.status.config.members.length, 0, "no configuration names the leader yet");
  assert.equal(j.leaderAddress(), "n1", "a leader heard from beats the hint");
  assert.equal(await writeRedirect(j), "n1");

  net.release(2);
  await added;
  assert.deepEqual(j.status.config.members.map((m) => m.address), ["n1", "n2"]);
  joiner.transport.learned.clear();
  assert.equal(j.leaderAddress(), "n1", "from the configuration");
  j.hintLeader("n9");
  assert.equal(j.leaderAddress(), "n1", "a hint is ignored once a leader is known");
});

test("a join hint lapses when the term moves, and never sways a vote", async () => {
  const net = new Network();
  const joiner = await startDriver(net, 3, { members: [] });
  const j = joiner.driver;
  j.hintLeader("n1");
  assert.equal(j.leaderAddress(), "n1");
  // A candidate of a later term asks for a vote: an election is under way.
  j.receive({ type: "vote", from: 7, to: 3, term: 5, lastIndex: 0, lastTerm: 0, transfer: false });
  await waitFor("the vote answer", () => joiner.transport.sent.find((m) => m.type === "voteResponse"));
  const answer = joiner.transport.sent.find((m) => m.type === "voteResponse");
  assert.deepEqual(answer && { to: answer.to, term: answer.term, granted: answer.type === "voteResponse" && answer.granted }, {
    to: 7,
    term: 5,
    granted: true,
  }, "granted exactly as without a hint");
  assert.equal(j.status.term, 5);
  assert.equal(j.leaderAddress(), undefined, "the hint was for an earlier term");
  assert.equal(await writeRedirect(j), undefined);
});

test("the join hint can be withdrawn", async () => {
  const net = new Network();
  const { driver } = await startDriver(net, 4, { members: [] });
  driver.hintLeader("n1");
  driver.hintLeader(undefined);
  assert.equal(driver.leaderAddress(), undefined);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { PendingProposals, PendingReads } from "../../raft/pending_requests.ts";
import { WriteDroppedError } from "../../raft/errors.ts";
import { toClientError } from "../../commands/client_errors.ts";

/** The reply a client gets for what `promise` rejects with. */
const clientReply = (promise: Promise<unknown>) => promise.catch((error) => Promise.reject(toClientError(error, { tryErrors: false })));

test("a proposal resolves when its entry applies, and is dropped when another term took its slot", async () => {
  const proposals = new PendingProposals(10_000);
  const kept = proposals.add(5, 2);
  const lost = proposals.add(6, 2);
  proposals.applied(5, 2, "result");
  proposals.applied(6, 3, "someone else's");
  assert.equal(await kept, "result");
  await assert.rejects(clientReply(lost), /TRYAGAIN write not applied: log slot 6 was taken by a new leader/);
  await assert.rejects(lost, (e: unknown) => e instanceof WriteDroppedError && e.index === 6);
  proposals.applied(7, 3, "nobody waits"); // no waiter: nothing happens
});

test("a proposal not applied in time has an unknown outcome; failAll rejects the rest", async () => {
  const proposals = new PendingProposals(20);
  await assert.rejects(proposals.add(1, 1), /outcome unknown: not applied within 20 ms/);
  const pending = new PendingProposals(10_000);
  const waiting = pending.add(2, 1);
  pending.failAll(new Error("SHUTDOWN"));
  await assert.rejects(waiting, /SHUTDOWN/);
});

test("reads run only once confirmed and applied far enough; failures reach the caller", async () => {
  const reads = new PendingReads();
  const first = reads.nextId();
  const second = reads.nextId();
  const third = reads.nextId();
  const order: string[] = [];
  const a = reads.wait(first).then(() => order.push("first"));
  const b = reads.wait(second).then(() => order.push("second"));
  const c = reads.wait(third);
  reads.confirmed(first, 10);
  reads.confirmed(second, 12);
  reads.release(9);
  await Promise.resolve();
  assert.deepEqual(order, []);
  reads.release(10);
  await a;
  assert.deepEqual(order, ["first"]);
  reads.failed(third, new Error("MOVED 0 x:1"));
  await assert.rejects(c, /MOVED/);
  reads.failAll(new Error("SHUTDOWN"));
  await assert.rejects(b, /SHUTDOWN/);
});

test("reads batch until the core hands out a Ready: one request, one promise; a failure closes the batch", async () => {
  const reads = new PendingReads();
  assert.equal(reads.open, undefined);
  const first = reads.openBatch(reads.nextId());
  assert.equal(reads.open, first, "a read arriving now joins the open batch");
  reads.closeBatch();
  assert.equal(reads.open, undefined, "after a Ready, a read needs a round of its own");
  const secondId = reads.nextId();
  const second = reads.openBatch(secondId);
  reads.failed(secondId, new Error("not leader"));
  assert.equal(reads.open, undefined, "a failed batch is not joined");
  await assert.rejects(second, /not leader/);
  reads.failAll(new Error("stopped"));
  await assert.rejects(first, /stopped/);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { decodePayload } from "../../machine/log_payload.ts";
import { WriteBatcher } from "../../machine/write_batcher.ts";

const enc = new TextEncoder();

test("writes queued together share one proposal, split at maxBatch; each gets its own result", async () => {
  const proposals: number[] = [];
  const batcher = new WriteBatcher((payload) => {
    const decoded = decodePayload(payload);
    assert.ok(!(decoded instanceof Error) && decoded.type === "batch");
    proposals.push(decoded.commands.length);
    return Promise.resolve(decoded.commands.map((args) => new TextDecoder().decode(args[1])));
  }, 4);
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.write([enc.encode("SET"), enc.encode(`v${i}`)])));
  assert.deepEqual(results, Array.from({ length: 10 }, (_, i) => `v${i}`));
  assert.deepEqual(proposals, [4, 4, 2]);
});

test("a failed proposal fails every write in it", async () => {
  const batcher = new WriteBatcher(() => Promise.reject(new Error("MOVED 0 127.0.0.1:1")));
  const outcomes = await Promise.allSettled([batcher.write([enc.encode("A")]), batcher.write([enc.encode("B")])]);
  assert.deepEqual(outcomes.map((o) => o.status), ["rejected", "rejected"]);
  assert.throws(() => new WriteBatcher(() => Promise.resolve([]), 0), /maxBatch must be ≥ 1/);
});

test("batches are split by size, and one write over the entry limit is refused", async () => {
  const { MAX_ENTRY_BYTES } = await import("../../machine/write_batcher.ts");
  const sizes: number[] = [];
  const batcher = new WriteBatcher((payload) => {
    sizes.push(payload.length);
    const decoded = decodePayload(payload);
    assert.ok(!(decoded instanceof Error) && decoded.type === "batch");
    return Promise.resolve(decoded.commands.map(() => "ok"));
  });
  const third = new Uint8Array(Math.floor(MAX_ENTRY_BYTES / 3));
  await Promise.all([1, 2, 3, 4].map(() => batcher.write([enc.encode("SET"), third])));
  assert.ok(sizes.length >= 2 && sizes.every((size) => size <= MAX_ENTRY_BYTES), `entry sizes ${sizes}`);
  await assert.rejects(batcher.write([new Uint8Array(MAX_ENTRY_BYTES)]), /write too large/);
});

test("beyond maxQueued waiting writes, a write is refused at once with BUSY; room returns as writes settle", async () => {
  const { BusyError } = await import("../../machine/write_batcher.ts");
  const release: Array<() => void> = [];
  const batcher = new WriteBatcher((payload) => {
    const decoded = decodePayload(payload);
    assert.ok(!(decoded instanceof Error) && decoded.type === "batch");
    return new Promise((resolve) => release.push(() => resolve(decoded.commands.map(() => "ok"))));
  }, 2, 3);
  const waiting = [1, 2, 3].map(() => batcher.write([enc.encode("SET")]));
  assert.equal(batcher.waiting, 3);
  const refused = batcher.write([enc.encode("SET")]);
  await assert.rejects(refused, (error: Error) => error instanceof BusyError && /^BUSY 3 writes are waiting for the log/.test(error.message));
  await new Promise((resolve) => setImmediate(resolve));
  release.splice(0).forEach((resolve) => resolve());
  assert.deepEqual(await Promise.all(waiting), ["ok", "ok", "ok"]);
  assert.equal(batcher.waiting, 0);
  const later = batcher.write([enc.encode("SET")]);
  await new Promise((resolve) => setImmediate(resolve));
  release.splice(0).forEach((resolve) => resolve());
  assert.equal(await later, "ok");
  assert.throws(() => new WriteBatcher(() => Promise.resolve([]), 1, -1), /maxQueued must be ≥ 0/);
});

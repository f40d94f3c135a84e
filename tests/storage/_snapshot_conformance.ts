/**
 * One conformance suite for every SnapshotStore implementation.
 * Not a test file: snapshot_store_test.ts runs it against each.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import { Buffer } from "node:buffer";
import * as path from "node:path";
import type { SnapshotMeta, SnapshotStore } from "../../raft/storage/snapshot_store.ts";
import { tempDir } from "./_helpers.ts";

export const snapMeta = (index: number, term = 1): SnapshotMeta => ({
  index,
  term,
  config: { members: [{ id: 1, address: "127.0.0.1:11001", voter: true }] },
  time: 1_700_000_000_000 + index,
  seed: `seed-${index}`,
});

/** App bytes that compress well (repetitive). */
export function compressible(n: number, salt: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i % 97) ^ (i % 13 === 0 ? salt : 0);
  return out;
}

/** App bytes that do not compress. */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, at + 65536));
  return out;
}

export async function commitSnapshot(store: SnapshotStore, index: number, term: number, data: Uint8Array) {
  const sink = await store.create(snapMeta(index, term));
  for (let at = 0; at < data.length; at += 70_000) await sink.write(data.subarray(at, at + 70_000));
  return sink.commit();
}

async function allBytes(store: SnapshotStore, id: string): Promise<Uint8Array> {
  const r = await store.open(id);
  try {
    return await r.readRange(0, r.info.size);
  } finally {
    await r.close();
  }
}

export function snapshotStoreConformance(name: string, open: () => Promise<{ store: SnapshotStore; cleanup: () => Promise<void> }>): void {
  async function withStore(body: (s: SnapshotStore) => Promise<void>): Promise<void> {
    const { store, cleanup } = await open();
    try {
      await body(store);
    } finally {
      await cleanup();
    }
  }

  test(`${name}: create in chunks, list, open, read data and byte ranges`, () =>
    withStore(async (store) => {
      assert.deepEqual(await store.list(), []);
      const data = compressible(300_000, 5);
      const info = await commitSnapshot(store, 42, 3, data);
      assert.equal(info.index, 42);
      assert.equal(info.term, 3);
      assert.equal(info.seed, "seed-42");
      assert.equal(info.time, snapMeta(42).time);
      assert.deepEqual(info.config, snapMeta(42).config);
      assert.match(info.id, /^3-42-\d+$/);
      assert.ok(info.size < data.length / 2, `compressed: ${info.size} bytes for ${data.length}`);
      assert.deepEqual(await store.list(), [info]);
      const r = await store.open(info.id);
      assert.deepEqual(r.info, info);
      assert.deepEqual(await r.readData(), data);
      const parts: Uint8Array[] = [];
      for await (const part of r.readDataChunks()) parts.push(part);
      assert.deepEqual(Buffer.concat(parts), Buffer.from(data));
      const whole = await r.readRange(0, info.size);
      assert.equal(whole.length, info.size);
      assert.deepEqual(await r.readRange(10, 20), whole.subarray(10, 20));
      assert.deepEqual(await r.readRange(info.size - 5, info.size + 100), whole.subarray(info.size - 5));
      assert.equal((await r.readRange(info.size + 10, info.size + 20)).length, 0);
      await r.close();
      await assert.rejects(r.readRange(0, 1), /closed/);
      await assert.rejects(store.open("nope"), /does not exist/);
    }));

  test(`${name}: newest first (index, then term), only the newest 3 kept`, () =>
    withStore(async (store) => {
      for (const [index, term] of [[10, 1], [30, 2], [20, 1], [40, 2], [50, 3]]) {
        await commitSnapshot(store, index, term, compressible(1000, index));
      }
      assert.deepEqual((await store.list()).map((s) => s.index), [50, 40, 30]);
      const a = await commitSnapshot(store, 50, 3, compressible(10, 1));
      const list = await store.list();
      assert.equal(list.length, 3);
      assert.ok(list.some((s) => s.id === a.id));
      assert.equal(new Set(list.map((s) => s.id)).size, 3, "ids are unique even within one millisecond");
    }));

  test(`${name}: abort and bad metadata leave nothing`, () =>
    withStore(async (store) => {
      const sink = await store.create(snapMeta(6));
      await sink.write(compressible(1000, 2));
      await sink.abort();
      await assert.rejects(sink.write(new Uint8Array(1)), /closed/);
      await assert.rejects(store.create({ ...snapMeta(1), index: -1 }), /index must be a non-negative integer/);
      await assert.rejects(store.create({ ...snapMeta(1), seed: 5 as unknown as string }), /seed must be a string/);
      assert.deepEqual(await store.list(), []);
    }));

  test(`${name}: chunked install is validated before anything is replaced`, () =>
    withStore(async (store) => {
      const { store: leader, cleanup } = await open();
      try {
        const data = randomBytes(200_000);
        const info = await commitSnapshot(leader, 77, 4, data);
        const bytes = await allBytes(leader, info.id);
        const chunks: Uint8Array[] = [];
        for (let at = 0; at < bytes.length; at += 4096) chunks.push(bytes.slice(at, at + 4096));
        assert.ok(chunks.length > 40);
        const existing = await commitSnapshot(store, 50, 3, compressible(100, 1));

        const a = await store.beginInstall({ index: 77, term: 4 });
        await a.write(0, chunks[0]);
        await assert.rejects(a.write(0, chunks[1]), /expected offset 4096/);
        await a.abort();

        const flipped = chunks.map((c, i) => (i === 3 ? c.map((b, j) => (j === 100 ? b ^ 1 : b)) : c));
        const cases = [
          { name: "flipped byte", chunks: flipped, expect: { index: 77, term: 4 }, error: /checksum mismatch/ },
          { name: "missing last chunk", chunks: chunks.slice(0, -1), expect: { index: 77, term: 4 }, error: /end marker|checksum/ },
          { name: "wrong announcement", chunks, expect: { index: 78, term: 4 }, error: /leader announced \(index 78/ },
          { name: "garbage", chunks: [new Uint8Array(100).fill(9)], expect: undefined, error: /not a uhaha snapshot|end marker/ },
        ];
        for (const c of cases) {
          const inst = await store.beginInstall(c.expect);
          let at = 0;
          for (const chunk of c.chunks) {
            await inst.write(at, chunk);
            at += chunk.length;
          }
          await assert.rejects(inst.commit(), c.error, c.name);
          assert.deepEqual((await store.list()).map((s) => s.id), [existing.id], c.name);
        }

        const good = await store.beginInstall({ index: 77, term: 4 });
        let at = 0;
        for (const chunk of chunks) {
          await good.write(at, chunk);
          at += chunk.length;
        }
        const installed = await good.commit();
        assert.equal(installed.index, 77);
        assert.equal(installed.seed, "seed-77");
        assert.equal(installed.size, bytes.length);
        assert.deepEqual((await store.list()).map((s) => s.index), [77, 50]);
        const r = await store.open(installed.id);
        assert.deepEqual(await r.readData(), data);
        await r.close();
      } finally {
        await cleanup();
      }
    }));

  test(`${name}: importFile takes a snapshot file (--restore) and refuses junk`, () =>
    withStore(async (store) => {
      const { dir, cleanup } = await tempDir();
      try {
        const src = await commitSnapshot(store, 9, 2, compressible(5000, 3));
        const file = path.join(dir, "backup.snap");
        await fs.writeFile(file, await allBytes(store, src.id));
        const imported = await store.importFile(file);
        assert.equal(imported.index, 9);
        assert.notEqual(imported.id, src.id);
        await assert.rejects(store.importFile(path.join(dir, "missing")), /ENOENT|No such file/);
        await fs.writeFile(path.join(dir, "junk"), "x");
        await assert.rejects(store.importFile(path.join(dir, "junk")), /too short/);
      } finally {
        await cleanup();
      }
    }));
}

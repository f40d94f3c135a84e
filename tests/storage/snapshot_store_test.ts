import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { openFileSnapshotStore, type SnapshotMeta } from "../../raft/storage/snapshot_store.ts";
import { StorageCorruptError } from "../../raft/storage/errors.ts";
import { isDeno, payload, recordingLogger, tempDir } from "./_helpers.ts";
import { faultIO } from "./_fault_io.ts";

const meta = (index: number, term = 1): SnapshotMeta => ({
  index,
  term,
  config: { servers: [{ id: "1", address: "127.0.0.1:11001" }] },
  time: 1_700_000_000_000 + index,
  seed: `seed-${index}`,
});

/** App bytes that compress somewhat (repetitive) but not to nothing. */
function appBytes(n: number, salt: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i % 97) ^ (i % 13 === 0 ? salt : 0);
  return out;
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, at + 65536));
  return out;
}

async function listDir(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).sort();
}

test("snapshot: create in chunks, list, open, read data and byte ranges", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const store = await openFileSnapshotStore(dir);
    const data = appBytes(300_000, 5);
    assert.ok(data.length > 0);
    const sink = await store.create(meta(42, 3));
    for (let at = 0; at < data.length; at += 70_000) await sink.write(data.subarray(at, at + 70_000));
    const info = await sink.commit();
    assert.equal(info.index, 42);
    assert.equal(info.term, 3);
    assert.match(info.id, /^3-42-\d+$/);
    assert.ok(info.size < data.length / 2, `compressed: ${info.size} bytes for ${data.length}`);
    assert.deepEqual(await store.list(), [info]);
    assert.deepEqual(await listDir(dir), [info.id]);
    const r = await store.open(info.id);
    assert.deepEqual(r.info, info);
    assert.deepEqual(await r.readData(), data);
    const whole = await fs.readFile(r.file);
    assert.equal(whole.length, info.size);
    assert.deepEqual(await r.readRange(0, info.size), new Uint8Array(whole));
    assert.deepEqual(await r.readRange(10, 20), new Uint8Array(whole.subarray(10, 20)));
    assert.deepEqual(await r.readRange(info.size - 5, info.size + 100), new Uint8Array(whole.subarray(info.size - 5)));
    assert.equal((await r.readRange(info.size + 10, info.size + 20)).length, 0);
    await r.close();
    await assert.rejects(store.open("nope"), /does not exist/);
    await assert.rejects(store.open("../x"), /bad snapshot id/);
  } finally {
    await cleanup();
  }
});

test("snapshot: list is newest first and only the newest 3 are kept", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const store = await openFileSnapshotStore(dir);
    for (const [index, term] of [[10, 1], [30, 2], [20, 1], [40, 2], [50, 3]]) {
      const sink = await store.create(meta(index, term));
      await sink.write(appBytes(1000, index));
      await sink.commit();
    }
    const list = await store.list();
    assert.deepEqual(list.map((s) => s.index), [50, 40, 30]);
    assert.equal((await listDir(dir)).length, 3);
    const keep1 = await openFileSnapshotStore(dir, { retain: 1 });
    const sink = await keep1.create(meta(60, 3));
    await sink.write(appBytes(10, 1));
    await sink.commit();
    assert.deepEqual((await keep1.list()).map((s) => s.index), [60]);
  } finally {
    await cleanup();
  }
});

test("snapshot: abort, a failed write and an uncommitted sink leave no half snapshot", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const io = faultIO();
    const store = await openFileSnapshotStore(dir, { io });
    const good = await store.create(meta(5));
    await good.write(appBytes(1000, 1));
    const goodInfo = await good.commit();

    const aborted = await store.create(meta(6));
    await aborted.write(appBytes(1000, 2));
    await aborted.abort();
    assert.deepEqual(await listDir(dir), [goodInfo.id]);

    const failing = await store.create(meta(7));
    io.failNext("writeAll", "ENOSPC", { match: ".tmp-" });
    await assert.rejects((async () => {
      for (let i = 0; i < 50; i++) await failing.write(randomBytes(100_000));
      await failing.commit();
    })(), /ENOSPC/);
    assert.deepEqual(await listDir(dir), [goodInfo.id], "the temp dir of the failed write is gone");

    const left = await store.create(meta(8));
    await left.write(appBytes(1000, 3));
    assert.equal((await listDir(dir)).length, 2, "an uncommitted snapshot is only a temp dir");
    assert.deepEqual((await store.list()).map((s) => s.id), [goodInfo.id]);
    const { logger, lines } = recordingLogger();
    const reopened = await openFileSnapshotStore(dir, { logger });
    assert.deepEqual(await listDir(dir), [goodInfo.id]);
    assert.match(lines.join("\n"), /interrupted snapshot write/);
    assert.deepEqual((await reopened.list()).map((s) => s.id), [goodInfo.id]);
    await left.abort();
  } finally {
    await cleanup();
  }
});

test("snapshot: a process killed mid-write leaves only the committed snapshot", async () => {
  const { dir, cleanup } = await tempDir();
  const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "snapshot_child.ts");
  const args = isDeno ? ["run", "-A", child, dir] : ["--import", "tsx", child, dir];
  try {
    for (let round = 0; round < 3; round++) {
      const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
      const killAfter = 1 + round * 3;
      await new Promise<void>((resolve, reject) => {
        const guard = setTimeout(() => {
          process.kill(proc.pid!, "SIGKILL");
          reject(new Error("snapshot child made no progress for 30 s; killed"));
        }, 30_000);
        proc.on("exit", () => clearTimeout(guard));
        let out = "";
        proc.stdout!.setEncoding("utf8");
        proc.stdout!.on("data", (chunk: string) => {
          out += chunk;
          const chunks = out.match(/^chunk \d+$/gm)?.length ?? 0;
          if (chunks >= killAfter) process.kill(proc.pid!, "SIGKILL");
        });
        proc.on("exit", (code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`child exited with ${code}`))));
      });
      const names = await listDir(dir);
      assert.ok(names.some((n) => n.startsWith(".tmp-")), "the kill left a temp dir");
      const store = await openFileSnapshotStore(dir, { logger: () => {} });
      const list = await store.list();
      assert.ok(list.length >= 1 && list.every((s) => s.index === 10), JSON.stringify(list));
      assert.ok((await listDir(dir)).every((n) => !n.startsWith(".")));
      const r = await store.open(list[0].id);
      assert.deepEqual(await r.readData(), payload(1, 1, 5000));
      await r.close();
    }
  } finally {
    await cleanup();
  }
});

async function makeSource(dir: string, index: number, term: number, data: Uint8Array) {
  const store = await openFileSnapshotStore(dir);
  const sink = await store.create(meta(index, term));
  await sink.write(data);
  const info = await sink.commit();
  return { store, info };
}

test("snapshot: chunked install from a leader, validated before anything is replaced", async () => {
  const leader = await tempDir();
  const follower = await tempDir();
  try {
    const data = randomBytes(200_000); // incompressible: many chunks
    const { store: src, info } = await makeSource(leader.dir, 77, 4, data);
    const dst = await openFileSnapshotStore(follower.dir);
    const existing = await makeSource(follower.dir, 50, 3, appBytes(100, 1));
    const reader = await src.open(info.id);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < info.size; at += 4096) chunks.push(await reader.readRange(at, at + 4096));
    await reader.close();
    assert.ok(chunks.length > 40, `${chunks.length} chunks`);

    // Out-of-order chunk is refused.
    const a = await dst.beginInstall({ index: 77, term: 4 });
    await a.write(0, chunks[0]);
    await assert.rejects(a.write(0, chunks[1]), /expected offset 4096/);
    await a.abort();

    // A flipped byte, a missing last chunk, a wrong announcement: all refused, nothing replaced.
    const cases: { name: string; chunks: Uint8Array[]; expect: { index: number; term: number }; error: RegExp }[] = [
      { name: "flipped", chunks: chunks.map((c, i) => (i === 3 ? c.map((b, j) => (j === 100 ? b ^ 1 : b)) : c)), expect: { index: 77, term: 4 }, error: /checksum mismatch/ },
      { name: "truncated", chunks: chunks.slice(0, -1), expect: { index: 77, term: 4 }, error: /end marker|checksum/ },
      { name: "wrong announce", chunks, expect: { index: 78, term: 4 }, error: /leader announced \(index 78/ },
    ];
    for (const c of cases) {
      const inst = await dst.beginInstall(c.expect);
      let at = 0;
      for (const chunk of c.chunks) {
        await inst.write(at, chunk);
        at += chunk.length;
      }
      await assert.rejects(inst.commit(), c.error, c.name);
      assert.deepEqual((await dst.list()).map((s) => s.id), [existing.info.id], c.name);
      assert.deepEqual(await listDir(follower.dir), [existing.info.id], c.name);
    }
    const corrupt = await dst.beginInstall();
    await corrupt.write(0, chunks[0].map((b, j) => (j === 2 ? b ^ 4 : b)));
    await assert.rejects(corrupt.commit(), StorageCorruptError);

    const good = await dst.beginInstall({ index: 77, term: 4 });
    let at = 0;
    for (const chunk of chunks) {
      await good.write(at, chunk);
      at += chunk.length;
    }
    const installed = await good.commit();
    assert.equal(installed.index, 77);
    assert.equal(installed.seed, "seed-77");
    assert.deepEqual(installed.config, meta(77).config);
    const list = await dst.list();
    assert.deepEqual(list.map((s) => s.index), [77, 50]);
    const r = await dst.open(installed.id);
    assert.deepEqual(await r.readData(), data);
    await r.close();

    // --restore: import a snapshot file by path.
    const third = await tempDir();
    try {
      const store3 = await openFileSnapshotStore(third.dir);
      const imported = await store3.importFile(path.join(leader.dir, info.id, "snapshot"));
      assert.equal(imported.index, 77);
      await assert.rejects(store3.importFile(path.join(leader.dir, "missing")), /ENOENT/);
      await fs.writeFile(path.join(third.dir, "junk"), "x");
      await assert.rejects(store3.importFile(path.join(third.dir, "junk")), /too short/);
    } finally {
      await third.cleanup();
    }
  } finally {
    await leader.cleanup();
    await follower.cleanup();
  }
});

test("snapshot: a damaged snapshot dir is skipped by list with a warning", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const { info } = await makeSource(dir, 5, 1, appBytes(100, 1));
    await fs.mkdir(path.join(dir, "1-9-123"));
    await fs.writeFile(path.join(dir, "1-9-123", "snapshot"), "not a snapshot at all");
    const { logger, lines } = recordingLogger();
    const store = await openFileSnapshotStore(dir, { logger });
    assert.deepEqual((await store.list()).map((s) => s.id), [info.id]);
    assert.match(lines.join("\n"), /1-9-123.*skipping unreadable snapshot/);
    await assert.rejects(store.create({ ...meta(1), index: -1 }), /index must be a non-negative integer/);
  } finally {
    await cleanup();
  }
});

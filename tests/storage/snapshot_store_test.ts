import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
/** SnapshotStore: the shared conformance suite on both implementations, then file-only behaviour. */
import { openFileSnapshotStore } from "../../raft/storage/file_snapshot_store.ts";
import { MemorySnapshotStore } from "../../raft/storage/memory_snapshot_store.ts";
import { isDeno, payload, recordingLogger, tempDir } from "./_helpers.ts";
import { faultIO } from "./_fault_io.ts";
import { StorageFailedError } from "../../raft/storage/errors.ts";
import { commitSnapshot, compressible as appBytes, randomBytes, snapMeta as meta, snapshotStoreConformance } from "./_snapshot_conformance.ts";

snapshotStoreConformance("memory snapshot store", () =>
  Promise.resolve({ store: new MemorySnapshotStore(), cleanup: () => Promise.resolve() }));
snapshotStoreConformance("file snapshot store", async () => {
  const { dir, cleanup } = await tempDir();
  return { store: await openFileSnapshotStore(dir), cleanup };
});

async function listDir(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).sort();
}

test("snapshot: abort, a failed write and an uncommitted sink leave no half snapshot", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const io = faultIO();
    const logged = recordingLogger();
    const store = await openFileSnapshotStore(dir, { io, logger: logged.logger });
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
    })(), (e: unknown) => {
      assert.ok(e instanceof StorageFailedError);
      assert.equal(e.code, "ENOSPC");
      assert.match(e.message, /writing snapshot \(index 7, term 1\) failed with ENOSPC.*stored snapshots are intact/);
      return true;
    });
    assert.match(logged.lines.join("\n"), /^error: writing snapshot/m);
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

test("snapshot: a damaged snapshot dir is skipped by list with a warning", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const info = await commitSnapshot(await openFileSnapshotStore(dir), 5, 1, appBytes(100, 1));
    await fs.mkdir(path.join(dir, "1-9-123"));
    await fs.writeFile(path.join(dir, "1-9-123", "snapshot"), "not a snapshot at all");
    const { logger, lines } = recordingLogger();
    const store = await openFileSnapshotStore(dir, { logger });
    assert.deepEqual((await store.list()).map((s) => s.id), [info.id]);
    assert.match(lines.join("\n"), /1-9-123.*skipping unreadable snapshot/);
  } finally {
    await cleanup();
  }
});

test("file snapshot store: retention deletes old dirs; readRange returns the file's bytes; nosync makes no fsync", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const io = faultIO();
    const store = await openFileSnapshotStore(dir, { io, nosync: true, retain: 2 });
    for (const index of [1, 2, 3, 4]) await commitSnapshot(store, index, 1, appBytes(500, index));
    assert.equal(io.counts.datasync + io.counts.fsync + io.counts.syncDir, 0);
    const list = await store.list();
    assert.deepEqual(list.map((s) => s.index), [4, 3]);
    assert.deepEqual(await listDir(dir), list.map((s) => s.id).sort());
    const r = await store.open(list[0].id);
    assert.deepEqual(await r.readRange(0, r.info.size), new Uint8Array(await fs.readFile(r.file)));
    // Still readable after retention removes it underneath the reader.
    for (const index of [5, 6]) await commitSnapshot(store, index, 1, appBytes(500, index));
    assert.deepEqual(await r.readData(), appBytes(500, 4));
    await r.close();
    const synced = faultIO();
    const s2 = await openFileSnapshotStore(dir, { io: synced });
    await commitSnapshot(s2, 7, 1, appBytes(10, 1));
    assert.ok(synced.counts.datasync >= 1 && synced.counts.syncDir >= 2);
  } finally {
    await cleanup();
  }
});

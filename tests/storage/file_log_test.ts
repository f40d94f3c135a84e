/** FileLogStore behaviour beyond the conformance suite: group commit, segments, corruption, failures. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { type FileLogStore, openFileLogStore } from "../../raft/storage/file_log_store.ts";
import { StorageCorruptError, StorageFailedError } from "../../raft/storage/errors.ts";
import { batch, recordingLogger, tempDir } from "./_helpers.ts";
import { faultIO } from "./_fault_io.ts";

async function segFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((n) => n.endsWith(".seg")).sort();
}

test("group commit: appends made during an in-flight sync share the next write and sync", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const io = faultIO();
    const log = await openFileLogStore(dir, { io, logger: () => {} });
    const writes0 = io.counts.writeAll;
    const syncs0 = io.counts.datasync;
    const hold = io.holdSyncs();
    const a = log.append(batch(1, 1, 1));
    await hold.waiting; // a's sync is in flight
    const rest = [2, 3, 4, 5].map((i) => log.append(batch(i, 1, 1)));
    hold.release();
    await Promise.all([a, ...rest]);
    assert.equal(io.counts.writeAll - writes0, 2, "one write for a, one for the four that waited");
    assert.equal(io.counts.datasync - syncs0, 2);
    // Appends made in the same turn share one write even with nothing in flight.
    const w1 = io.counts.writeAll;
    await Promise.all([6, 7, 8].map((i) => log.append(batch(i, 1, 1))));
    assert.equal(io.counts.writeAll - w1, 1);
    assert.equal(log.lastIndex(), 8);
    await log.close();
  } finally {
    await cleanup();
  }
});

test("nosync: no fdatasync at all", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const io = faultIO();
    const log = await openFileLogStore(dir, { io, nosync: true, segmentBytes: 200 });
    for (let i = 0; i < 20; i++) await log.append(batch(1 + i * 2, 2, 1));
    await log.compactPrefix(30);
    await log.truncateSuffix(35);
    assert.equal(io.counts.datasync + io.counts.fsync + io.counts.syncDir, 0);
    await log.close();
  } finally {
    await cleanup();
  }
});

test("segments roll at segmentBytes; compaction deletes whole old segments only", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await openFileLogStore(dir, { segmentBytes: 2000 });
    for (let i = 0; i < 40; i++) await log.append(batch(1 + i * 5, 5, 1));
    const before = await segFiles(dir);
    assert.ok(before.length >= 5, `expected several segments, got ${before.length}`);
    assert.equal(before[0], "00000000000000000001.seg");
    await log.compactPrefix(100);
    const after = await segFiles(dir);
    assert.ok(after.length < before.length && after.length > 0);
    const firstBase = Number(after[0].slice(0, 20));
    assert.ok(firstBase <= 101, "the segment holding index 101 is kept");
    assert.deepEqual(await log.entries(101, 201), batch(101, 100, 1));
    await log.close();
  } finally {
    await cleanup();
  }
});

test("recent entries come from memory, older ones from disk", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const io = faultIO();
    const log = await openFileLogStore(dir, { io, cacheEntries: 10, segmentBytes: 1500 });
    for (let i = 0; i < 10; i++) await log.append(batch(1 + i * 10, 10, 1));
    const r0 = io.counts.read;
    assert.deepEqual(await log.entries(95, 101), batch(95, 6, 1));
    assert.equal(io.counts.read, r0, "no disk read for recent entries");
    assert.deepEqual(await log.entries(1, 101), batch(1, 100, 1));
    assert.ok(io.counts.read > r0);
    await log.close();
  } finally {
    await cleanup();
  }
});

test("a disk read queued before a compaction or truncation still returns its entries", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const log = await openFileLogStore(dir, { cacheEntries: 2, segmentBytes: 500 });
    await log.append(batch(1, 100, 1));
    const read = log.entries(1, 50);
    const compact = log.compactPrefix(60);
    const truncate = log.truncateSuffix(80);
    const late = log.entries(1, 50);
    assert.deepEqual(await read, batch(1, 49, 1));
    await Promise.all([compact, truncate]);
    await assert.rejects(late, RangeError);
    assert.deepEqual(await log.entries(61, 80, 1e9), batch(61, 19, 1));
    await log.close();
  } finally {
    await cleanup();
  }
});

async function threeSegments(dir: string): Promise<string[]> {
  const log = await openFileLogStore(dir, { segmentBytes: 1000 });
  for (let i = 0; i < 30; i++) await log.append(batch(1 + i * 3, 3, 1));
  await log.close();
  const files = await segFiles(dir);
  assert.ok(files.length >= 3);
  return files.map((f) => path.join(dir, f));
}

test("corruption: a flipped byte in a middle record stops open with file and offset", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const files = await threeSegments(dir);
    const victim = files[1];
    const bytes = await fs.readFile(victim);
    bytes[200] ^= 0x01;
    await fs.writeFile(victim, bytes);
    const err = await openFileLogStore(dir, { logger: () => {} }).then(() => null, (e) => e);
    assert.ok(err instanceof StorageCorruptError, String(err));
    assert.equal(err.file, victim);
    assert.ok(err.offset <= 200 && err.offset > 0);
    assert.match(err.message, /checksum mismatch.*re-add the node/s);
  } finally {
    await cleanup();
  }
});

test("corruption: a flipped byte in a middle record of the LAST segment stops open too", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const files = await threeSegments(dir);
    const victim = files[files.length - 1];
    const bytes = await fs.readFile(victim);
    bytes[30] ^= 0x80;
    await fs.writeFile(victim, bytes);
    await assert.rejects(openFileLogStore(dir, { logger: () => {} }), (e: unknown) => {
      assert.ok(e instanceof StorageCorruptError);
      assert.match(e.message, /valid records follow/);
      return true;
    });
  } finally {
    await cleanup();
  }
});

test("corruption: a truncated middle segment stops open", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const files = await threeSegments(dir);
    const size = (await fs.stat(files[1])).size;
    await fs.truncate(files[1], size - 10);
    await assert.rejects(openFileLogStore(dir, { logger: () => {} }), (e: unknown) => {
      assert.ok(e instanceof StorageCorruptError);
      assert.equal(e.file, files[1]);
      assert.match(e.message, /incomplete/);
      return true;
    });
    // Cut exactly at a record boundary: the gap to the next segment is found instead.
    const bytes = await fs.readFile(files[1]);
    await fs.writeFile(files[1], bytes.subarray(0, 24));
    await assert.rejects(openFileLogStore(dir, { logger: () => {} }), /index gap/);
  } finally {
    await cleanup();
  }
});

test("corruption: a deleted middle (or first) segment stops open", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const files = await threeSegments(dir);
    await fs.rename(files[1], files[1] + ".away");
    await assert.rejects(openFileLogStore(dir, { logger: () => {} }), (e: unknown) => {
      assert.ok(e instanceof StorageCorruptError);
      assert.match(e.message, /index gap: previous segment .* ends at index \d+ but this one starts at \d+/);
      return true;
    });
    await fs.rename(files[1] + ".away", files[1]);
    await fs.rename(files[0], files[0] + ".away");
    await assert.rejects(openFileLogStore(dir, { logger: () => {} }), /entries 1\.\.\d+ are missing/);
  } finally {
    await cleanup();
  }
});

test("torn tail: a flipped byte in the last record's tail is cut, logged, and appends continue", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const files = await threeSegments(dir);
    const last = files[files.length - 1];
    const bytes = await fs.readFile(last);
    bytes[bytes.length - 2] ^= 0x55;
    await fs.writeFile(last, bytes);
    const { logger, lines } = recordingLogger();
    const log = await openFileLogStore(dir, { logger, segmentBytes: 1000 });
    assert.equal(log.lastIndex(), 89);
    assert.match(lines.join("\n"), /cutting torn tail .*last intact index is 89/);
    assert.deepEqual(await log.entries(1, 90), batch(1, 89, 1));
    await log.append(batch(90, 3, 2));
    await log.close();
    const again = await openFileLogStore(dir, { logger: () => {} });
    assert.deepEqual(await again.entries(88, 93), [...batch(88, 2, 1), ...batch(90, 3, 2)]);
    await again.close();
  } finally {
    await cleanup();
  }
});

test("torn tail: a half-written record and a half-written segment header are cut", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const files = await threeSegments(dir);
    await fs.appendFile(files[files.length - 1], new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    const first = recordingLogger();
    let log = await openFileLogStore(dir, { logger: first.logger });
    assert.equal(log.lastIndex(), 90);
    assert.match(first.lines.join("\n"), /cutting torn tail/);
    await log.close();
    await fs.writeFile(path.join(dir, "00000000000000000091.seg"), new Uint8Array([0x55, 0x48]));
    const second = recordingLogger();
    log = await openFileLogStore(dir, { logger: second.logger });
    assert.equal(log.lastIndex(), 90);
    assert.match(second.lines.join("\n"), /segment header is incomplete/);
    await log.append(batch(91, 1, 1));
    await log.close();
  } finally {
    await cleanup();
  }
});

test("ENOSPC on write: the append rejects, the store refuses writes, nothing written is damaged", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const io = faultIO();
    const { logger, lines } = recordingLogger();
    const log = await openFileLogStore(dir, { io, logger });
    await log.append(batch(1, 10, 1));
    io.failNext("writeAll", "ENOSPC", { partial: true });
    const failing = log.append(batch(11, 5, 1));
    const queued = assert.rejects(log.append(batch(16, 5, 1)), StorageFailedError);
    await assert.rejects(failing, (e: unknown) => {
      assert.ok(e instanceof StorageFailedError);
      assert.equal(e.code, "ENOSPC");
      assert.match(e.message, /refuses writes until it is reopened: the disk is full/);
      return true;
    });
    await queued;
    await assert.rejects(log.append(batch(11, 1, 1)), /refuses writes/);
    await assert.rejects(log.truncateSuffix(5), /refuses writes/);
    assert.match(lines.join("\n"), /^error: .*ENOSPC/m);
    assert.equal(log.lastIndex(), 10);
    assert.deepEqual(await log.entries(1, 11), batch(1, 10, 1));
    await log.close();
    const again = await openFileLogStore(dir, { logger: () => {} });
    assert.equal(again.lastIndex(), 10);
    assert.deepEqual(await again.entries(1, 11), batch(1, 10, 1));
    await again.append(batch(11, 5, 1));
    assert.equal(again.lastIndex(), 15);
    await again.close();
  } finally {
    await cleanup();
  }
});

test("EIO on fdatasync: the batch rejects and the store refuses writes until reopened", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const io = faultIO();
    const log = await openFileLogStore(dir, { io, logger: () => {} });
    await log.append(batch(1, 3, 1));
    io.failNext("datasync", "EIO");
    await assert.rejects(log.append(batch(4, 3, 1)), (e: unknown) => e instanceof StorageFailedError && e.code === "EIO");
    assert.equal(log.lastIndex(), 3);
    assert.ok(log.failure());
    await log.close();
    const again = await openFileLogStore(dir, { logger: () => {} });
    assert.deepEqual(await again.entries(1, 4), batch(1, 3, 1));
    await again.close();
  } finally {
    await cleanup();
  }
});

test("ENOSPC while starting a new segment", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const io = faultIO();
    const log = await openFileLogStore(dir, { io, logger: () => {}, segmentBytes: 30 });
    for (let i = 1; i <= 3; i++) await log.append(batch(i, 1, 1));
    io.failNext("open", "ENOSPC");
    await assert.rejects(log.append(batch(4, 1, 1)), /ENOSPC/);
    await log.close();
    const again = await openFileLogStore(dir, { logger: () => {}, segmentBytes: 30 });
    assert.deepEqual(await again.entries(1, 4), batch(1, 3, 1));
    await again.close();
  } finally {
    await cleanup();
  }
});

test("failures in truncate, compact and reset: rejected, refused after, and the reopened log is consistent", async () => {
  const cases = [
    {
      name: "truncate: ftruncate EIO",
      fault: ["truncate", "EIO", {}] as const,
      op: (log: FileLogStore) => log.truncateSuffix(30),
      after: (log: FileLogStore) => assert.ok(log.lastIndex() === 29 || log.lastIndex() === 60),
    },
    {
      name: "compact: meta rename ENOSPC",
      fault: ["rename", "ENOSPC", { match: "meta" }] as const,
      op: (log: FileLogStore) => log.compactPrefix(40),
      after: (log: FileLogStore) => assert.equal(log.firstIndex(), 1),
    },
    {
      name: "reset: new segment ENOSPC",
      fault: ["open", "ENOSPC", { match: ".seg" }] as const,
      op: (log: FileLogStore) => log.reset(100, 9),
      after: (log: FileLogStore) => {
        assert.equal(log.firstIndex(), 101);
        assert.equal(log.term(100), 9);
      },
    },
  ];
  for (const c of cases) {
    const { dir, cleanup } = await tempDir();
    try {
      const io = faultIO();
      const log = await openFileLogStore(dir, { io, logger: () => {}, segmentBytes: 1000 });
      await log.append(batch(1, 60, 1));
      io.failNext(c.fault[0], c.fault[1], c.fault[2]);
      await assert.rejects(c.op(log), (e: unknown) => e instanceof StorageFailedError && e.code === c.fault[1], c.name);
      await assert.rejects(log.append(batch(61, 1, 1)), /refuses writes/, c.name);
      await log.close();
      const again = await openFileLogStore(dir, { logger: () => {}, segmentBytes: 1000 });
      c.after(again);
      const first = again.firstIndex();
      const last = again.lastIndex();
      assert.deepEqual(await again.entries(first, last + 1), batch(first, last + 1 - first, 1).map((e) => e), c.name);
      await again.append(batch(last + 1, 2, Math.max(1, again.term(last))));
      await again.close();
    } finally {
      await cleanup();
    }
  }
});

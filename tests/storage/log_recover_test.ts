/**
 * FileLogStore.recover(): after a failed write the store reopens itself in
 * place — the directory is verified again by log_recovery.ts, a tail the
 * failed write tore is cut — and accepts writes again. Repeated failures
 * are logged once per interval (FailureReporter), not once per attempt.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openFileLogStore } from "../../raft/storage/file_log_store.ts";
import { FailureReporter, StorageFailedError } from "../../raft/storage/errors.ts";
import { MemoryLogStore } from "../../raft/storage/memory_log_store.ts";
import { faultIO } from "./_fault_io.ts";
import { batch, recordingLogger, tempDir } from "./_helpers.ts";

test("recover() after ENOSPC left a torn tail: the tail is cut, acknowledged entries stay, writes resume", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const io = faultIO();
    const { logger, lines } = recordingLogger();
    const log = await openFileLogStore(dir, { io, logger, cacheEntries: 4 });
    await log.append(batch(1, 20, 1));
    // Half the batch reaches the file, and cutting it off fails too: a torn tail stays on disk.
    io.failNext("writeAll", "ENOSPC", { partial: true });
    io.failNext("truncate", "EIO");
    await assert.rejects(log.append(batch(21, 5, 2)), (e: unknown) => e instanceof StorageFailedError && e.code === "ENOSPC");
    await assert.rejects(log.append(batch(21, 1, 2)), /refuses writes until it is reopened/);
    assert.match(lines.join("\n"), /a running node reopens it by itself/);

    const syncs = io.counts.datasync;
    await log.recover();
    assert.match(lines.join("\n"), /cutting torn tail/, "the recovery code cut what the failed append tore");
    // Whole records of the failed batch may stay (never acknowledged, like a crash after the write): now synced.
    const kept = log.lastIndex();
    assert.ok(kept >= 20 && kept < 25, `last index ${kept}`);
    assert.ok(io.counts.datasync > syncs, "what recovery kept is made durable");
    assert.match(lines.join("\n"), new RegExp(`reopened after a write failure; the log holds \\[1, ${kept}\\]`));
    assert.equal(log.failure(), null);
    const expected = [...batch(1, 20, 1), ...batch(21, 5, 2)];
    assert.deepEqual(await log.entries(1, kept + 1), expected.slice(0, kept), "read back from disk, past the small cache");
    await log.append(expected.slice(kept));
    await log.truncateSuffix(24);
    await log.close();

    const again = await openFileLogStore(dir, { logger: () => {} });
    assert.deepEqual(await again.entries(1, 24), expected.slice(0, 23));
    await again.close();
  } finally {
    await cleanup();
  }
});

test("recover() while the disk still fails rejects and keeps refusing writes; a later one succeeds", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const io = faultIO();
    const log = await openFileLogStore(dir, { io, logger: () => {}, segmentBytes: 1000 });
    await log.append(batch(1, 30, 1));
    // A truncate that fails half way leaves the files out of step with memory.
    io.failNext("truncate", "EIO");
    await assert.rejects(log.truncateSuffix(25), StorageFailedError);
    io.failNext("open", "EIO", { match: ".seg" });
    await assert.rejects(log.recover(), (e: unknown) => e instanceof StorageFailedError && e.code === "EIO");
    await assert.rejects(log.append(batch(31, 1, 1)), /refuses writes/);
    await log.recover();
    // The interrupted truncation either happened or not; the log is whole and contiguous either way.
    const last = log.lastIndex();
    assert.ok(last === 24 || last === 30, `last index ${last}`);
    assert.deepEqual(await log.entries(1, last + 1), batch(1, last, 1));
    await log.append(batch(last + 1, 2, 1));
    await log.recover(); // healthy: a no-op
    assert.equal(log.lastIndex(), last + 2);
    await log.close();
  } finally {
    await cleanup();
  }
});

test("recover() on a memory store is a no-op", async () => {
  const log = new MemoryLogStore();
  await log.append(batch(1, 3, 1));
  await log.recover();
  assert.equal(log.lastIndex(), 3);
});

test("FailureReporter: the same failure again is logged once per interval, with the count held back", () => {
  const { logger, lines } = recordingLogger();
  let now = 0;
  const reporter = new FailureReporter(logger, 1000, () => now);
  reporter.report("ENOSPC", "full");
  for (now = 100; now < 1000; now += 100) reporter.report("ENOSPC", "full");
  reporter.report("EIO", "broken");
  now = 2500;
  reporter.report("EIO", "broken again");
  assert.deepEqual(lines, ["error: full", "error: broken (9 more ENOSPC failures since the last report)", "error: broken again"]);
  now = 2600;
  reporter.report("EIO", "x");
  reporter.report("EIO", "x");
  now = 3600;
  reporter.report("EIO", "later");
  assert.equal(lines.at(-1), "error: later (2 more EIO failures since the last report)");
});

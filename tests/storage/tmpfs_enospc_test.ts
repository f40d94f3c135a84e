/**
 * A real full disk: a 1 MiB tmpfs (needs root on Linux; skipped, visibly,
 * otherwise). The append that hits ENOSPC rejects, the log refuses
 * further writes, everything acknowledged reads back, and after space is
 * freed a reopened log appends again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { openFileLogStore } from "../../raft/storage/file_log_store.ts";
import { StorageFailedError } from "../../raft/storage/errors.ts";
import { openFileStableStore } from "../../raft/storage/stable_store.ts";
import { mountTmpfs, tmpfsSkipReason, unmount } from "../helpers/tmpfs.ts";
import { batch, recordingLogger, tempDir } from "./_helpers.ts";

const skip = tmpfsSkipReason();

test("ENOSPC on a real 1 MiB tmpfs: the append fails, nothing acknowledged is lost, the log recovers", { skip: skip ?? false }, async (t) => {
  const { dir, cleanup } = await tempDir("uhaha-tmpfs-");
  const problem = mountTmpfs(dir, 1);
  if (problem) {
    t.diagnostic(`skipped: ${problem}`);
    t.skip(problem);
    await cleanup();
    return;
  }
  try {
    const filler = path.join(dir, "filler");
    await fs.writeFile(filler, new Uint8Array(128 * 1024));
    const stable = await openFileStableStore(path.join(dir, "stable"), { logger: () => {} });
    await stable.update({ currentTerm: 3, nodeId: 1 });
    const logDir = path.join(dir, "log");
    const { logger, lines } = recordingLogger();
    const log = await openFileLogStore(logDir, { logger, segmentBytes: 200 * 1024 });
    let acked = 0;
    let failure: unknown = null;
    for (let i = 0; i < 1000 && !failure; i++) {
      try {
        await log.append(batch(acked + 1, 8, 1).map((e) => ({ ...e, data: new Uint8Array(4000).fill(e.index & 0xff) })));
        acked += 8;
      } catch (err) {
        failure = err;
      }
    }
    assert.ok(failure instanceof StorageFailedError, `expected ENOSPC, got ${failure}`);
    assert.equal(failure.code, "ENOSPC");
    assert.match(lines.join("\n"), /error: .*ENOSPC.*disk is full/);
    assert.ok(acked > 100, `acked ${acked}`);
    await assert.rejects(log.append(batch(acked + 1, 1, 1)), /refuses writes/);
    assert.equal(log.lastIndex(), acked);
    const expect = (i: number) => new Uint8Array(4000).fill(i & 0xff);
    for (const e of await log.entries(1, acked + 1)) assert.deepEqual(e.data, expect(e.index));
    await log.close();

    // The stable state cannot be saved either, and the old one stays.
    await assert.rejects(stable.update({ currentTerm: 4, config: { members: [{ id: 1, address: "x".repeat(200_000), voter: true }] } }), (e: unknown) => {
      assert.ok(e instanceof StorageFailedError);
      assert.equal(e.code, "ENOSPC");
      assert.match(e.message, /previous state is intact/);
      return true;
    });
    assert.equal((await openFileStableStore(path.join(dir, "stable"))).get().currentTerm, 3);

    // Reopen while still full: intact. Free space: appends continue.
    const reopened = await openFileLogStore(logDir, { logger: () => {} });
    assert.equal(reopened.lastIndex(), acked);
    for (const e of await reopened.entries(1, acked + 1)) assert.deepEqual(e.data, expect(e.index));
    await reopened.close();
    await fs.rm(filler);
    const freed = await openFileLogStore(logDir, { logger: () => {} });
    await freed.append(batch(acked + 1, 2, 1));
    assert.equal(freed.lastIndex(), acked + 2);
    await freed.close();
  } finally {
    unmount(dir);
    await cleanup();
  }
});

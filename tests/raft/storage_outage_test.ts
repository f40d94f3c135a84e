import { test } from "node:test";
import assert from "node:assert/strict";
import { StorageOutage } from "../../raft/storage_outage.ts";
import { StorageFailedError } from "../../raft/storage/errors.ts";

const enospc = new StorageFailedError("disk full", "ENOSPC");

test("attempts back off from 100 ms, doubling, up to the maximum", () => {
  const outage = new StorageOutage(enospc, 0, { maxDelayMs: 1_000 });
  const delays = Array.from({ length: 7 }, () => outage.nextDelayMs());
  assert.deepEqual(delays, [100, 200, 400, 800, 1_000, 1_000, 1_000]);
});

test("failed attempts are reported once per interval, with how many there were", () => {
  const outage = new StorageOutage(enospc, 0, { logIntervalMs: 10_000 });
  const reports: number[] = [];
  for (let now = 100; now <= 25_000; now += 500) {
    const failures = outage.failed(enospc, now);
    if (failures > 0) reports.push(failures);
  }
  assert.deepEqual(reports, [21, 20]); // at 10.1 s (failures at 0.1 … 10.1 s), then at 20.1 s
  const eio = new StorageFailedError("broken", "EIO");
  outage.failed(eio, 25_100);
  assert.equal(outage.error, eio, "the latest failure is kept");
  assert.equal(outage.since, 0);
});

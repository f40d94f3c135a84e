/** ProgressLog: percentages, amounts and rates, at most one line per interval, and the closing line. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatBytes, ProgressLog } from "../../raft/progress_log.ts";

test("formatBytes", () => {
  assert.deepEqual([0, 1023, 1024, 1536, 5 * 1024 ** 2, 3 * 1024 ** 3].map(formatBytes), ["0 B", "1023 B", "1.0 KiB", "1.5 KiB", "5.0 MiB", "3.0 GiB"]);
});

test("a progress line at most once per interval, with done/total and the rate; then the closing line", () => {
  let now = 0;
  const lines: string[] = [];
  const progress = new ProgressLog((line) => lines.push(line), "sending snapshot 1-2 to node 3", { total: 4 * 1024 ** 2, now: () => now });
  progress.add(1024 ** 2);
  now = 999;
  progress.add(1024 ** 2);
  assert.deepEqual(lines, [], "nothing within the first interval");
  now = 1_000;
  progress.add(1024 ** 2);
  now = 1_500;
  progress.add(512 * 1024);
  assert.deepEqual(lines, ["sending snapshot 1-2 to node 3 progress: 75.0% (3.0 MiB of 4.0 MiB), 3.0 MiB/s"]);
  now = 2_000;
  progress.add(512 * 1024);
  progress.finish();
  assert.deepEqual(lines.slice(1), [
    "sending snapshot 1-2 to node 3 progress: 100.0% (4.0 MiB of 4.0 MiB), 2.0 MiB/s",
    "sending snapshot 1-2 to node 3 done: 4.0 MiB in 2.00 s, 2.0 MiB/s",
  ]);
});

test("without a total: the amount and the rate; a failed outcome is said", () => {
  let now = 0;
  const lines: string[] = [];
  const progress = new ProgressLog((line) => lines.push(line), "receiving snapshot 2/10 from node 1", { now: () => now });
  now = 1_000;
  progress.set(2048);
  now = 1_250;
  progress.finish("failed");
  assert.deepEqual(lines, [
    "receiving snapshot 2/10 from node 1 progress: 2.0 KiB, 2.0 KiB/s",
    "receiving snapshot 2/10 from node 1 failed: 2.0 KiB in 1.25 s, 1.6 KiB/s",
  ]);
});

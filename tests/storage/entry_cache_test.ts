/** The file log's in-memory tail and its group screening, against a plain array of the log. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { EntryCache } from "../../raft/storage/entry_cache.ts";
import { type AppendOp, appendsToWrite } from "../../raft/storage/log_op_queue.ts";
import type { LogEntry } from "../../raft/log_entry.ts";

const entry = (index: number, term = 1): LogEntry => ({ index, term, kind: 0, data: new Uint8Array([index & 0xff]) });
const range = (lo: number, hi: number) => Array.from({ length: hi - lo }, (_, i) => entry(lo + i));

type Step = { op: "append"; n: number } | { op: "truncate"; back: number } | { op: "compact"; upto: number } | { op: "reset"; gap: number };

test("entry cache: always a tail of the log, at least `limit` entries of it (or all), at most twice that", () => {
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ op: fc.constant("append" as const), n: fc.integer({ min: 1, max: 9 }) }),
    fc.record({ op: fc.constant("truncate" as const), back: fc.integer({ min: 0, max: 12 }) }),
    fc.record({ op: fc.constant("compact" as const), upto: fc.integer({ min: 0, max: 12 }) }),
    fc.record({ op: fc.constant("reset" as const), gap: fc.integer({ min: 0, max: 5 }) }),
  );
  fc.assert(fc.property(fc.integer({ min: 1, max: 6 }), fc.array(step, { maxLength: 60 }), (limit, steps) => {
    const cache = new EntryCache(limit);
    let first = 1; // the log holds [first, last]
    let last = 0;
    let filled = 0; // entries appended since the last reset or truncation below the cache (never compacted away)
    for (const s of steps) {
      if (s.op === "append") {
        cache.append(range(last + 1, last + 1 + s.n));
        last += s.n;
        filled += s.n;
      } else if (s.op === "truncate") {
        const from = Math.max(first, last + 1 - s.back);
        cache.truncateFrom(from);
        filled = Math.max(0, Math.min(filled, from - cache.start));
        last = from - 1;
      } else if (s.op === "compact") {
        const upto = Math.min(last, first - 1 + s.upto);
        first = upto + 1;
        cache.dropBefore(first);
      } else {
        last += s.gap;
        first = last + 1;
        cache.clear(last + 1);
        filled = 0;
      }
      const held = cache.slice(cache.start, last + 1);
      assert.deepEqual(held, range(cache.start, last + 1), "a contiguous tail ending at the last index");
      assert.ok(cache.start >= first, "nothing before the log's first index");
      assert.ok(held.length <= 2 * limit, `${held.length} held, limit ${limit}`);
      assert.ok(held.length >= Math.min(limit, filled, last - first + 1), `${held.length} held, limit ${limit}`);
    }
  }));
});

test("appendsToWrite: bad batches are rejected, empty ones resolved, the rest written in order", () => {
  const settled: string[] = [];
  const op = (name: string, entries: LogEntry[]): AppendOp => ({
    kind: "append",
    entries,
    resolve: () => void settled.push(`${name} ok`),
    reject: (e) => void settled.push(`${name} ${e instanceof RangeError ? "refused" : e}`),
  });
  const a = op("a", range(6, 8));
  const gap = op("gap", range(10, 11));
  const empty = op("empty", []);
  const b = op("b", range(8, 9));
  const toWrite = appendsToWrite([a, gap, empty, b], 5, 1);
  assert.deepEqual(toWrite, [a, b]);
  assert.deepEqual(settled, ["gap refused", "empty ok"]);
});

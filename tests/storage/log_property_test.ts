/**
 * Property test: random append / truncateSuffix / compactPrefix / reset /
 * reopen / failed-append (injected ENOSPC or EIO) sequences against a naive model, on the file store (tiny segments
 * and cache, so segment deletion and disk reads are exercised) and on the
 * memory store. Replay a failure with the seed and path fast-check prints.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { LogEntry } from "../../raft/log_entry.ts";
import type { LogStore } from "../../raft/storage/log_store.ts";
import { openFileLogStore } from "../../raft/storage/file_log_store.ts";
import { MemoryLogStore } from "../../raft/storage/memory_log_store.ts";
import { payload, tempDir } from "./_helpers.ts";
import { StorageFailedError } from "../../raft/storage/errors.ts";
import { type FaultIO, faultIO } from "./_fault_io.ts";

type Op =
  | { t: "append"; n: number; bump: boolean; size: number }
  | { t: "truncate"; back: number }
  | { t: "compact"; fwd: number }
  | { t: "reset"; gap: number; bump: number }
  | { t: "reopen" }
  | { t: "read"; a: number; b: number }
  /** An append whose write fails (ENOSPC/EIO, partly written); the store is reopened after. */
  | { t: "failedAppend"; n: number; code: "ENOSPC" | "EIO"; onSync: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant("append" as const), n: fc.integer({ min: 1, max: 6 }), bump: fc.boolean(), size: fc.integer({ min: 0, max: 120 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("truncate" as const), back: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("compact" as const), fwd: fc.integer({ min: 0, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("reset" as const), gap: fc.integer({ min: 0, max: 5 }), bump: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("reopen" as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("read" as const), a: fc.nat(), b: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant("failedAppend" as const),
      n: fc.integer({ min: 1, max: 4 }),
      code: fc.constantFrom("ENOSPC" as const, "EIO" as const),
      onSync: fc.boolean(),
    }),
  },
);

/** The naive model: an array and a compaction point. */
class Model {
  first = 1;
  prevTerm = 0;
  entries: LogEntry[] = [];
  get last(): number {
    return this.first + this.entries.length - 1;
  }
  get lastTerm(): number {
    return this.entries.length ? this.entries[this.entries.length - 1].term : this.prevTerm;
  }
}

async function runOps(ops: Op[], open: () => Promise<LogStore>, reopenable: boolean, io?: FaultIO): Promise<void> {
  const m = new Model();
  let s = await open();
  try {
    for (const op of ops) {
      switch (op.t) {
        case "append": {
          const term = m.lastTerm + (op.bump || m.lastTerm === 0 ? 1 : 0);
          const batch = Array.from({ length: op.n }, (_, i) => ({
            index: m.last + 1 + i,
            term,
            kind: ((m.last + i) % 3) as 0 | 1 | 2,
            data: payload(m.last + 1 + i, term, op.size),
          }));
          await s.append(batch);
          m.entries.push(...batch);
          break;
        }
        case "truncate": {
          const from = Math.max(m.first, m.last + 1 - op.back);
          await s.truncateSuffix(from);
          m.entries.length = from - m.first;
          break;
        }
        case "compact": {
          const upto = Math.min(m.last, m.first - 1 + op.fwd);
          await s.compactPrefix(upto);
          if (upto >= m.first) {
            m.prevTerm = m.entries[upto - m.first].term;
            m.entries = m.entries.slice(upto + 1 - m.first);
            m.first = upto + 1;
          }
          break;
        }
        case "reset": {
          const prevIndex = m.last + op.gap;
          const prevTerm = Math.max(1, m.lastTerm + op.bump);
          await s.reset(prevIndex, prevTerm);
          m.entries = [];
          m.first = prevIndex + 1;
          m.prevTerm = prevTerm;
          break;
        }
        case "reopen":
          if (reopenable) {
            await s.close();
            s = await open();
          }
          break;
        case "failedAppend": {
          if (!io) break;
          io.failNext(op.onSync ? "datasync" : "writeAll", op.code, { partial: true });
          const term = Math.max(1, m.lastTerm);
          const doomed = Array.from({ length: op.n }, (_, i) => ({ index: m.last + 1 + i, term, kind: 0 as const, data: payload(m.last + 1 + i, term, 50) }));
          await assert.rejects(s.append(doomed), (e: unknown) => e instanceof StorageFailedError && e.code === op.code);
          await assert.rejects(s.append(doomed), /refuses writes/);
          await s.close();
          s = await open();
          // A failed sync may still have left the batch on disk (unacknowledged): the model accepts either.
          if (op.onSync && s.lastIndex() === m.last + op.n) m.entries.push(...doomed);
          break;
        }
        case "read": {
          const span = m.entries.length + 1;
          const lo = m.first + (op.a % span);
          const hi = lo + (op.b % (m.last + 2 - lo));
          assert.deepEqual(await s.entries(lo, hi), m.entries.slice(lo - m.first, hi - m.first));
          break;
        }
      }
      assert.equal(s.firstIndex(), m.first, `firstIndex after ${JSON.stringify(op)}`);
      assert.equal(s.lastIndex(), m.last, `lastIndex after ${JSON.stringify(op)}`);
      assert.equal(s.term(m.first - 1), m.prevTerm);
      if (m.entries.length) assert.equal(s.term(m.last), m.lastTerm);
    }
    assert.deepEqual(await s.entries(m.first, m.last + 1), m.entries);
  } finally {
    await s.close();
  }
}

test("property: file log store behaves like the model", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
      const { dir, cleanup } = await tempDir("uhaha-prop-");
      try {
        const io = faultIO();
        await runOps(ops, () => openFileLogStore(dir, { segmentBytes: 400, cacheEntries: 4, logger: () => {}, io }), true, io);
      } finally {
        await cleanup();
      }
    }),
    { numRuns: 80 },
  );
});

test("property: memory log store behaves like the model", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
      await runOps(ops, () => Promise.resolve(new MemoryLogStore()), false);
    }),
    { numRuns: 200 },
  );
});

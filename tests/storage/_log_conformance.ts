/**
 * One conformance suite for every LogStore implementation (hashicorp style).
 * Not a test file: log_store_test.ts runs it against each implementation.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { LogStore } from "../../raft/storage/log_store.ts";
import { batch, entry } from "./_helpers.ts";

export interface LogStoreHarness {
  /** A fresh, empty store. */
  open(): Promise<LogStore>;
  /** Closes and reopens the same store (memory stores return it unchanged). */
  reopen(store: LogStore): Promise<LogStore>;
  cleanup(): Promise<void>;
}

export function logStoreConformance(name: string, makeHarness: () => Promise<LogStoreHarness>): void {
  async function withStore(body: (s: LogStore, h: LogStoreHarness) => Promise<void>): Promise<void> {
    const h = await makeHarness();
    const s = await h.open();
    try {
      await body(s, h);
    } finally {
      await h.cleanup();
    }
  }

  test(`${name}: a new log is empty`, () =>
    withStore(async (s) => {
      assert.equal(s.firstIndex(), 1);
      assert.equal(s.lastIndex(), 0);
      assert.equal(s.term(0), 0);
      assert.throws(() => s.term(1), RangeError);
      assert.deepEqual(await s.entries(1, 1), []);
      await assert.rejects(s.entries(1, 2), RangeError);
      await s.close();
    }));

  test(`${name}: append, read back, term`, () =>
    withStore(async (s, h) => {
      await s.append(batch(1, 10, 1));
      await s.append(batch(11, 5, 3));
      assert.equal(s.lastIndex(), 15);
      assert.equal(s.term(10), 1);
      assert.equal(s.term(11), 3);
      assert.deepEqual(await s.entries(1, 16), [...batch(1, 10, 1), ...batch(11, 5, 3)]);
      assert.deepEqual(await s.entries(4, 6), batch(4, 2, 1));
      s = await h.reopen(s);
      assert.deepEqual(await s.entries(1, 16), [...batch(1, 10, 1), ...batch(11, 5, 3)]);
      await s.close();
    }));

  test(`${name}: bad appends reject and change nothing`, () =>
    withStore(async (s) => {
      await s.append(batch(1, 3, 2));
      await assert.rejects(s.append(batch(5, 1, 2)), /expected index 4, got 5/);
      await assert.rejects(s.append(batch(3, 1, 2)), /expected index 4, got 3/);
      await assert.rejects(s.append([entry(4, 1)]), /term 1/);
      await assert.rejects(s.append([entry(4, 2), entry(6, 2)]), /expected index 5, got 6/);
      assert.equal(s.lastIndex(), 3);
      await s.append([]);
      await s.append(batch(4, 1, 2));
      assert.equal(s.lastIndex(), 4);
      await s.close();
    }));

  test(`${name}: many concurrent appends resolve in order; a bad one fails alone`, () =>
    withStore(async (s) => {
      const done: number[] = [];
      const ps: Promise<void>[] = [];
      for (let i = 0; i < 50; i++) ps.push(s.append(batch(1 + i * 4, 4, 1)).then(() => void done.push(i)));
      const bad = assert.rejects(s.append(batch(999, 1, 1)), RangeError);
      for (let i = 50; i < 60; i++) ps.push(s.append(batch(1 + i * 4, 4, 1)).then(() => void done.push(i)));
      await Promise.all(ps);
      await bad;
      assert.deepEqual(done, Array.from({ length: 60 }, (_, i) => i));
      assert.equal(s.lastIndex(), 240);
      assert.deepEqual(await s.entries(1, 241), batch(1, 240, 1));
      await s.close();
    }));

  test(`${name}: truncateSuffix removes the tail, appends continue with a new term`, () =>
    withStore(async (s, h) => {
      await s.append(batch(1, 20, 1));
      await s.truncateSuffix(25);
      assert.equal(s.lastIndex(), 20);
      await s.truncateSuffix(12);
      assert.equal(s.lastIndex(), 11);
      assert.throws(() => s.term(12), RangeError);
      await s.append(batch(12, 3, 2));
      s = await h.reopen(s);
      assert.equal(s.lastIndex(), 14);
      assert.deepEqual(await s.entries(10, 15), [...batch(10, 2, 1), ...batch(12, 3, 2)]);
      await s.truncateSuffix(1);
      assert.equal(s.lastIndex(), 0);
      await s.append(batch(1, 2, 5));
      assert.equal(s.term(2), 5);
      await s.close();
    }));

  test(`${name}: compactPrefix moves firstIndex and keeps the term at the cut`, () =>
    withStore(async (s, h) => {
      await s.append(batch(1, 30, 1));
      await s.append(batch(31, 10, 4));
      await s.compactPrefix(32);
      assert.equal(s.firstIndex(), 33);
      assert.equal(s.term(32), 4);
      assert.throws(() => s.term(31), RangeError);
      await assert.rejects(s.entries(32, 34), RangeError);
      await s.compactPrefix(10); // below firstIndex: no-op
      await assert.rejects(s.compactPrefix(41), RangeError);
      await assert.rejects(s.truncateSuffix(20), RangeError);
      s = await h.reopen(s);
      assert.equal(s.firstIndex(), 33);
      assert.equal(s.term(32), 4);
      assert.deepEqual(await s.entries(33, 41), batch(33, 8, 4));
      await s.compactPrefix(40);
      assert.equal(s.firstIndex(), 41);
      assert.equal(s.lastIndex(), 40);
      await s.append(batch(41, 2, 4));
      assert.deepEqual(await s.entries(41, 43), batch(41, 2, 4));
      await s.close();
    }));

  test(`${name}: reset discards everything and restarts after a snapshot point`, () =>
    withStore(async (s, h) => {
      await s.append(batch(1, 10, 1));
      await s.reset(100, 7);
      assert.equal(s.firstIndex(), 101);
      assert.equal(s.lastIndex(), 100);
      assert.equal(s.term(100), 7);
      await assert.rejects(s.append(batch(11, 1, 7)), RangeError);
      await s.append(batch(101, 3, 7));
      s = await h.reopen(s);
      assert.equal(s.firstIndex(), 101);
      assert.equal(s.term(100), 7);
      assert.deepEqual(await s.entries(101, 104), batch(101, 3, 7));
      await s.close();
    }));

  test(`${name}: operations run in call order without awaiting in between`, () =>
    withStore(async (s) => {
      const a = s.append(batch(1, 5, 1));
      const t = s.truncateSuffix(3);
      const b = s.append(batch(3, 2, 2));
      const c = s.compactPrefix(2);
      await Promise.all([a, t, b, c]);
      assert.equal(s.firstIndex(), 3);
      assert.equal(s.lastIndex(), 4);
      assert.deepEqual(await s.entries(3, 5), batch(3, 2, 2));
      await s.close();
    }));

  test(`${name}: maxBytes limits a read to a prefix of at least one entry`, () =>
    withStore(async (s) => {
      const fixed = Array.from({ length: 10 }, (_, i) => entry(i + 1, 1, 100));
      await s.append(fixed);
      assert.deepEqual(await s.entries(1, 11, 250), fixed.slice(0, 2));
      assert.deepEqual(await s.entries(3, 11, 10), fixed.slice(2, 3));
      assert.deepEqual(await s.entries(1, 11, 1000), fixed);
      assert.deepEqual(await s.entries(5, 5, 10), []);
      await s.close();
    }));

  test(`${name}: closed store rejects`, () =>
    withStore(async (s) => {
      await s.append(batch(1, 1, 1));
      await s.close();
      await assert.rejects(s.append(batch(2, 1, 1)), /closed/);
      await assert.rejects(s.entries(1, 2), /closed/);
    }));
}

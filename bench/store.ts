/**
 * Benchmark of store/ (not a test): set, get, list and atomic throughput of
 * the store in process beside Deno.openKv(":memory:") and a file-backed
 * Deno.openKv(path), all through the same async Deno.Kv API in the same
 * run; then snapshot and restore time and size of 1,000,000 small entries.
 *
 *   npx deno run -A --unstable-kv bench/store.ts [secondsPerCase] [snapshotEntries]
 *   node --import tsx bench/store.ts …   (store/ rows only: Node has no Deno KV)
 */
// deno-lint-ignore-file no-explicit-any
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { openKv } from "../store/kv.ts";
import { KvStore } from "../store/kv_store.ts";
import { restoreStore, snapshotStore } from "../store/snapshot_codec.ts";
import { storeOf, SyncKv } from "../store/sync_kv.ts";
import { formatVersionstamp } from "../store/versionstamp.ts";

interface KvUnderTest {
  set(key: unknown[], value: unknown): Promise<unknown>;
  get(key: unknown[]): Promise<unknown>;
  list(selector: unknown, options?: unknown): AsyncIterable<unknown>;
  atomic(): any;
  close(): void;
}

const PRELOAD = 10_000;

async function rate(seconds: number, op: (i: number) => Promise<number>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  let done = 0;
  let i = 0;
  while (performance.now() < deadline) {
    for (let k = 0; k < 100; k++) done += await op(i++);
  }
  return done / ((performance.now() - start) / 1000);
}

async function measure(kv: KvUnderTest, seconds: number): Promise<Record<string, number>> {
  for (let i = 0; i < PRELOAD; i++) await kv.set(["bench", i], { i, name: `user ${i}` });
  const set = await rate(seconds, async (i) => (await kv.set(["set", i], { i, name: `user ${i}` }), 1));
  const get = await rate(seconds, async (i) => (await kv.get(["bench", (i * 7919) % PRELOAD]), 1));
  const list = await rate(seconds, async (i) => {
    let n = 0;
    for await (const _ of kv.list({ prefix: ["bench"] }, { limit: 100, cursor: undefined, reverse: i % 2 === 1 })) n++;
    return n;
  });
  const atomic = await rate(seconds, async (i) => {
    const key = ["acct", i % 1000];
    const current: any = await kv.get(key);
    await kv.atomic().check({ key, versionstamp: current.versionstamp }).set(key, i).sum(["total"], 1n).commit();
    return 1;
  });
  return { set, get, list, atomic };
}

function snapshotCase(entries: number): Record<string, number> {
  let commits = 0;
  const kv = new SyncKv(new KvStore(), { nextVersionstamp: () => formatVersionstamp(++commits, 0), checkWritable: () => {} });
  let t = performance.now();
  for (let i = 0; i < entries; i++) kv.set(["user", i], { i, name: `n${i}` });
  const fillMs = performance.now() - t;
  t = performance.now();
  const chunks = snapshotStore(storeOf(kv));
  const snapshotMs = performance.now() - t;
  const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const whole = new Uint8Array(bytes);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.length;
  }
  t = performance.now();
  const restored = restoreStore(whole);
  const restoreMs = performance.now() - t;
  if (restored.size !== entries) throw new Error(`restored ${restored.size} of ${entries}`);
  return { fillMs, snapshotMs, restoreMs, bytes, chunks: chunks.length };
}

const fmt = (n: number) => Math.round(n).toLocaleString("en");

export async function runStoreBench(seconds = 1, snapshotEntries = 1_000_000): Promise<void> {
  const deno = (globalThis as any).Deno;
  const runtime = deno ? `Deno ${deno.version.deno}` : `Node ${process.version}`;
  const rows: [string, Record<string, number>][] = [];
  rows.push(["store/ (in process)", await measure(await openKv() as unknown as KvUnderTest, seconds)]);
  if (deno?.openKv) {
    const memory = await deno.openKv(":memory:");
    rows.push(['Deno.openKv(":memory:")', await measure(memory, seconds)]);
    memory.close();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "uhaha-kv-bench-"));
    try {
      const file = await deno.openKv(path.join(dir, "kv.sqlite"));
      rows.push(["Deno.openKv(file)", await measure(file, seconds)]);
      file.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`\nstore/ beside Deno KV on ${runtime} (${seconds} s per case; ops/s, list in entries/s)\n`);
  console.log("| store | set/s | get/s | list entries/s | atomic (get+check+set+sum)/s |");
  console.log("|---|---:|---:|---:|---:|");
  for (const [name, r] of rows) console.log(`| ${name} | ${fmt(r.set)} | ${fmt(r.get)} | ${fmt(r.list)} | ${fmt(r.atomic)} |`);
  const snap = snapshotCase(snapshotEntries);
  console.log(`\nsnapshot of ${fmt(snapshotEntries)} small entries (store/ on ${runtime}):`);
  console.log(`  fill ${fmt(snap.fillMs)} ms, snapshot ${fmt(snap.snapshotMs)} ms (${fmt(snap.bytes)} bytes in ${snap.chunks} chunks), restore ${fmt(snap.restoreMs)} ms`);
}

const meta = import.meta as ImportMeta & { main?: boolean };
const isMain = meta.main ?? (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href);
if (isMain) {
  const [seconds, entries] = process.argv.slice(2);
  await runStoreBench(seconds ? Number(seconds) : undefined, entries ? Number(entries) : undefined);
}

/**
 * Benchmark of the file-backed Raft log (not a test): appends/s and MB/s
 * for batch sizes 1, 16 and 256, fsync on and off, beside the raw
 * write+fdatasync rate of the same disk measured in the same run (the
 * physical limit of a synced commit).
 *
 *   node --import tsx bench/storage_log.ts [dir] [secondsPerCase]
 *   npx deno run -A bench/storage_log.ts [dir] [secondsPerCase]
 *
 * dir defaults to UHAHA_BENCH_DIR or os.tmpdir(). Or import runStorageBench().
 */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import type { LogEntry } from "../raft/log_entry.ts";
import { openFileLogStore } from "../raft/storage/file_log_store.ts";
import { type FileIO, nodeFileIO } from "../raft/storage/file_io.ts";
import { RECORD_HEADER_BYTES } from "../raft/storage/record.ts";

export interface StorageBenchOptions {
  /** Where the temp files go (the disk being measured). Default UHAHA_BENCH_DIR or os.tmpdir(). */
  dir?: string;
  /** Seconds per case. Default 1.5. */
  seconds?: number;
  /** Bytes of data per entry. Default 256. */
  entryBytes?: number;
  /** Print the table to stdout. Default true. */
  print?: boolean;
}

export interface StorageBenchRow {
  readonly label: string;
  readonly batch: number;
  readonly inFlight: number;
  readonly fsync: boolean;
  readonly entriesPerSec: number;
  readonly batchesPerSec: number;
  /** fdatasync calls per second made by the store (0 with fsync off). */
  readonly syncsPerSec: number;
  /** Payload megabytes (1e6 bytes) per second. */
  readonly mbPerSec: number;
}

export interface StorageBenchResult {
  readonly runtime: string;
  readonly dir: string;
  /** Raw write(entry-sized record) + fdatasync per second on the same disk (mean of before and after). */
  readonly rawFdatasyncPerSec: number;
  /** The two raw measurements, before and after the cases. */
  readonly rawSamples: readonly [number, number];
  readonly rows: StorageBenchRow[];
  readonly table: string;
}

async function rawFdatasyncRate(dir: string, recordBytes: number, seconds: number): Promise<number> {
  const file = path.join(dir, "raw-fdatasync");
  const fd = await nodeFileIO.open(file, "w");
  const buf = new Uint8Array(recordBytes).fill(7);
  let n = 0;
  let pos = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  try {
    while (performance.now() < end) {
      await nodeFileIO.writeAll(fd, buf, pos);
      await nodeFileIO.datasync(fd);
      pos += buf.length;
      n++;
    }
  } finally {
    await nodeFileIO.close(fd);
  }
  return n / ((performance.now() - start) / 1000);
}

async function appendRate(
  dir: string,
  batch: number,
  inFlight: number,
  fsync: boolean,
  entryBytes: number,
  seconds: number,
): Promise<{ entriesPerSec: number; batchesPerSec: number; syncsPerSec: number }> {
  const logDir = await fs.mkdtemp(path.join(dir, "log-"));
  let syncs = 0;
  const io: FileIO = { ...nodeFileIO, datasync: (fd) => (syncs++, nodeFileIO.datasync(fd)) };
  const log = await openFileLogStore(logDir, { nosync: !fsync, io });
  syncs = 0;
  const data = new Uint8Array(entryBytes).fill(42);
  let next = 1;
  let batches = 0;
  const makeBatch = (): LogEntry[] => {
    const out: LogEntry[] = [];
    for (let i = 0; i < batch; i++) out.push({ index: next++, term: 1, kind: 0, data });
    return out;
  };
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      await log.append(makeBatch());
      batches++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = (performance.now() - start) / 1000;
  await log.close();
  await fs.rm(logDir, { recursive: true, force: true });
  return { entriesPerSec: (batches * batch) / elapsed, batchesPerSec: batches / elapsed, syncsPerSec: syncs / elapsed };
}

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString("en-US");
  if (n >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function render(r: Omit<StorageBenchResult, "table">, entryBytes: number): string {
  const raw = r.rawFdatasyncPerSec;
  const head = ["case", "fsync", "appends/s", "MB/s", "appends ÷ raw", "fdatasyncs/s", "fdatasyncs ÷ raw", "appends per fdatasync"];
  const lines = r.rows.map((row) => [
    row.label,
    row.fsync ? "on" : "off",
    fmt(row.entriesPerSec),
    fmt(row.mbPerSec),
    (row.entriesPerSec / raw).toFixed(2) + "×",
    row.fsync ? fmt(row.syncsPerSec) : "—",
    row.fsync ? (row.syncsPerSec / raw).toFixed(2) + "×" : "—",
    row.fsync ? fmt(row.entriesPerSec / row.syncsPerSec) : "—",
  ]);
  const all = [head, ...lines];
  const widths = head.map((_, c) => Math.max(...all.map((l) => l[c].length)));
  const row = (l: string[]) => "| " + l.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(" | ") + " |";
  return [
    `storage_log bench — ${r.runtime}, dir ${r.dir}, ${entryBytes}-byte entries (+${RECORD_HEADER_BYTES} bytes of record header)`,
    `raw write+fdatasync of one ${entryBytes + RECORD_HEADER_BYTES}-byte record on this disk: ${fmt(raw)}/s ` +
      `(before ${fmt(r.rawSamples[0])}/s, after ${fmt(r.rawSamples[1])}/s)`,
    "",
    row(head),
    "|" + widths.map((w, c) => (c === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|",
    ...lines.map(row),
    "",
    "÷ raw = divided by the raw fdatasync rate above. Each store fdatasync is one group commit (one write + one sync",
    "for every batch waiting), so 'fdatasyncs ÷ raw' near 1 means the disk is the limit; batch = entries per append();",
    "'x16 in flight' = 16 concurrent append() calls of 1 entry (group commit shares syncs between them).",
  ].join("\n");
}

/** Runs the storage benchmark and (by default) prints the table. */
export async function runStorageBench(options: StorageBenchOptions = {}): Promise<StorageBenchResult> {
  const base = options.dir ?? process.env.UHAHA_BENCH_DIR ?? os.tmpdir();
  const seconds = options.seconds ?? 1.5;
  const entryBytes = options.entryBytes ?? 256;
  const dir = await fs.mkdtemp(path.join(base, "uhaha-bench-"));
  try {
    // Raw rate measured right before and right after the fsync-on cases (the
    // nosync cases come last: their dirty pages would slow a later fdatasync).
    const rawBefore = await rawFdatasyncRate(dir, entryBytes + RECORD_HEADER_BYTES, seconds);
    const cases: { label: string; batch: number; inFlight: number; fsync: boolean }[] = [];
    for (const fsync of [true, false]) {
      for (const batch of [1, 16, 256]) cases.push({ label: `batch ${batch}`, batch, inFlight: 1, fsync });
      cases.push({ label: "batch 1, x16 in flight", batch: 1, inFlight: 16, fsync });
    }
    const rows: StorageBenchRow[] = [];
    let rawAfter = 0;
    for (const c of cases) {
      if (!c.fsync && rawAfter === 0) rawAfter = await rawFdatasyncRate(dir, entryBytes + RECORD_HEADER_BYTES, seconds);
      const r = await appendRate(dir, c.batch, c.inFlight, c.fsync, entryBytes, seconds);
      rows.push({ ...c, ...r, mbPerSec: (r.entriesPerSec * entryBytes) / 1e6 });
    }
    const rawFdatasyncPerSec = (rawBefore + rawAfter) / 2;
    const runtime = "Deno" in globalThis ? `Deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}` : `Node ${process.version}`;
    const partial = { runtime, dir: base, rawFdatasyncPerSec, rawSamples: [rawBefore, rawAfter] as const, rows };
    const table = render(partial, entryBytes);
    if (options.print ?? true) console.log(table);
    return { ...partial, table };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

const meta = import.meta as ImportMeta & { main?: boolean };
const isMain = meta.main ?? (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href);
if (isMain) {
  const [dir, seconds] = process.argv.slice(2);
  await runStorageBench({ dir: dir || undefined, seconds: seconds ? Number(seconds) : undefined });
}

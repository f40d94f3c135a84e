/**
 * The file-backed Raft log: segmented append-only files with group commit.
 * Recovery lives in log_recovery.ts, the byte format in record.ts, the
 * operation queue (one at a time, appends grouped) in log_op_queue.ts, the
 * in-memory tail in entry_cache.ts.
 */
import type { LogEntry } from "../log_entry.ts";
import {
  defaultStorageLogger,
  errorCode,
  FailureReporter,
  StorageClosedError,
  StorageFailedError,
  type StorageLogger,
} from "./errors.ts";
import { type FileIO, nodeFileIO } from "./file_io.ts";
import { createSegment, recoverLog, type Segment, segmentLast, writeMeta } from "./log_recovery.ts";
import { limitBytes, type LogStore, rangeError } from "./log_store.ts";
import { EntryCache } from "./entry_cache.ts";
import { type AppendOp, appendsToWrite, type LogOp, LogOpQueue } from "./log_op_queue.ts";
import { encodeRun } from "./record.ts";
import { limitByBytes, readSegmentRange, segmentOf } from "./segment_reader.ts";

export interface FileLogStoreOptions {
  /** A segment is closed and a new one started once it reaches this size. Default 64 MiB. */
  segmentBytes?: number;
  /** Skip every fsync/fdatasync (fast; a power loss or OS crash may lose acknowledged entries). Default false. */
  nosync?: boolean;
  /** How many of the newest entries are kept in memory for reads. Default 8192. */
  cacheEntries?: number;
  /** File-system seam (tests inject faults). Default: node:fs. */
  io?: FileIO;
  /**
   * Where warnings (torn tail cut, write failure) go. Default: console.error
   * for warn/error. A write failure with the same code as the last one is
   * logged at most once per 10 s (a node retrying on a full disk).
   */
  logger?: StorageLogger;
}

/**
 * Opens (creating if needed) the log in `dir`, verifying every segment.
 * Rejects with StorageCorruptError if the log is damaged anywhere but its torn tail.
 * @example const log = await openFileLogStore("data/log", { nosync: false });
 */
export async function openFileLogStore(dir: string, options: FileLogStoreOptions = {}): Promise<FileLogStore> {
  const io = options.io ?? nodeFileIO;
  const logger = options.logger ?? defaultStorageLogger;
  const sync = !options.nosync;
  const recovered = await recoverLog(io, dir, logger, sync);
  const active = recovered.segments[recovered.segments.length - 1];
  const fd = await io.open(active.path, "r+");
  const store = new FileLogStore(dir, io, logger, options, recovered.segments, fd, recovered.prevIndex, recovered.prevTerm);
  await store.loadCache();
  return store;
}

export class FileLogStore implements LogStore {
  readonly #dir: string;
  readonly #io: FileIO;
  readonly #log: StorageLogger;
  readonly #failures: FailureReporter;
  readonly #sync: boolean;
  readonly #segmentBytes: number;
  #segments: Segment[];
  /** fd of the active (last) segment, open read-write. */
  #fd: number;
  /** Logical first index (entries below are compacted, maybe still on disk). */
  #first: number;
  #prevTerm: number;
  /** The newest entries, ending at lastIndex. */
  readonly #cache: EntryCache;
  readonly #queue = new LogOpQueue((group) => this.#appendGroup(group));
  #failure: StorageFailedError | null = null;
  /** A truncate/reset failed half way: segment files no longer match memory, so only cached entries are served. */
  #filesInFlux = false;
  #closed = false;

  /** Use openFileLogStore. */
  constructor(
    dir: string,
    io: FileIO,
    logger: StorageLogger,
    options: FileLogStoreOptions,
    segments: Segment[],
    fd: number,
    prevIndex: number,
    prevTerm: number,
  ) {
    this.#dir = dir;
    this.#io = io;
    this.#log = logger;
    this.#failures = new FailureReporter(logger);
    this.#sync = !options.nosync;
    this.#segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.#cache = new EntryCache(options.cacheEntries ?? 8192);
    this.#segments = segments;
    this.#fd = fd;
    this.#first = prevIndex + 1;
    this.#prevTerm = prevTerm;
  }

  /** @internal Fills the read cache from disk after open. */
  async loadCache(): Promise<void> {
    const last = this.lastIndex();
    const lo = Math.max(this.#first, last - this.#cache.limit + 1);
    this.#cache.fill(await readSegmentRange(this.#io, this.#segments, this.#fd, lo, last + 1), lo);
  }

  firstIndex(): number {
    return this.#first;
  }

  lastIndex(): number {
    return segmentLast(this.#segments[this.#segments.length - 1]);
  }

  term(index: number): number {
    if (index === this.#first - 1) return this.#prevTerm;
    if (index >= this.#first && index <= this.lastIndex()) {
      const seg = segmentOf(this.#segments, index);
      return seg.terms[index - seg.baseIndex];
    }
    throw new RangeError(`term(${index}): index is outside the log [${this.#first}, ${this.lastIndex()}]`);
  }

  /** Why writes are refused (after ENOSPC/EIO), or null. */
  failure(): StorageFailedError | null {
    return this.#failure;
  }

  /**
   * Reopens the log in place after a failure, as openFileLogStore would:
   * once queued work is done, the directory is verified again by
   * recoverLog (which cuts a tail a failed append may have torn, finishes
   * an interrupted truncate/compaction/reset, and refuses real damage), and
   * the store's view of its files, its read cache and its active segment
   * are rebuilt from what is on disk. Then writes are accepted again.
   * A no-op on a store that has not failed.
   *
   * Whole records that a failed append left behind (when cutting them off
   * failed too) are kept, and synced now, since from here on they count as
   * durable: like entries written just before a crash, they were never
   * acknowledged, which is all Raft asks (a follower that holds entries it
   * did not acknowledge is normal; a leader's new term overwrites them if
   * they conflict, Raft §5.3).
   *
   * Rejects (and the store keeps refusing writes) if the directory cannot
   * be read or repaired yet, e.g. with StorageFailedError while the disk
   * still fails, or StorageCorruptError.
   */
  recover(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#enqueue({ kind: "run", run: () => this.#recover(), resolve, reject }, true));
  }

  async #recover(): Promise<void> {
    if (!this.#failure) return;
    let recovered: Awaited<ReturnType<typeof recoverLog>>;
    let fd: number;
    try {
      recovered = await recoverLog(this.#io, this.#dir, this.#log, this.#sync);
      fd = await this.#io.open(recovered.segments[recovered.segments.length - 1].path, "r+");
      if (this.#sync) await this.#io.datasync(fd).catch(async (err) => {
        await this.#io.close(fd).catch(() => {});
        throw err;
      });
    } catch (err) {
      const code = errorCode(err);
      if (!code) throw err; // StorageCorruptError and the like: not something a retry fixes
      const failure = new StorageFailedError(`reopening the log in ${this.#dir} failed with ${code} (${(err as Error)?.message ?? err})`, code, err);
      this.#failures.report(code, failure.message);
      throw failure;
    }
    const old = this.#fd;
    this.#segments = recovered.segments;
    this.#fd = fd;
    this.#first = recovered.prevIndex + 1;
    this.#prevTerm = recovered.prevTerm;
    this.#filesInFlux = false;
    this.#failure = null;
    await this.#io.close(old).catch(() => {});
    try {
      await this.loadCache();
    } catch (err) {
      this.#filesInFlux = true;
      this.#fail(err, "reading the log back after reopening it", this.#dir, 0);
      throw this.#failure;
    }
    this.#log("info", `${this.#dir}: reopened after a write failure; the log holds [${this.#first}, ${this.lastIndex()}]`);
  }

  entries(lo: number, hi: number, maxBytes = Infinity): Promise<LogEntry[]> {
    if (this.#closed) return Promise.reject(new StorageClosedError(`log store ${this.#dir}`));
    const last = this.lastIndex();
    if (lo < this.#first || hi < lo || hi > last + 1) return Promise.reject(rangeError(lo, hi, this.#first, last));
    if (lo >= this.#cache.start) return Promise.resolve(limitBytes(this.#cache.slice(lo, hi), maxBytes));
    // Disk reads take their turn in the queue, so no truncation or compaction
    // removes a segment under them; the range is checked again when they run.
    return new Promise<LogEntry[]>((resolve, reject) => {
      let result: LogEntry[] = [];
      const run = async () => {
        if (this.#filesInFlux) throw this.#failure;
        const last = this.lastIndex();
        if (lo < this.#first || hi > last + 1) throw rangeError(lo, hi, this.#first, last);
        const end = limitByBytes(this.#segments, lo, hi, maxBytes);
        const split = Math.min(end, this.#cache.start);
        const older = await readSegmentRange(this.#io, this.#segments, this.#fd, lo, split);
        result = split < end ? older.concat(this.#cache.slice(split, end)) : older;
      };
      this.#enqueue({ kind: "run", run, resolve: () => resolve(result), reject }, true);
    });
  }

  append(entries: readonly LogEntry[]): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#enqueue({ kind: "append", entries, resolve, reject }));
  }

  truncateSuffix(fromIndex: number): Promise<void> {
    return this.#enqueueRun(() => this.#truncateSuffix(fromIndex));
  }

  compactPrefix(uptoIndex: number): Promise<void> {
    return this.#enqueueRun(() => this.#compactPrefix(uptoIndex));
  }

  reset(prevIndex: number, prevTerm: number): Promise<void> {
    return this.#enqueueRun(() => this.#reset(prevIndex, prevTerm));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await new Promise<void>((resolve) => {
      this.#enqueue({ kind: "run", run: () => Promise.resolve(), resolve, reject: () => resolve() }, true);
    });
    this.#closed = true;
    await this.#io.close(this.#fd).catch(() => {});
  }

  // ---- the operation queue (one thing touches the files at a time) ----

  #enqueueRun(run: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => this.#enqueue({ kind: "run", run, resolve, reject }));
  }

  #enqueue(op: LogOp, evenIfFailed = false): void {
    if (this.#closed) return op.reject(new StorageClosedError(`log store ${this.#dir}`));
    if (this.#failure && !evenIfFailed) return op.reject(this.#failure);
    this.#queue.push(op);
  }

  /** One write + one fdatasync for every batch in `group` (group commit). */
  async #appendGroup(group: AppendOp[]): Promise<void> {
    if (this.#failure) {
      for (const op of group) op.reject(this.#failure);
      return;
    }
    const accepted = appendsToWrite(group, this.lastIndex(), this.term(this.lastIndex()));
    if (accepted.length === 0) return;
    let seg = this.#segments[this.#segments.length - 1];
    const from = accepted[0].entries[0].index;
    try {
      if (seg.size >= this.#segmentBytes && seg.offsets.length > 0) seg = await this.#roll(from);
    } catch (err) {
      this.#fail(err, `starting a new segment for index ${from}`, seg.path, seg.size);
      for (const op of accepted) op.reject(this.#failure);
      return;
    }
    const written = accepted.flatMap((op) => op.entries);
    const run = encodeRun(written, seg.size);
    try {
      await this.#io.writeAll(this.#fd, run.bytes, seg.size);
      if (this.#sync) await this.#io.datasync(this.#fd);
    } catch (err) {
      this.#fail(err, `appending indexes ${from}..${run.entries[run.entries.length - 1].index}`, seg.path, seg.size);
      // Cut whatever part of the batch reached the file; if this fails too, reopen cuts it as a torn tail.
      await this.#io.truncate(this.#fd, seg.size).catch(() => {});
      for (const op of accepted) op.reject(this.#failure);
      return;
    }
    seg.size += run.bytes.byteLength;
    for (let i = 0; i < run.entries.length; i++) {
      seg.offsets.push(run.offsets[i]);
      seg.terms.push(run.entries[i].term);
    }
    // The very entries given (the core holds them too), not views of the encoded run: one copy in memory, not two.
    this.#cache.append(written);
    for (const op of accepted) op.resolve();
  }

  /** Starts a new active segment whose first record will be `baseIndex`. */
  async #roll(baseIndex: number): Promise<Segment> {
    const { segment, fd } = await createSegment(this.#io, this.#dir, baseIndex, this.#sync);
    await this.#io.close(this.#fd).catch(() => {});
    this.#fd = fd;
    this.#segments.push(segment);
    return segment;
  }

  #fail(err: unknown, doing: string, file: string, offset: number): void {
    const code = errorCode(err) || "EIO";
    const why = code === "ENOSPC" ? "the disk is full: free space" : "the disk reported an error: check it";
    this.#failure = new StorageFailedError(
      `log ${doing} failed with ${code} in ${file} at offset ${offset} (${(err as Error)?.message ?? err}). ` +
        `Entries acknowledged before are intact. The log refuses writes until it is reopened: ${why} ` +
        `(a running node reopens it by itself once writes succeed again).`,
      code,
      err,
    );
    this.#failures.report(code, this.#failure.message);
    // Queued appends fail now; queued mutations refuse via #guardWrite; close still runs.
    this.#queue.rejectAppends(this.#failure);
  }

  #guardWrite(): void {
    if (this.#failure) throw this.#failure;
  }

  async #truncateSuffix(fromIndex: number): Promise<void> {
    this.#guardWrite();
    if (fromIndex < this.#first) {
      throw new RangeError(`truncateSuffix(${fromIndex}): below firstIndex ${this.#first} (compacted entries cannot be removed)`);
    }
    if (fromIndex > this.lastIndex()) return;
    try {
      // Newest segments first, so a crash leaves a contiguous log.
      let seg = this.#segments[this.#segments.length - 1];
      while (seg.baseIndex > fromIndex) {
        await this.#io.close(this.#fd).catch(() => {});
        await this.#io.unlink(seg.path);
        this.#segments.pop();
        seg = this.#segments[this.#segments.length - 1];
        this.#fd = await this.#io.open(seg.path, "r+");
      }
      const keep = fromIndex - seg.baseIndex;
      const size = keep < seg.offsets.length ? seg.offsets[keep] : seg.size;
      await this.#io.truncate(this.#fd, size);
      if (this.#sync) {
        await this.#io.datasync(this.#fd);
        await this.#io.syncDir(this.#dir);
      }
      seg.offsets.length = keep;
      seg.terms.length = keep;
      seg.size = size;
    } catch (err) {
      this.#filesInFlux = true;
      this.#fail(err, `truncating from index ${fromIndex}`, this.#dir, 0);
      throw this.#failure;
    }
    this.#cache.truncateFrom(fromIndex);
  }

  async #compactPrefix(uptoIndex: number): Promise<void> {
    this.#guardWrite();
    if (uptoIndex > this.lastIndex()) {
      throw new RangeError(`compactPrefix(${uptoIndex}): beyond lastIndex ${this.lastIndex()}; use reset()`);
    }
    if (uptoIndex < this.#first) return;
    const prevTerm = this.term(uptoIndex);
    try {
      await writeMeta(this.#io, this.#dir, uptoIndex, prevTerm, this.#sync);
      this.#first = uptoIndex + 1;
      this.#prevTerm = prevTerm;
      // Oldest first; never the active segment.
      while (this.#segments.length > 1 && segmentLast(this.#segments[0]) <= uptoIndex) {
        await this.#io.unlink(this.#segments[0].path);
        this.#segments.shift();
      }
      if (this.#sync) await this.#io.syncDir(this.#dir);
    } catch (err) {
      this.#fail(err, `compacting up to index ${uptoIndex}`, this.#dir, 0);
      throw this.#failure;
    }
    this.#cache.dropBefore(this.#first);
  }

  async #reset(prevIndex: number, prevTerm: number): Promise<void> {
    this.#guardWrite();
    if (!Number.isSafeInteger(prevIndex) || !Number.isSafeInteger(prevTerm) || prevIndex < 0 || prevTerm < 0) {
      throw new RangeError(`reset(${prevIndex}, ${prevTerm}): need non-negative integers`);
    }
    try {
      await writeMeta(this.#io, this.#dir, prevIndex, prevTerm, this.#sync);
      await this.#io.close(this.#fd).catch(() => {});
      for (const seg of [...this.#segments].reverse()) await this.#io.unlink(seg.path);
      const { segment, fd } = await createSegment(this.#io, this.#dir, prevIndex + 1, this.#sync);
      this.#segments = [segment];
      this.#fd = fd;
    } catch (err) {
      this.#filesInFlux = true;
      this.#fail(err, `resetting the log to (${prevIndex}, ${prevTerm})`, this.#dir, 0);
      throw this.#failure;
    }
    this.#first = prevIndex + 1;
    this.#prevTerm = prevTerm;
    this.#cache.clear(prevIndex + 1);
  }
}

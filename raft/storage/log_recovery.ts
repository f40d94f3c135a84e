/**
 * Opening a log directory: list the segments, verify every record, cut a
 * torn tail off the newest segment, and refuse (with StorageCorruptError)
 * anything else that is wrong.
 *
 * Directory layout:
 *   <dir>/<baseIndex, 20 digits>.seg   segments, oldest first
 *   <dir>/meta                         {prevIndex, prevTerm}: the compaction point
 */
import * as path from "node:path";
import { decodeChecked, encodeChecked, writeFileAtomic } from "./atomic_file.ts";
import { type StorageLogger, StorageCorruptError } from "./errors.ts";
import type { FileIO } from "./file_io.ts";
import { encodeSegmentHeader, SEGMENT_HEADER_BYTES } from "./record.ts";
import { scanSegment } from "./segment_scan.ts";

/** What the store keeps in memory about one segment file. */
export interface Segment {
  readonly path: string;
  readonly baseIndex: number;
  /** File offset of the record of index baseIndex + i. */
  offsets: number[];
  /** Term of index baseIndex + i. */
  terms: number[];
  /** Bytes of valid content (the file is cut to this). */
  size: number;
}

export interface RecoveredLog {
  /** Oldest first; never empty. The last one is the active (appended-to) segment. */
  readonly segments: Segment[];
  /** The compaction point: entries <= prevIndex are gone. */
  readonly prevIndex: number;
  readonly prevTerm: number;
}

const SEGMENT_NAME = /^(\d{20})\.seg$/;
const TODO_CORRUPT = "The log is damaged before its end, so acknowledged entries could be lost: " +
  "do not delete or edit files by hand; stop this node, move its data directory aside and " +
  "re-add the node so it is re-synced from the cluster (or restore from a snapshot)";

export function segmentPath(dir: string, baseIndex: number): string {
  return path.join(dir, String(baseIndex).padStart(20, "0") + ".seg");
}

export function metaPath(dir: string): string {
  return path.join(dir, "meta");
}

/** Index of the last record in `seg` (baseIndex - 1 when empty). */
export function segmentLast(seg: Segment): number {
  return seg.baseIndex + seg.offsets.length - 1;
}

/** Writes the compaction point atomically. */
export async function writeMeta(io: FileIO, dir: string, prevIndex: number, prevTerm: number, sync: boolean): Promise<void> {
  await writeFileAtomic(io, metaPath(dir), encodeChecked({ prevIndex, prevTerm }), sync);
}

/** Creates an empty segment (header only) and makes it durable; returns it with an open fd. */
export async function createSegment(
  io: FileIO,
  dir: string,
  baseIndex: number,
  sync: boolean,
): Promise<{ segment: Segment; fd: number }> {
  const file = segmentPath(dir, baseIndex);
  const fd = await io.open(file, "w+");
  try {
    await io.writeAll(fd, encodeSegmentHeader(baseIndex), 0);
    if (sync) {
      await io.datasync(fd);
      await io.syncDir(dir);
    }
  } catch (err) {
    await io.close(fd).catch(() => {});
    throw err;
  }
  return { segment: { path: file, baseIndex, offsets: [], terms: [], size: SEGMENT_HEADER_BYTES }, fd };
}

async function readMeta(io: FileIO, dir: string): Promise<{ prevIndex: number; prevTerm: number }> {
  const file = metaPath(dir);
  if (!(await io.exists(file))) return { prevIndex: 0, prevTerm: 0 };
  const value = decodeChecked(await io.readFile(file), file) as { prevIndex?: unknown; prevTerm?: unknown };
  if (!Number.isSafeInteger(value.prevIndex) || !Number.isSafeInteger(value.prevTerm)) {
    throw new StorageCorruptError(file, 0, "meta lacks prevIndex/prevTerm", TODO_CORRUPT);
  }
  return { prevIndex: value.prevIndex as number, prevTerm: value.prevTerm as number };
}

/** Opens and verifies `dir`, repairing only a torn tail. */
export async function recoverLog(io: FileIO, dir: string, logger: StorageLogger, sync: boolean): Promise<RecoveredLog> {
  await io.mkdirp(dir);
  const names = await io.readdir(dir);
  for (const name of names) {
    if (name.endsWith(".tmp")) await io.unlink(path.join(dir, name));
  }
  const { prevIndex, prevTerm } = await readMeta(io, dir);
  const segFiles = names.filter((n) => SEGMENT_NAME.test(n)).sort();
  let segments: Segment[] = [];
  for (let i = 0; i < segFiles.length; i++) {
    const file = path.join(dir, segFiles[i]);
    const isLast = i === segFiles.length - 1;
    const bytes = await io.readFile(file);
    const result = scanSegment(bytes, isLast);
    if (result.kind === "empty-torn") {
      logger("warn", `${file}: segment header is incomplete (${bytes.byteLength} bytes, interrupted creation); removing it`);
      await io.unlink(file);
      if (sync) await io.syncDir(dir);
      continue;
    }
    if (result.kind === "corrupt") throw new StorageCorruptError(file, result.offset, result.reason, TODO_CORRUPT);
    const scan = result.scan;
    const nameBase = Number(SEGMENT_NAME.exec(segFiles[i])![1]);
    if (scan.baseIndex !== nameBase) {
      throw new StorageCorruptError(file, 8, `header says base index ${scan.baseIndex}, file name says ${nameBase}`, TODO_CORRUPT);
    }
    const prev = segments[segments.length - 1];
    if (prev && segmentLast(prev) + 1 !== scan.baseIndex) {
      throw new StorageCorruptError(
        file,
        0,
        `index gap: previous segment ${path.basename(prev.path)} ends at index ${segmentLast(prev)} but this one starts at ${scan.baseIndex} (a segment is missing or truncated)`,
        TODO_CORRUPT,
      );
    }
    if (prev && prev.terms.length > 0 && scan.terms.length > 0 && scan.terms[0] < prev.terms[prev.terms.length - 1]) {
      throw new StorageCorruptError(file, scan.offsets[0], "term went backwards across segments", TODO_CORRUPT);
    }
    if (scan.tornReason !== null) {
      logger("warn", `${file}: cutting torn tail at offset ${scan.validEnd} of ${bytes.byteLength} (${scan.tornReason}); ` +
        `last intact index is ${scan.baseIndex + scan.offsets.length - 1}`);
      const fd = await io.open(file, "r+");
      try {
        await io.truncate(fd, scan.validEnd);
        if (sync) await io.datasync(fd);
      } finally {
        await io.close(fd);
      }
    }
    segments.push({ path: file, baseIndex: scan.baseIndex, offsets: scan.offsets, terms: scan.terms, size: scan.validEnd });
  }
  if (segments.length > 0) {
    const first = segments[0];
    const last = segments[segments.length - 1];
    if (first.baseIndex > prevIndex + 1) {
      throw new StorageCorruptError(
        first.path,
        0,
        `entries ${prevIndex + 1}..${first.baseIndex - 1} are missing (the oldest segment starts at ${first.baseIndex}, the compaction point is ${prevIndex})`,
        TODO_CORRUPT,
      );
    }
    const lastIdx = segmentLast(last);
    const stale = lastIdx < prevIndex || (prevIndex > 0 && prevIndex >= first.baseIndex && termIn(segments, prevIndex) !== prevTerm);
    if (stale) {
      logger("warn", `${dir}: log does not continue from the compaction point (${prevIndex}, term ${prevTerm}); finishing an interrupted reset`);
      for (const seg of [...segments].reverse()) await io.unlink(seg.path);
      segments = [];
    }
  }
  if (segments.length === 0) {
    const { segment, fd } = await createSegment(io, dir, prevIndex + 1, sync);
    await io.close(fd);
    segments.push(segment);
  }
  return { segments, prevIndex, prevTerm };
}

function termIn(segments: Segment[], index: number): number {
  for (const seg of segments) {
    const i = index - seg.baseIndex;
    if (i >= 0 && i < seg.terms.length) return seg.terms[i];
  }
  return -1;
}

/** Reading records back from segment files (for entries older than the in-memory cache). */
import type { LogEntry } from "../log_entry.ts";
import { StorageCorruptError } from "./errors.ts";
import { type FileIO, readExact } from "./file_io.ts";
import { type Segment, segmentLast } from "./log_recovery.ts";
import { decodeRecord, RECORD_HEADER_BYTES } from "./record.ts";

/** The segment holding `index` (binary search; segments are sorted and contiguous). */
export function segmentOf(segments: readonly Segment[], index: number): Segment {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid].baseIndex <= index) lo = mid;
    else hi = mid - 1;
  }
  return segments[lo];
}

/** Largest hi' <= hi such that entries [lo, hi') carry at most maxBytes of data (at least one entry). */
export function limitByBytes(segments: readonly Segment[], lo: number, hi: number, maxBytes: number): number {
  if (!Number.isFinite(maxBytes)) return hi;
  let total = 0;
  for (let index = lo; index < hi; index++) {
    const seg = segmentOf(segments, index);
    const i = index - seg.baseIndex;
    const end = i + 1 < seg.offsets.length ? seg.offsets[i + 1] : seg.size;
    total += end - seg.offsets[i] - RECORD_HEADER_BYTES;
    if (total > maxBytes && index > lo) return index;
  }
  return hi;
}

/**
 * Reads entries [lo, hi) from disk: one read per segment, every checksum verified.
 * `activeFd` is the open fd of the last segment; older ones are opened and closed here.
 */
export async function readSegmentRange(
  io: FileIO,
  segments: readonly Segment[],
  activeFd: number,
  lo: number,
  hi: number,
): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  let index = lo;
  while (index < hi) {
    const seg = segmentOf(segments, index);
    const upto = Math.min(hi, segmentLast(seg) + 1);
    const start = seg.offsets[index - seg.baseIndex];
    const end = upto - seg.baseIndex < seg.offsets.length ? seg.offsets[upto - seg.baseIndex] : seg.size;
    const active = seg === segments[segments.length - 1];
    const fd = active ? activeFd : await io.open(seg.path, "r");
    let bytes: Uint8Array;
    try {
      bytes = await readExact(io, fd, end - start, start, seg.path);
    } finally {
      if (!active) await io.close(fd);
    }
    let at = 0;
    for (; index < upto; index++) {
      const rec = decodeRecord(bytes, at);
      if (rec.kind !== "ok" || rec.entry.index !== index) {
        const why = rec.kind === "ok" ? `expected index ${index}, found ${rec.entry.index}` : rec.kind === "bad" ? rec.reason : "record is incomplete";
        throw new StorageCorruptError(
          seg.path,
          start + at,
          `read of index ${index} failed: ${why}`,
          "The file changed on disk after it was verified at open; stop the node and check the disk",
        );
      }
      out.push(rec.entry);
      at = rec.end;
    }
  }
  return out;
}

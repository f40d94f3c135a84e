/**
 * Verifies the bytes of one segment file and decides what a bad spot means.
 * Pure: no I/O.
 *
 * A crash can only tear the end of the newest segment (older segments were
 * synced before the next one was started), so a bad or short record is
 * treated as a torn tail only when it is in the last segment AND no valid
 * later record follows it anywhere in the file. Everything else is
 * corruption, reported with the offset, never silently dropped.
 */
import {
  decodeRecord,
  decodeSegmentHeader,
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
} from "./record.ts";

export interface SegmentScan {
  /** Base index from the header (index of the first record). */
  readonly baseIndex: number;
  /** File offset of each valid record, in index order from baseIndex. */
  readonly offsets: number[];
  /** Term of each valid record. */
  readonly terms: number[];
  /** Offset just past the last valid record. */
  readonly validEnd: number;
  /** Set when bytes after validEnd are a torn tail that may be cut. */
  readonly tornReason: string | null;
}

export type ScanResult =
  | { readonly kind: "ok"; readonly scan: SegmentScan }
  /** The header itself is short: an interrupted segment creation (last segment only). */
  | { readonly kind: "empty-torn" }
  | { readonly kind: "corrupt"; readonly offset: number; readonly reason: string };

/**
 * Scans a whole segment.
 * @param bytes the entire file
 * @param isLast whether this is the newest segment (the only one a crash may tear)
 */
export function scanSegment(bytes: Uint8Array, isLast: boolean): ScanResult {
  const header = decodeSegmentHeader(bytes);
  if (header.kind === "incomplete") {
    return isLast
      ? { kind: "empty-torn" }
      : { kind: "corrupt", offset: bytes.byteLength, reason: "segment header is truncated" };
  }
  if (header.kind === "bad") return { kind: "corrupt", offset: 0, reason: header.reason };
  const offsets: number[] = [];
  const terms: number[] = [];
  let at = SEGMENT_HEADER_BYTES;
  let expected = header.baseIndex;
  let lastTerm = 0;
  while (at < bytes.byteLength) {
    const rec = decodeRecord(bytes, at, false);
    if (rec.kind === "ok") {
      if (rec.entry.index !== expected) {
        return { kind: "corrupt", offset: at, reason: `index gap: expected index ${expected}, found ${rec.entry.index}` };
      }
      if (rec.entry.term < lastTerm) {
        return { kind: "corrupt", offset: at, reason: `term went backwards at index ${expected}: ${rec.entry.term} < ${lastTerm}` };
      }
      offsets.push(at);
      terms.push(rec.entry.term);
      lastTerm = rec.entry.term;
      expected++;
      at = rec.end;
      continue;
    }
    const reason = rec.kind === "bad" ? rec.reason : `record is incomplete (needs ${rec.needed} bytes, ${bytes.byteLength - at} left)`;
    if (!isLast) return { kind: "corrupt", offset: at, reason };
    const later = findLaterRecord(bytes, at + 1, expected);
    if (later >= 0) {
      return { kind: "corrupt", offset: at, reason: `${reason}; valid records follow at offset ${later}` };
    }
    return { kind: "ok", scan: { baseIndex: header.baseIndex, offsets, terms, validEnd: at, tornReason: reason } };
  }
  return { kind: "ok", scan: { baseIndex: header.baseIndex, offsets, terms, validEnd: at, tornReason: null } };
}

/**
 * Looks for any checksum-valid record with index >= `minIndex` starting at
 * or after `from`. Returns its offset or -1. Only runs when a bad spot is
 * found in the last segment, so a byte-by-byte search is acceptable.
 */
export function findLaterRecord(bytes: Uint8Array, from: number, minIndex: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const maxIndex = minIndex + Math.ceil(bytes.byteLength / RECORD_HEADER_BYTES);
  for (let at = from; at + RECORD_HEADER_BYTES <= bytes.byteLength; at++) {
    if (view.getUint32(at + 12, true) !== 0 && maxIndex < 0x100000000) continue; // index high word
    const index = view.getUint32(at + 8, true) + view.getUint32(at + 12, true) * 0x100000000;
    if (index < minIndex || index > maxIndex) continue;
    const rec = decodeRecord(bytes, at, false);
    if (rec.kind === "ok") return at;
  }
  return -1;
}

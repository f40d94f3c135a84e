/**
 * The on-disk record format of the Raft log. Pure: bytes in, values out,
 * no I/O. Every multi-byte number is little-endian.
 *
 * Segment file = header, then records back to back.
 *
 *   header (24 bytes): magic "UHLG" | version u32 = 1 | baseIndex u64 |
 *                      reserved u32 = 0 | crc32c(bytes 0..20) u32
 *   record (25 + n):   crc32c(bytes 4..end) u32 | length n u32 | index u64 |
 *                      term u64 | kind u8 | data (n bytes)
 */
import { crc32c } from "./crc32c.ts";
import type { EntryKind, LogEntry } from "../log_entry.ts";

export const SEGMENT_HEADER_BYTES = 24;
export const RECORD_HEADER_BYTES = 25;
/** Largest payload a record may carry (guards against a corrupt length). */
export const MAX_RECORD_DATA_BYTES = 0x40000000; // 1 GiB
const MAGIC = 0x474c4855; // "UHLG" read as little-endian u32
const VERSION = 1;
const TWO_32 = 0x100000000;

function putU64(view: DataView, at: number, n: number): void {
  view.setUint32(at, n % TWO_32, true);
  view.setUint32(at + 4, Math.floor(n / TWO_32), true);
}

function getU64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * TWO_32;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Bytes that `entry` occupies on disk. */
export function recordSize(entry: LogEntry): number {
  return RECORD_HEADER_BYTES + entry.data.byteLength;
}

/**
 * Writes one record for `entry` into `out` at `at`.
 * @returns the offset just past the record
 */
export function encodeRecordInto(out: Uint8Array, at: number, entry: LogEntry): number {
  const view = viewOf(out);
  const n = entry.data.byteLength;
  view.setUint32(at + 4, n, true);
  putU64(view, at + 8, entry.index);
  putU64(view, at + 16, entry.term);
  out[at + 24] = entry.kind;
  out.set(entry.data, at + RECORD_HEADER_BYTES);
  const end = at + RECORD_HEADER_BYTES + n;
  view.setUint32(at, crc32c(0, out, at + 4, end), true);
  return end;
}

/** Encodes a batch of entries as one contiguous run of records. */
export function encodeRecords(entries: readonly LogEntry[]): Uint8Array {
  let total = 0;
  for (const e of entries) total += recordSize(e);
  const out = new Uint8Array(total);
  let at = 0;
  for (const e of entries) at = encodeRecordInto(out, at, e);
  return out;
}

/** A run of records as it goes into a segment: its bytes, where each record starts, the entries they hold. */
export interface EncodedRun {
  readonly bytes: Uint8Array;
  /** File offset of each record (`fileOffset` plus its place in `bytes`). */
  readonly offsets: number[];
  /** The entries, their data viewing `bytes` (so a cache of them holds no caller's buffer). */
  readonly entries: LogEntry[];
}

/** Encodes `entries` as one contiguous run of records to be written at `fileOffset`. */
export function encodeRun(entries: readonly LogEntry[], fileOffset: number): EncodedRun {
  const bytes = new Uint8Array(entries.reduce((sum, e) => sum + recordSize(e), 0));
  const offsets: number[] = [];
  const stored: LogEntry[] = [];
  let at = 0;
  for (const e of entries) {
    offsets.push(fileOffset + at);
    const end = encodeRecordInto(bytes, at, e);
    stored.push({ index: e.index, term: e.term, kind: e.kind, data: bytes.subarray(end - e.data.byteLength, end) });
    at = end;
  }
  return { bytes, offsets, entries: stored };
}

/** Result of decoding the record that starts at some offset. */
export type DecodedRecord =
  | { readonly kind: "ok"; readonly entry: LogEntry; readonly end: number }
  /** The bytes end before the record does (a torn write, or a truncated file). */
  | { readonly kind: "incomplete"; readonly needed: number }
  /** The record is complete but wrong: checksum mismatch or impossible fields. */
  | { readonly kind: "bad"; readonly reason: string };

/**
 * Decodes the record at `at` in `bytes`. The returned entry's data is a
 * copy when `copy` is true, else a view into `bytes`.
 */
export function decodeRecord(bytes: Uint8Array, at: number, copy = true): DecodedRecord {
  const avail = bytes.byteLength - at;
  if (avail < RECORD_HEADER_BYTES) return { kind: "incomplete", needed: RECORD_HEADER_BYTES };
  const view = viewOf(bytes);
  const n = view.getUint32(at + 4, true);
  if (n > MAX_RECORD_DATA_BYTES) return { kind: "bad", reason: `record length ${n} exceeds the 1 GiB limit` };
  const end = at + RECORD_HEADER_BYTES + n;
  if (end > bytes.byteLength) return { kind: "incomplete", needed: RECORD_HEADER_BYTES + n };
  const want = view.getUint32(at, true);
  const got = crc32c(0, bytes, at + 4, end);
  if (want !== got) return { kind: "bad", reason: `checksum mismatch (stored ${hex(want)}, computed ${hex(got)})` };
  const kind = bytes[at + 24];
  if (kind > 2) return { kind: "bad", reason: `unknown entry kind ${kind}` };
  const index = getU64(view, at + 8);
  const term = getU64(view, at + 16);
  const body = bytes.subarray(at + RECORD_HEADER_BYTES, end);
  return {
    kind: "ok",
    entry: { index, term, kind: kind as EntryKind, data: copy ? body.slice() : body },
    end,
  };
}

function hex(n: number): string {
  return "0x" + n.toString(16).padStart(8, "0");
}

/** Encodes a segment header for a segment whose first record has `baseIndex`. */
export function encodeSegmentHeader(baseIndex: number): Uint8Array {
  const out = new Uint8Array(SEGMENT_HEADER_BYTES);
  const view = viewOf(out);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, VERSION, true);
  putU64(view, 8, baseIndex);
  view.setUint32(16, 0, true);
  view.setUint32(20, crc32c(0, out, 0, 20), true);
  return out;
}

/** Decodes a segment header, or says why it is not one. */
export function decodeSegmentHeader(
  bytes: Uint8Array,
): { readonly kind: "ok"; readonly baseIndex: number } | { readonly kind: "incomplete" } | {
  readonly kind: "bad";
  readonly reason: string;
} {
  if (bytes.byteLength < SEGMENT_HEADER_BYTES) return { kind: "incomplete" };
  const view = viewOf(bytes);
  if (view.getUint32(0, true) !== MAGIC) return { kind: "bad", reason: "not a uhaha log segment (bad magic)" };
  if (view.getUint32(20, true) !== crc32c(0, bytes, 0, 20)) return { kind: "bad", reason: "segment header checksum mismatch" };
  const version = view.getUint32(4, true);
  if (version !== VERSION) return { kind: "bad", reason: `unsupported segment version ${version}` };
  return { kind: "ok", baseIndex: getU64(view, 8) };
}

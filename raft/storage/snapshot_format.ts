/**
 * The snapshot file format. Pure: no I/O. One self-contained file, so the
 * same bytes are stored, served by range (RAFT SNAPSHOT READ), streamed to
 * followers in chunks, and accepted by --restore.
 *
 *   "UHSNAP01" | metaLength u32 | meta JSON (UTF-8) | gzip(app bytes) |
 *   crc32c(all bytes before the trailer) u32 | "SEND"
 */
import { type MembershipConfig, membershipConfigProblem } from "../membership_config.ts";

/** What a snapshot says about itself (the header). */
export interface SnapshotMeta {
  /** Index of the last log entry the snapshot covers. */
  readonly index: number;
  /** Term of that entry. */
  readonly term: number;
  /** Cluster configuration as of `index`. */
  readonly config: MembershipConfig;
  /** The machine's deterministic time (ms since the epoch) as of `index`. */
  readonly time: number;
  /** The machine's random seed as of `index` (opaque to storage). */
  readonly seed: string;
}

const MAGIC = new TextEncoder().encode("UHSNAP01");
const END = new TextEncoder().encode("SEND");
export const SNAPSHOT_TRAILER_BYTES = 8;
/** Refuse headers larger than this (a corrupt length). */
const MAX_META_BYTES = 64 * 1024 * 1024;

/** Returns the problem with `meta`, or null. */
export function snapshotMetaProblem(meta: unknown): string | null {
  if (typeof meta !== "object" || meta === null) return "meta must be an object";
  const m = meta as Record<string, unknown>;
  if (!Number.isSafeInteger(m.index) || (m.index as number) < 0) return `index must be a non-negative integer, got ${m.index}`;
  if (!Number.isSafeInteger(m.term) || (m.term as number) < 0) return `term must be a non-negative integer, got ${m.term}`;
  if (typeof m.time !== "number" || !Number.isFinite(m.time)) return `time must be a number, got ${m.time}`;
  if (typeof m.seed !== "string") return "seed must be a string";
  const config = membershipConfigProblem(m.config);
  if (config) return `config: ${config}`;
  return null;
}

/** Magic, length and meta JSON. */
export function encodeSnapshotHeader(meta: SnapshotMeta): Uint8Array {
  const problem = snapshotMetaProblem(meta);
  if (problem) throw new TypeError(`invalid snapshot meta: ${problem}`);
  const json = new TextEncoder().encode(
    JSON.stringify({ index: meta.index, term: meta.term, config: meta.config, time: meta.time, seed: meta.seed }),
  );
  const out = new Uint8Array(MAGIC.length + 4 + json.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, json.length, true);
  out.set(json, MAGIC.length + 4);
  return out;
}

export type HeaderResult =
  | { readonly kind: "ok"; readonly meta: SnapshotMeta; readonly dataOffset: number }
  | { readonly kind: "incomplete"; readonly needed: number }
  | { readonly kind: "bad"; readonly reason: string };

/** Decodes the header from the first bytes of a snapshot file. */
export function decodeSnapshotHeader(bytes: Uint8Array): HeaderResult {
  const fixed = MAGIC.length + 4;
  if (bytes.length < fixed) return { kind: "incomplete", needed: fixed };
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) return { kind: "bad", reason: "not a uhaha snapshot (bad magic)" };
  }
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(MAGIC.length, true);
  if (n > MAX_META_BYTES) return { kind: "bad", reason: `header length ${n} is implausible` };
  if (bytes.length < fixed + n) return { kind: "incomplete", needed: fixed + n };
  let meta: unknown;
  try {
    meta = JSON.parse(new TextDecoder().decode(bytes.subarray(fixed, fixed + n)));
  } catch (err) {
    return { kind: "bad", reason: `header is not JSON (${(err as Error).message})` };
  }
  const problem = snapshotMetaProblem(meta);
  if (problem) return { kind: "bad", reason: `header: ${problem}` };
  return { kind: "ok", meta: meta as SnapshotMeta, dataOffset: fixed + n };
}

export function encodeSnapshotTrailer(crc: number): Uint8Array {
  const out = new Uint8Array(SNAPSHOT_TRAILER_BYTES);
  new DataView(out.buffer).setUint32(0, crc, true);
  out.set(END, 4);
  return out;
}

/** The stored checksum from the last 8 bytes of a file, or why they are not a trailer. */
export function decodeSnapshotTrailer(trailer: Uint8Array): { kind: "ok"; crc: number } | { kind: "bad"; reason: string } {
  if (trailer.length !== SNAPSHOT_TRAILER_BYTES) return { kind: "bad", reason: "file too short for a trailer" };
  for (let i = 0; i < END.length; i++) {
    if (trailer[4 + i] !== END[i]) return { kind: "bad", reason: "missing end marker (the file is truncated or not a snapshot)" };
  }
  return { kind: "ok", crc: new DataView(trailer.buffer, trailer.byteOffset, 8).getUint32(0, true) };
}

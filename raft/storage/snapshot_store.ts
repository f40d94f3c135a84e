/**
 * The snapshot seam. Two implementations: FileSnapshotStore (production)
 * and MemorySnapshotStore (tests, simulation); both store the same
 * self-contained snapshot file format (snapshot_format.ts).
 */
import type { SnapshotMeta } from "./snapshot_format.ts";

export type { SnapshotMeta } from "./snapshot_format.ts";

/** A stored snapshot: its metadata plus where and how big. */
export interface SnapshotInfo extends SnapshotMeta {
  /** "<term>-<index>-<createdMs>", the directory name. */
  readonly id: string;
  /** When this node stored it (ms since the epoch). */
  readonly createdMs: number;
  /** Size of the snapshot file in bytes (what readRange and chunked install address). */
  readonly size: number;
}

/** Writes a new snapshot from the app's bytes. Nothing is visible until commit() resolves. */
export interface SnapshotSink {
  /** Compresses and writes more of the app's bytes. */
  write(appBytes: Uint8Array): Promise<void>;
  /** Finishes, syncs, renames into place, applies retention. */
  commit(): Promise<SnapshotInfo>;
  /** Drops the partial snapshot. */
  abort(): Promise<void>;
}

/** Receives a snapshot file streamed in chunks from a leader. */
export interface SnapshotInstall {
  /** Appends the chunk at `offset`, which must equal the bytes received so far. */
  write(offset: number, chunk: Uint8Array): Promise<void>;
  /** Verifies the whole file (checksum, header, decompression, expected index/term), then puts it in place. */
  commit(): Promise<SnapshotInfo>;
  abort(): Promise<void>;
}

export interface SnapshotReader {
  readonly info: SnapshotInfo;
  /** Path of the snapshot file (for RAFT SNAPSHOT FILE). */
  readonly file: string;
  /** Raw file bytes [start, end), clamped to the file (RAFT SNAPSHOT READ ... RANGE, chunks to followers). */
  readRange(start: number, end: number): Promise<Uint8Array>;
  /** The app's bytes, decompressed, in one piece. */
  readData(): Promise<Uint8Array>;
  /** The app's bytes, decompressed, as a stream of chunks (for restoring big snapshots without holding them whole). */
  readDataChunks(): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}

export interface SnapshotStore {
  /** Starts writing a snapshot with this metadata. */
  create(meta: SnapshotMeta): Promise<SnapshotSink>;
  /** Stored snapshots, newest (highest index, then term, then creation time) first. */
  list(): Promise<SnapshotInfo[]>;
  /** Opens one for reading; it stays readable even if retention deletes it meanwhile. */
  open(id: string): Promise<SnapshotReader>;
  /** Starts receiving a snapshot file in chunks; `expect` is what the leader announced. */
  beginInstall(expect?: { index: number; term: number }): Promise<SnapshotInstall>;
  /** Copies a snapshot file (e.g. --restore file) into the store, verified like an install. */
  importFile(file: string): Promise<SnapshotInfo>;
}

/** Sort order of list(): highest index, then term, then newest creation first. */
export function newestFirst(a: SnapshotInfo, b: SnapshotInfo): number {
  return b.index - a.index || b.term - a.term || b.createdMs - a.createdMs || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** "<term>-<index>-<createdMs>", with "-<n>" added while `taken(id)` says it exists. */
export async function newSnapshotId(meta: SnapshotMeta, createdMs: number, taken: (id: string) => Promise<boolean>): Promise<string> {
  const base = `${meta.term}-${meta.index}-${createdMs}`;
  let id = base;
  for (let n = 2; await taken(id); n++) id = `${base}-${n}`;
  return id;
}

/** The creation time encoded in an id (0 if none). */
export function createdMsOf(id: string): number {
  return Number(id.split("-")[2]) || 0;
}

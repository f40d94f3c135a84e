/**
 * Durable storage of a uhaha node: the Raft log, the stable state and the
 * snapshots. Pure TypeScript on node:fs, identical on Node 20+ and Deno 2.
 *
 * Suggested layout under the node's `-d dir`:
 *
 *   <dir>/log/          FileLogStore: <baseIndex, 20 digits>.seg segments + meta
 *   <dir>/stable        FileStableStore: term, vote, node id, cluster config
 *   <dir>/snapshots/    FileSnapshotStore: <term>-<index>-<ms>/snapshot
 *   <dir>/lock          lockDirectory: the one process that owns <dir> (dir_lock.ts)
 *
 * Guarantees
 * - Log: every record carries length, CRC-32C, index, term and kind. A batch
 *   of appends is one write + one fdatasync (group commit: appends arriving
 *   while a sync is in flight share the next one). An append resolves only
 *   once it is durable; readers only ever see durable entries. On open every
 *   segment is verified: a torn tail of the newest segment (what a crash
 *   mid-write leaves, i.e. no valid record after the bad spot) is cut and
 *   logged; anything else (bad checksum with valid records after it, a gap
 *   in indexes, a missing or truncated older segment) fails with
 *   StorageCorruptError naming the file and offset.
 * - ENOSPC/EIO: the failing append rejects with StorageFailedError; bytes
 *   of the failed batch are cut again; the log refuses all writes (reads
 *   still work) until it is reopened. After a failed fdatasync the page
 *   cache cannot be trusted, hence no retry in place.
 * - Stable state and the log's compaction point: temp file, fsync, rename,
 *   fsync of the directory.
 * - Snapshots: written into a temp dir, fsynced, renamed into place; a
 *   crash leaves only a temp dir, removed on the next open. Newest 3 kept.
 *   One self-contained file per snapshot (header, gzip data, CRC trailer),
 *   so range reads, chunked install and --restore all use the same bytes.
 *   An install is fully verified before it replaces anything.
 * - One process per directory: `lockDirectory` is taken before anything in
 *   it is read, held until exit, and taken over once its holder is gone.
 * - Directories are created one component at a time (`makeDirectories`), so
 *   an impossible path fails at once instead of spinning in a recursive mkdir.
 * - `nosync`: no fsync/fdatasync anywhere; still correct across a process
 *   crash (the kernel keeps the page cache), but a power loss or OS crash
 *   may lose acknowledged writes — the documented risk of uhaha's --nosync.
 *
 * @example
 * ```ts
 * import { openFileLogStore, openFileStableStore, openFileSnapshotStore } from "./raft/storage/mod.ts";
 * const log = await openFileLogStore("data/log");
 * await log.append([{ index: log.lastIndex() + 1, term: 1, kind: 1, data: new Uint8Array() }]);
 * const stable = await openFileStableStore("data/stable");
 * await stable.update({ currentTerm: 1, votedFor: 1 });
 * const snaps = await openFileSnapshotStore("data/snapshots");
 * const config = { members: [{ id: 1, address: "127.0.0.1:11001", voter: true }] };
 * const sink = await snaps.create({ index: 1, term: 1, config, time: Date.now(), seed: "0" });
 * await sink.write(new TextEncoder().encode("{}"));
 * await sink.commit();
 * ```
 *
 * @module
 */
export type { LogStore } from "./log_store.ts";
export { MemoryLogStore } from "./memory_log_store.ts";
export { FileLogStore, type FileLogStoreOptions, openFileLogStore } from "./file_log_store.ts";
export {
  EMPTY_STABLE_STATE,
  FileStableStore,
  type FileStableStoreOptions,
  MemoryStableStore,
  openFileStableStore,
  type StableState,
  type StableStatePatch,
  type StableStore,
} from "./stable_store.ts";
export type {
  SnapshotInfo,
  SnapshotInstall,
  SnapshotMeta,
  SnapshotReader,
  SnapshotSink,
  SnapshotStore,
} from "./snapshot_store.ts";
export { FileSnapshotStore, type FileSnapshotStoreOptions, openFileSnapshotStore } from "./file_snapshot_store.ts";
export { MemorySnapshotStore } from "./memory_snapshot_store.ts";
export {
  defaultStorageLogger,
  StorageClosedError,
  StorageCorruptError,
  StorageFailedError,
  type StorageLogger,
} from "./errors.ts";
export { asyncNodeFileIO, type Fd, type FileIO, nodeFileIO } from "./file_io.ts";
export { DirLockedError, type DirLock, isHolderAlive, lockDirectory, type LockHolder } from "./dir_lock.ts";
export { makeDirectories } from "./make_directories.ts";

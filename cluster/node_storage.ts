/**
 * A node's files under `<dir>/<app>/<id>/`: the directory lock first (one
 * process per node directory), then owner-only modes on everything in it
 * (files older versions left readable by others are tightened, with a
 * warning), then the stable store, the log and the snapshot store; `--restore` imports a snapshot as a new one-node cluster.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import type { MembershipConfig } from "../raft/core/types.ts";
import { type DirLock, lockDirectory } from "../raft/storage/dir_lock.ts";
import type { FileIO } from "../raft/storage/file_io.ts";
import { makeOwnerOnly } from "../raft/storage/owner_only.ts";
import type { FileLogStore } from "../raft/storage/file_log_store.ts";
import { openFileLogStore, openFileSnapshotStore, openFileStableStore } from "../raft/storage/mod.ts";
import type { SnapshotStore } from "../raft/storage/snapshot_store.ts";
import type { StableStore } from "../raft/storage/stable_store.ts";
import type { Logger } from "../raft/logger.ts";

export interface NodeStorage {
  readonly dir: string;
  /** True when the directory already held a node (it belongs to a cluster). */
  readonly existed: boolean;
  readonly stable: StableStore;
  readonly log: FileLogStore;
  readonly snapshots: SnapshotStore;
  /** Where snapshot files live (RAFT SNAPSHOT FILE answers paths in it). */
  readonly snapshotDir: string;
  /** Closes the stores and releases the directory. */
  close(): Promise<void>;
}

export async function openNodeStorage(
  dir: string,
  options: { readonly nosync: boolean; readonly restoring: boolean; readonly reset: boolean; readonly log: Logger; readonly logIO?: FileIO },
): Promise<NodeStorage> {
  // This process owns the directory before anything in it is read (see raft/storage/dir_lock.ts).
  const lock: DirLock = await lockDirectory(dir);
  try {
    if (options.reset) wipeNodeDirectory(dir, options.log);
    const existed = existsSync(path.join(dir, "stable.json"));
    const loosened = await makeOwnerOnly(dir);
    if (loosened.length > 0) {
      options.log.warn(`${dir}: made ${loosened.length} file(s)/director(ies) owner-only (0600/0700); others could read them (left by an older version?)`);
    }
    if (options.restoring && existed) {
      throw new Error(`--restore refused: ${dir} already holds a node's data; move it away or use another -d`);
    }
    const logger = (level: string, message: string) => (level === "info" ? options.log.info(message) : options.log.warn(message));
    const nosync = options.nosync;
    const stable = await openFileStableStore(path.join(dir, "stable.json"), { nosync, logger });
    const log = await openFileLogStore(logDirOf(dir), { nosync, logger, io: options.logIO });
    const snapshotDir = path.join(dir, "snapshots");
    const snapshots = await openFileSnapshotStore(snapshotDir, { nosync, logger });
    return {
      dir,
      existed,
      stable,
      log,
      snapshots,
      snapshotDir,
      close: async () => {
        await log.close();
        await stable.close();
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** The Raft log's directory in a node directory. */
export function logDirOf(nodeDir: string): string {
  return path.join(nodeDir, "log");
}

/** `--reset`: everything in the node's directory goes, but the lock this process holds. */
function wipeNodeDirectory(dir: string, log: Logger): void {
  const entries = readdirSync(dir).filter((name) => name !== "lock" && !name.startsWith("lock."));
  for (const name of entries) rmSync(path.join(dir, name), { recursive: true, force: true });
  log.info(entries.length > 0 ? `--reset: wiped this node's data in ${dir}` : `--reset: ${dir} held no data`);
}

/** Stores the snapshot in `file` as the state of a new one-node cluster of `self`. */
export async function importRestoreSnapshot(snapshots: SnapshotStore, file: string, self: MembershipConfig, log: Logger): Promise<void> {
  const imported = await snapshots.importFile(file);
  const reader = await snapshots.open(imported.id);
  const data = await reader.readData();
  await reader.close();
  const sink = await snapshots.create({ ...imported, config: self });
  await sink.write(data);
  await sink.commit();
  log.info(`restored snapshot ${imported.id} from ${file}`);
}

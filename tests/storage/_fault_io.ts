/** A FileIO wrapper for tests: counts calls, injects errno failures, can hold syncs. */
import { type FileIO, nodeFileIO } from "../../raft/storage/file_io.ts";

export type FaultOp = "writeAll" | "datasync" | "fsync" | "open" | "rename" | "truncate" | "syncDir" | "read";

export interface FaultIO extends FileIO {
  readonly counts: Record<FaultOp, number>;
  /** The next `op` call (optionally only for paths containing `match`) fails with errno `code`. */
  failNext(op: FaultOp, code: string, options?: { match?: string; partial?: boolean }): void;
  /** Holds every datasync until release() is called; resolves when the first one is waiting. */
  holdSyncs(): { waiting: Promise<void>; release: () => void };
}

export function faultIO(base: FileIO = nodeFileIO): FaultIO {
  const counts: Record<FaultOp, number> = { writeAll: 0, datasync: 0, fsync: 0, open: 0, rename: 0, truncate: 0, syncDir: 0, read: 0 };
  const faults: { op: FaultOp; code: string; match?: string; partial?: boolean }[] = [];
  let hold: { gate: Promise<void>; arrived: () => void } | null = null;
  const paths = new Map<number, string>();

  function take(op: FaultOp, where: string): { code: string; partial?: boolean } | null {
    counts[op]++;
    const i = faults.findIndex((f) => f.op === op && (!f.match || where.includes(f.match)));
    if (i < 0) return null;
    return faults.splice(i, 1)[0];
  }
  function errno(code: string, op: string, where: string): Error {
    return Object.assign(new Error(`${code}: injected failure, ${op} '${where}'`), { code });
  }

  return {
    ...base,
    counts,
    failNext(op, code, options = {}) {
      faults.push({ op, code, ...options });
    },
    holdSyncs() {
      let release!: () => void;
      let arrived!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const waiting = new Promise<void>((r) => (arrived = r));
      hold = { gate, arrived };
      return {
        waiting,
        release: () => {
          hold = null;
          release();
        },
      };
    },
    async open(path, flags) {
      const f = take("open", path);
      if (f) throw errno(f.code, "open", path);
      const fd = await base.open(path, flags);
      paths.set(fd, path);
      return fd;
    },
    async writeAll(fd, data, position) {
      const where = paths.get(fd) ?? String(fd);
      const f = take("writeAll", where);
      if (f) {
        if (f.partial) await base.writeAll(fd, data.subarray(0, data.byteLength >> 1), position);
        throw errno(f.code, "write", where);
      }
      return base.writeAll(fd, data, position);
    },
    async datasync(fd) {
      const where = paths.get(fd) ?? String(fd);
      const f = take("datasync", where);
      if (f) throw errno(f.code, "fdatasync", where);
      if (hold) {
        hold.arrived();
        await hold.gate;
      }
      return base.datasync(fd);
    },
    async read(fd, into, position) {
      const f = take("read", paths.get(fd) ?? "");
      if (f) throw errno(f.code, "read", paths.get(fd) ?? "");
      return await base.read(fd, into, position);
    },
    async fsync(fd) {
      const f = take("fsync", paths.get(fd) ?? "");
      if (f) throw errno(f.code, "fsync", paths.get(fd) ?? "");
      return await base.fsync(fd);
    },
    async truncate(fd, size) {
      const f = take("truncate", paths.get(fd) ?? "");
      if (f) throw errno(f.code, "ftruncate", paths.get(fd) ?? "");
      return await base.truncate(fd, size);
    },
    async rename(from, to) {
      const f = take("rename", to);
      if (f) throw errno(f.code, "rename", to);
      return await base.rename(from, to);
    },
    async syncDir(path) {
      const f = take("syncDir", path);
      if (f) throw errno(f.code, "fsync dir", path);
      return await base.syncDir(path);
    },
  };
}

/**
 * Snapshots on disk under `<root>/<id>/snapshot`, newest few kept. Each is
 * one self-contained file (snapshot_format.ts): header with the metadata,
 * the app's bytes gzip-compressed, a checksum trailer.
 */
import * as path from "node:path";
import { pipeline, Readable } from "node:stream";
import * as zlib from "node:zlib";
import { defaultStorageLogger, errorCode, StorageClosedError, StorageFailedError, type StorageLogger } from "./errors.ts";
import { type FileIO, nodeFileIO, readExact } from "./file_io.ts";
import { encodeSnapshotHeader, encodeSnapshotTrailer, SNAPSHOT_TRAILER_BYTES, type SnapshotMeta } from "./snapshot_format.ts";
import { readSnapshotHeader, SNAPSHOT_FILE, TEMP_PREFIX, TempSnapshotFile, verifySnapshotFile } from "./snapshot_file.ts";
import {
  createdMsOf,
  newestFirst,
  newSnapshotId,
  type SnapshotInfo,
  type SnapshotInstall,
  type SnapshotReader,
  type SnapshotSink,
  type SnapshotStore,
} from "./snapshot_store.ts";

export interface FileSnapshotStoreOptions {
  /** How many snapshots to keep (newest first). Default 3, as uhaha. */
  retain?: number;
  /** Skip fsyncs. */
  nosync?: boolean;
  /** gzip level 0-9. Default 6. */
  compressionLevel?: number;
  io?: FileIO;
  logger?: StorageLogger;
}

/**
 * Opens the snapshot store in `root` (created if missing), removing temp
 * dirs left by interrupted writes.
 * @example const snaps = await openFileSnapshotStore("data/snapshots");
 */
export async function openFileSnapshotStore(root: string, options: FileSnapshotStoreOptions = {}): Promise<FileSnapshotStore> {
  const io = options.io ?? nodeFileIO;
  const logger = options.logger ?? defaultStorageLogger;
  await io.mkdirp(root);
  for (const name of await io.readdir(root)) {
    if (name.startsWith(TEMP_PREFIX)) {
      logger("info", `${root}: removing ${name}, an interrupted snapshot write`);
      await io.removeTree(path.join(root, name));
    }
  }
  return new FileSnapshotStore(root, io, logger, options);
}

export class FileSnapshotStore implements SnapshotStore {
  readonly #root: string;
  readonly #io: FileIO;
  readonly #log: StorageLogger;
  readonly #retain: number;
  readonly #sync: boolean;
  readonly #level: number;

  /** Use openFileSnapshotStore. */
  constructor(root: string, io: FileIO, logger: StorageLogger, options: FileSnapshotStoreOptions) {
    this.#root = root;
    this.#io = io;
    this.#log = logger;
    this.#retain = Math.max(1, options.retain ?? 3);
    this.#sync = !options.nosync;
    this.#level = options.compressionLevel ?? 6;
  }

  async create(meta: SnapshotMeta): Promise<SnapshotSink> {
    const header = encodeSnapshotHeader(meta); // validates before touching the disk
    const tmp = await TempSnapshotFile.create(this.#io, this.#root, this.#sync);
    const gzip = zlib.createGzip({ level: this.#level });
    let writes: Promise<void> = tmp.append(header);
    let failure: unknown = null;
    gzip.on("data", (chunk: Uint8Array) => {
      writes = writes.then(() => (failure ? undefined : tmp.append(chunk))).catch((err) => void (failure ??= err));
    });
    const ended = new Promise<void>((resolve, reject) => {
      gzip.on("end", resolve);
      gzip.on("error", reject);
    });
    let done = false;
    const fail = async (err: unknown): Promise<never> => {
      done = true;
      gzip.destroy();
      await tmp.discard();
      throw this.#ioFailure(err, `writing snapshot (index ${meta.index}, term ${meta.term})`, tmp.dir);
    };
    const check = async () => {
      await writes;
      if (failure) await fail(failure);
    };
    return {
      write: async (appBytes) => {
        if (done) throw new StorageClosedError("snapshot sink");
        await new Promise<void>((resolve) => gzip.write(appBytes, () => resolve()));
        await check();
      },
      commit: async () => {
        if (done) throw new StorageClosedError("snapshot sink");
        gzip.end();
        await ended.catch(fail);
        await check();
        try {
          await tmp.append(encodeSnapshotTrailer(tmp.crc), false);
          done = true;
          return await this.#publish(tmp, meta, tmp.size);
        } catch (err) {
          return fail(err);
        }
      },
      abort: async () => {
        if (done) return;
        done = true;
        gzip.destroy();
        await tmp.discard();
      },
    };
  }

  async beginInstall(expect?: { index: number; term: number }): Promise<SnapshotInstall> {
    const tmp = await TempSnapshotFile.create(this.#io, this.#root, this.#sync);
    let done = false;
    const fail = async (err: unknown): Promise<never> => {
      done = true;
      await tmp.discard();
      throw this.#ioFailure(err, "installing a snapshot", tmp.dir);
    };
    return {
      write: async (offset, chunk) => {
        if (done) throw new StorageClosedError("snapshot install");
        if (offset !== tmp.size) throw new RangeError(`snapshot chunk at offset ${offset}, expected offset ${tmp.size}`);
        await tmp.append(chunk).catch(fail);
      },
      commit: async () => {
        if (done) throw new StorageClosedError("snapshot install");
        done = true;
        try {
          const { meta, size } = await verifySnapshotFile(this.#io, tmp.file);
          if (expect && (meta.index !== expect.index || meta.term !== expect.term)) {
            throw new Error(
              `installed snapshot is (index ${meta.index}, term ${meta.term}) but the leader announced (index ${expect.index}, term ${expect.term}); nothing was replaced`,
            );
          }
          return await this.#publish(tmp, meta, size);
        } catch (err) {
          return fail(err);
        }
      },
      abort: async () => {
        if (done) return;
        done = true;
        await tmp.discard();
      },
    };
  }

  async importFile(file: string): Promise<SnapshotInfo> {
    const install = await this.beginInstall();
    const fd = await this.#io.open(file, "r");
    try {
      const size = await this.#io.size(fd);
      for (let at = 0; at < size; at += 1 << 20) {
        await install.write(at, await readExact(this.#io, fd, Math.min(1 << 20, size - at), at, file));
      }
    } catch (err) {
      await install.abort();
      throw err;
    } finally {
      await this.#io.close(fd);
    }
    return install.commit();
  }

  async list(): Promise<SnapshotInfo[]> {
    const out: SnapshotInfo[] = [];
    for (const id of await this.#io.readdir(this.#root)) {
      if (id.startsWith(".")) continue;
      try {
        out.push(await this.#info(id));
      } catch (err) {
        this.#log("warn", `${path.join(this.#root, id)}: skipping unreadable snapshot (${(err as Error).message})`);
      }
    }
    return out.sort(newestFirst);
  }

  async open(id: string): Promise<SnapshotReader> {
    if (id.includes("/") || id.includes("\\") || id.startsWith(".")) throw new RangeError(`bad snapshot id '${id}'`);
    const file = path.join(this.#root, id, SNAPSHOT_FILE);
    if (!(await this.#io.exists(file))) throw new RangeError(`snapshot '${id}' does not exist in ${this.#root}`);
    const io = this.#io;
    const fd = await io.open(file, "r");
    let info: SnapshotInfo;
    let dataOffset: number;
    try {
      const size = await io.size(fd);
      const h = await readSnapshotHeader(io, fd, file, size);
      dataOffset = h.dataOffset;
      info = { ...h.meta, id, createdMs: createdMsOf(id), size };
    } catch (err) {
      await io.close(fd);
      throw err;
    }
    let closed = false;
    const range = async (start: number, end: number) => {
      if (closed) throw new StorageClosedError(`snapshot reader ${id}`);
      const s = Math.max(0, Math.min(start, info.size));
      const e = Math.max(s, Math.min(end, info.size));
      return await readExact(io, fd, e - s, s, file);
    };
    return {
      info,
      file,
      readRange: range,
      readData: async () => {
        const compressed = await range(dataOffset, info.size - SNAPSHOT_TRAILER_BYTES);
        const out = await new Promise<Uint8Array>((resolve, reject) =>
          zlib.gunzip(compressed, (err, result) => (err ? reject(err) : resolve(result)))
        );
        return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      },
      readDataChunks: async function* () {
        const end = info.size - SNAPSHOT_TRAILER_BYTES;
        async function* compressed() {
          for (let at = dataOffset; at < end; at += 1 << 20) yield await range(at, Math.min(end, at + (1 << 20)));
        }
        const gunzip = zlib.createGunzip();
        pipeline(Readable.from(compressed()), gunzip, (err) => {
          if (err) gunzip.destroy(err);
        });
        for await (const chunk of gunzip as AsyncIterable<Uint8Array>) {
          yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        }
      },
      close: async () => {
        if (closed) return;
        closed = true;
        await io.close(fd);
      },
    };
  }

  async #info(id: string): Promise<SnapshotInfo> {
    const file = path.join(this.#root, id, SNAPSHOT_FILE);
    const fd = await this.#io.open(file, "r");
    try {
      const size = await this.#io.size(fd);
      const { meta } = await readSnapshotHeader(this.#io, fd, file, size);
      return { ...meta, id, createdMs: createdMsOf(id), size };
    } finally {
      await this.#io.close(fd);
    }
  }

  /** Wraps an fs error (ENOSPC, EIO...) in a StorageFailedError and logs it; other errors pass through. */
  #ioFailure(err: unknown, doing: string, where: string): unknown {
    const code = errorCode(err);
    if (!code || err instanceof StorageFailedError) return err;
    const failure = new StorageFailedError(
      `${doing} failed with ${code} in ${where} (${(err as Error).message}); the partial snapshot was removed and ` +
        `stored snapshots are intact. ${code === "ENOSPC" ? "Free disk space" : "Check the disk"}, then retry.`,
      code,
      err,
    );
    this.#log("error", failure.message);
    return failure;
  }

  async #publish(tmp: TempSnapshotFile, meta: SnapshotMeta, size: number): Promise<SnapshotInfo> {
    const createdMs = Date.now();
    const id = await newSnapshotId(meta, createdMs, (id) => this.#io.exists(path.join(this.#root, id)));
    await tmp.publish(id);
    const info: SnapshotInfo = { index: meta.index, term: meta.term, config: meta.config, time: meta.time, seed: meta.seed, id, createdMs, size };
    await this.#applyRetention();
    return info;
  }

  async #applyRetention(): Promise<void> {
    const all = await this.list();
    const old = all.slice(this.#retain);
    for (const s of old) await this.#io.removeTree(path.join(this.#root, s.id));
    if (old.length > 0 && this.#sync) await this.#io.syncDir(this.#root);
  }
}

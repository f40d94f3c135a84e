/**
 * Writing and verifying one snapshot file. A snapshot is written into
 * `<root>/.tmp-<random>/snapshot`, synced, and only then renamed to
 * `<root>/<id>/`, so a crash leaves a temp dir (removed on open) and never a
 * half snapshot under a real id.
 */
import * as path from "node:path";
import * as zlib from "node:zlib";
import { crc32c } from "./crc32c.ts";
import { StorageCorruptError } from "./errors.ts";
import { type FileIO, readExact } from "./file_io.ts";
import {
  decodeSnapshotHeader,
  decodeSnapshotTrailer,
  SNAPSHOT_TRAILER_BYTES,
  type SnapshotMeta,
} from "./snapshot_format.ts";

export const SNAPSHOT_FILE = "snapshot";
export const TEMP_PREFIX = ".tmp-";
const CHUNK = 1024 * 1024;

/** An append-only temp snapshot file that tracks its size and running checksum. */
export class TempSnapshotFile {
  readonly dir: string;
  readonly file: string;
  size = 0;
  crc = 0;
  readonly #io: FileIO;
  readonly #root: string;
  readonly #sync: boolean;
  #fd: number;
  #open = true;

  private constructor(io: FileIO, root: string, dir: string, fd: number, sync: boolean) {
    this.#io = io;
    this.#root = root;
    this.dir = dir;
    this.file = path.join(dir, SNAPSHOT_FILE);
    this.#fd = fd;
    this.#sync = sync;
  }

  static async create(io: FileIO, root: string, sync: boolean): Promise<TempSnapshotFile> {
    const dir = path.join(root, TEMP_PREFIX + Math.random().toString(36).slice(2, 10) + Date.now().toString(36));
    await io.mkdirp(dir);
    const fd = await io.open(path.join(dir, SNAPSHOT_FILE), "wx");
    return new TempSnapshotFile(io, root, dir, fd, sync);
  }

  /** Appends bytes; `checksummed` false for the trailer (the checksum covers what precedes it). */
  async append(bytes: Uint8Array, checksummed = true): Promise<void> {
    await this.#io.writeAll(this.#fd, bytes, this.size);
    this.size += bytes.length;
    if (checksummed) this.crc = crc32c(this.crc, bytes);
  }

  /** Syncs, closes, and renames the temp dir to `<root>/<id>`. Returns the final file path. */
  async publish(id: string): Promise<string> {
    if (this.#sync) await this.#io.datasync(this.#fd);
    await this.#closeFd();
    if (this.#sync) await this.#io.syncDir(this.dir);
    const finalDir = path.join(this.#root, id);
    await this.#io.rename(this.dir, finalDir);
    if (this.#sync) await this.#io.syncDir(this.#root);
    return path.join(finalDir, SNAPSHOT_FILE);
  }

  /** Closes and deletes the temp dir (best effort: a leftover is removed on the next open). */
  async discard(): Promise<void> {
    await this.#closeFd().catch(() => {});
    await this.#io.removeTree(this.dir).catch(() => {});
  }

  async #closeFd(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await this.#io.close(this.#fd);
  }
}

/** Reads just the header of a snapshot file. */
export async function readSnapshotHeader(
  io: FileIO,
  fd: number,
  file: string,
  size: number,
): Promise<{ meta: SnapshotMeta; dataOffset: number }> {
  let want = Math.min(size, 4096);
  for (;;) {
    const head = await readExact(io, fd, want, 0, file);
    const h = decodeSnapshotHeader(head);
    if (h.kind === "ok") return { meta: h.meta, dataOffset: h.dataOffset };
    if (h.kind === "bad" || h.needed > size) {
      throw new StorageCorruptError(file, 0, h.kind === "bad" ? h.reason : "header is truncated", "Delete this snapshot directory");
    }
    want = h.needed;
  }
}

/**
 * Fully verifies a snapshot file: header, end marker, checksum of every
 * byte, and that the data decompresses. Throws StorageCorruptError (naming
 * the file and offset) on any problem.
 */
export async function verifySnapshotFile(io: FileIO, file: string): Promise<{ meta: SnapshotMeta; size: number; dataOffset: number }> {
  const todo = "The snapshot was not accepted; nothing was replaced";
  const fd = await io.open(file, "r");
  try {
    const size = await io.size(fd);
    if (size < 12 + SNAPSHOT_TRAILER_BYTES) throw new StorageCorruptError(file, size, "file is too short to be a snapshot", todo);
    const { meta, dataOffset } = await readSnapshotHeader(io, fd, file, size);
    const body = size - SNAPSHOT_TRAILER_BYTES;
    if (dataOffset > body) throw new StorageCorruptError(file, dataOffset, "header runs into the trailer", todo);
    const trailer = decodeSnapshotTrailer(await readExact(io, fd, SNAPSHOT_TRAILER_BYTES, body, file));
    if (trailer.kind === "bad") throw new StorageCorruptError(file, body, trailer.reason, todo);
    let crc = 0;
    for (let at = 0; at < body; at += CHUNK) {
      crc = crc32c(crc, await readExact(io, fd, Math.min(CHUNK, body - at), at, file));
    }
    if (crc !== trailer.crc) {
      throw new StorageCorruptError(file, body, `checksum mismatch (stored ${trailer.crc.toString(16)}, computed ${crc.toString(16)})`, todo);
    }
    const gunzip = zlib.createGunzip();
    const inflated = new Promise<void>((resolve, reject) => {
      gunzip.on("data", () => {});
      gunzip.on("end", resolve);
      gunzip.on("error", reject);
    });
    try {
      for (let at = dataOffset; at < body; at += CHUNK) {
        const chunk = await readExact(io, fd, Math.min(CHUNK, body - at), at, file);
        await Promise.race([new Promise<void>((resolve) => gunzip.write(chunk, () => resolve())), inflated]);
      }
      gunzip.end();
      await inflated;
    } catch (err) {
      gunzip.destroy();
      throw new StorageCorruptError(file, dataOffset, `data does not decompress (${(err as Error).message})`, todo);
    }
    return { meta, size, dataOffset };
  } finally {
    await io.close(fd);
  }
}

/**
 * An in-memory SnapshotStore with the same format and rules as the file
 * one (for tests and the simulator): same bytes, same ids, same ordering,
 * same retention, same validation of an install.
 */
import * as zlib from "node:zlib";
import { crc32c } from "./crc32c.ts";
import { StorageClosedError, StorageCorruptError } from "./errors.ts";
import { type FileIO, nodeFileIO } from "./file_io.ts";
import {
  decodeSnapshotHeader,
  decodeSnapshotTrailer,
  encodeSnapshotHeader,
  encodeSnapshotTrailer,
  SNAPSHOT_TRAILER_BYTES,
  type SnapshotMeta,
} from "./snapshot_format.ts";
import {
  newestFirst,
  newSnapshotId,
  type SnapshotInfo,
  type SnapshotInstall,
  type SnapshotReader,
  type SnapshotSink,
  type SnapshotStore,
} from "./snapshot_store.ts";

function concat(chunks: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Verifies a whole snapshot file held in memory; throws StorageCorruptError naming `name`. */
export function verifySnapshotBytes(bytes: Uint8Array, name: string): { meta: SnapshotMeta; dataOffset: number } {
  const todo = "The snapshot was not accepted; nothing was replaced";
  const body = bytes.length - SNAPSHOT_TRAILER_BYTES;
  if (body < 12) throw new StorageCorruptError(name, bytes.length, "file is too short to be a snapshot", todo);
  const h = decodeSnapshotHeader(bytes.subarray(0, body));
  if (h.kind !== "ok") throw new StorageCorruptError(name, 0, h.kind === "bad" ? h.reason : "header is truncated", todo);
  const trailer = decodeSnapshotTrailer(bytes.subarray(body));
  if (trailer.kind === "bad") throw new StorageCorruptError(name, body, trailer.reason, todo);
  const crc = crc32c(0, bytes, 0, body);
  if (crc !== trailer.crc) {
    throw new StorageCorruptError(name, body, `checksum mismatch (stored ${trailer.crc.toString(16)}, computed ${crc.toString(16)})`, todo);
  }
  try {
    zlib.gunzipSync(bytes.subarray(h.dataOffset, body));
  } catch (err) {
    throw new StorageCorruptError(name, h.dataOffset, `data does not decompress (${(err as Error).message})`, todo);
  }
  return { meta: h.meta, dataOffset: h.dataOffset };
}

export class MemorySnapshotStore implements SnapshotStore {
  readonly #snapshots = new Map<string, { info: SnapshotInfo; bytes: Uint8Array; dataOffset: number }>();
  readonly #retain: number;
  readonly #io: FileIO;

  /** @param options.retain how many to keep (default 3); options.io is used only by importFile. */
  constructor(options: { retain?: number; io?: FileIO } = {}) {
    this.#retain = Math.max(1, options.retain ?? 3);
    this.#io = options.io ?? nodeFileIO;
  }

  create(meta: SnapshotMeta): Promise<SnapshotSink> {
    let header: Uint8Array;
    try {
      header = encodeSnapshotHeader(meta);
    } catch (err) {
      return Promise.reject(err);
    }
    const chunks: Uint8Array[] = [];
    let done = false;
    return Promise.resolve({
      write: (appBytes) => {
        if (done) return Promise.reject(new StorageClosedError("snapshot sink"));
        chunks.push(appBytes.slice());
        return Promise.resolve();
      },
      commit: async () => {
        if (done) throw new StorageClosedError("snapshot sink");
        done = true;
        const gz = zlib.gzipSync(concat(chunks));
        const data = new Uint8Array(gz.buffer, gz.byteOffset, gz.byteLength);
        const body = concat([header, data]);
        return await this.#publish(concat([body, encodeSnapshotTrailer(crc32c(0, body))]), meta, header.length);
      },
      abort: () => {
        done = true;
        return Promise.resolve();
      },
    });
  }

  beginInstall(expect?: { index: number; term: number }): Promise<SnapshotInstall> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    let done = false;
    return Promise.resolve({
      write: (offset, chunk) => {
        if (done) return Promise.reject(new StorageClosedError("snapshot install"));
        if (offset !== size) return Promise.reject(new RangeError(`snapshot chunk at offset ${offset}, expected offset ${size}`));
        chunks.push(chunk.slice());
        size += chunk.length;
        return Promise.resolve();
      },
      commit: async () => {
        if (done) throw new StorageClosedError("snapshot install");
        done = true;
        const bytes = concat(chunks);
        const { meta, dataOffset } = verifySnapshotBytes(bytes, "snapshot install (memory)");
        if (expect && (meta.index !== expect.index || meta.term !== expect.term)) {
          throw new Error(
            `installed snapshot is (index ${meta.index}, term ${meta.term}) but the leader announced (index ${expect.index}, term ${expect.term}); nothing was replaced`,
          );
        }
        return await this.#publish(bytes, meta, dataOffset);
      },
      abort: () => {
        done = true;
        return Promise.resolve();
      },
    });
  }

  async importFile(file: string): Promise<SnapshotInfo> {
    const install = await this.beginInstall();
    await install.write(0, await this.#io.readFile(file));
    return install.commit();
  }

  list(): Promise<SnapshotInfo[]> {
    return Promise.resolve([...this.#snapshots.values()].map((s) => s.info).sort(newestFirst));
  }

  open(id: string): Promise<SnapshotReader> {
    const snap = this.#snapshots.get(id);
    if (!snap) return Promise.reject(new RangeError(`snapshot '${id}' does not exist in memory`));
    const { info, bytes, dataOffset } = snap;
    let closed = false;
    const range = (start: number, end: number): Promise<Uint8Array> => {
      if (closed) return Promise.reject(new StorageClosedError(`snapshot reader ${id}`));
      const s = Math.max(0, Math.min(start, bytes.length));
      return Promise.resolve(bytes.slice(s, Math.max(s, Math.min(end, bytes.length))));
    };
    return Promise.resolve({
      info,
      file: `memory:${id}`,
      readRange: range,
      readData: () => {
        const out = zlib.gunzipSync(bytes.subarray(dataOffset, bytes.length - SNAPSHOT_TRAILER_BYTES));
        return Promise.resolve(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
      },
      readDataChunks: async function* () {
        await Promise.resolve();
        const out = zlib.gunzipSync(bytes.subarray(dataOffset, bytes.length - SNAPSHOT_TRAILER_BYTES));
        yield new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      },
      close: () => {
        closed = true;
        return Promise.resolve();
      },
    });
  }

  async #publish(bytes: Uint8Array, meta: SnapshotMeta, dataOffset: number): Promise<SnapshotInfo> {
    const createdMs = Date.now();
    const id = await newSnapshotId(meta, createdMs, (id) => Promise.resolve(this.#snapshots.has(id)));
    const info: SnapshotInfo = { index: meta.index, term: meta.term, config: meta.config, time: meta.time, seed: meta.seed, id, createdMs, size: bytes.length };
    this.#snapshots.set(id, { info, bytes, dataOffset });
    for (const old of (await this.list()).slice(this.#retain)) this.#snapshots.delete(old.id);
    return info;
  }
}

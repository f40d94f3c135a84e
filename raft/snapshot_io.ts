/**
 * The driver's snapshot plumbing over a SnapshotStore: find a stored
 * snapshot by index and term, read its machine bytes, stream its file in
 * chunks to a follower, and store one streamed from a leader.
 */
import type { SnapshotMessage } from "./core/types.ts";
import type { DriverTransport } from "./driver_seams.ts";
import type { Logger } from "./logger.ts";
import { ProgressLog } from "./progress_log.ts";
import type { SnapshotInfo, SnapshotReader, SnapshotStore } from "./storage/mod.ts";

/** Bytes per chunk streamed to a follower. */
const CHUNK_BYTES = 1 << 20;

/** The stored snapshot at exactly (index, term); throws naming it when absent. */
export async function findSnapshot(store: SnapshotStore, index: number, term: number): Promise<SnapshotInfo> {
  const info = (await store.list()).find((s) => s.index === index && s.term === term);
  if (!info) throw new Error(`no stored snapshot at index ${index}, term ${term}`);
  return info;
}

/** The machine bytes of a stored snapshot, decompressed. */
export async function readSnapshotData(store: SnapshotStore, info: SnapshotInfo): Promise<Uint8Array> {
  const reader = await store.open(info.id);
  try {
    return await reader.readData();
  } finally {
    await reader.close();
  }
}

/** A failure to read a stored snapshot (not of the machine restoring from it). */
export class SnapshotReadError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "SnapshotReadError";
  }
}

/**
 * Restores `machine` from a stored snapshot, streaming its bytes when the
 * machine can take them so; failures to read the snapshot are
 * SnapshotReadErrors, the machine's own failures are thrown as they are.
 */
export async function restoreFromSnapshot(
  store: SnapshotStore,
  info: SnapshotInfo,
  machine: { restore(bytes: Uint8Array): void; restoreChunks?(chunks: AsyncIterable<Uint8Array>): Promise<void> },
): Promise<void> {
  if (!machine.restoreChunks) {
    let bytes: Uint8Array;
    try {
      bytes = await readSnapshotData(store, info);
    } catch (error) {
      throw new SnapshotReadError(error);
    }
    return machine.restore(bytes);
  }
  let reader: SnapshotReader;
  try {
    reader = await store.open(info.id);
  } catch (error) {
    throw new SnapshotReadError(error);
  }
  async function* chunks(): AsyncIterable<Uint8Array> {
    const source = reader.readDataChunks()[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await source.next();
      } catch (error) {
        throw new SnapshotReadError(error);
      }
      if (next.done) return;
      yield next.value;
    }
  }
  try {
    await machine.restoreChunks(chunks());
  } finally {
    await reader.close();
  }
}

/** The snapshot's file in chunks (what a follower's store installs). */
export async function* snapshotFileChunks(store: SnapshotStore, info: SnapshotInfo): AsyncIterable<Uint8Array> {
  const reader = await store.open(info.id);
  try {
    for (let at = 0; at < info.size; at += CHUNK_BYTES) yield await reader.readRange(at, at + CHUNK_BYTES);
  } finally {
    await reader.close();
  }
}

/**
 * Stores a snapshot file streamed from a leader; it is verified (checksum,
 * header, expected index and term) before it replaces anything. On failure
 * the partial file is dropped and the error rethrown.
 */
export async function storeStreamedSnapshot(
  store: SnapshotStore,
  expect: { index: number; term: number },
  chunks: AsyncIterable<Uint8Array>,
  progress?: ProgressLog,
): Promise<SnapshotInfo> {
  const install = await store.beginInstall(expect);
  let offset = 0;
  try {
    for await (const chunk of chunks) {
      await install.write(offset, chunk);
      offset += chunk.length;
      progress?.set(offset);
    }
    return await install.commit();
  } catch (error) {
    await install.abort().catch(() => {});
    throw error;
  }
}

/**
 * Streams the stored snapshot `message` announces to its follower over
 * `transport`; resolves whether the follower installed it. Failures are
 * logged, never thrown: the core learns the outcome and retries.
 */
export async function sendStoredSnapshot(
  store: SnapshotStore,
  message: SnapshotMessage,
  transport: DriverTransport | undefined,
  logger: Logger,
): Promise<boolean> {
  try {
    const info = await findSnapshot(store, message.snapshot.index, message.snapshot.term);
    logger.info(`sending snapshot ${info.id} (${info.size} bytes) to ${message.to}`);
    const progress = new ProgressLog((line) => logger.info(line), `sending snapshot ${info.id} to node ${message.to}`, { total: info.size });
    const sent = (await transport?.sendSnapshot(message, counted(snapshotFileChunks(store, info), progress))) ?? false;
    progress.finish(sent ? "done" : "failed");
    return sent;
  } catch (error) {
    logger.warn(`snapshot to ${message.to} failed: ${(error as Error).message}`);
    return false;
  }
}

/** storeStreamedSnapshot for the snapshot `message` announces, logged either way; rethrows a failure. */
export async function receiveStreamedSnapshot(
  store: SnapshotStore,
  message: SnapshotMessage,
  data: AsyncIterable<Uint8Array>,
  logger: Logger,
): Promise<void> {
  // The sender does not say the size up front: progress without a total.
  const what = `receiving snapshot ${message.snapshot.term}/${message.snapshot.index} from node ${message.from}`;
  const progress = new ProgressLog((line) => logger.info(line), what);
  try {
    const info = await storeStreamedSnapshot(store, message.snapshot, data, progress);
    progress.finish();
    logger.info(`received snapshot ${info.id} (${info.size} bytes) from ${message.from}`);
  } catch (error) {
    logger.warn(`snapshot from ${message.from} failed: ${(error as Error).message}`);
    throw error;
  }
}

/** `chunks`, counting each into `progress` once it has been taken. */
async function* counted(chunks: AsyncIterable<Uint8Array>, progress: ProgressLog): AsyncIterable<Uint8Array> {
  for await (const chunk of chunks) {
    yield chunk;
    progress.add(chunk.byteLength);
  }
}

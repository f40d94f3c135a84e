/**
 * Small checksummed files replaced atomically: write a temp file, fsync it,
 * rename it over the old one, fsync the directory. A reader sees either the
 * old or the new content, never a mix.
 *
 * Format: "<crc32c of the JSON text, 8 hex digits>\n<JSON text>".
 */
import * as path from "node:path";
import { crc32c } from "./crc32c.ts";
import { StorageCorruptError } from "./errors.ts";
import type { FileIO } from "./file_io.ts";

/** Encodes a JSON-able value with its checksum line. Pure. */
export function encodeChecked(value: unknown): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(value));
  const head = new TextEncoder().encode(crc32c(0, json).toString(16).padStart(8, "0") + "\n");
  const out = new Uint8Array(head.byteLength + json.byteLength);
  out.set(head, 0);
  out.set(json, head.byteLength);
  return out;
}

/** Decodes what encodeChecked wrote; throws StorageCorruptError naming `file`. Pure. */
export function decodeChecked(bytes: Uint8Array, file: string): unknown {
  const todo = "Restore the file from a backup or remove this node's data directory and re-add it to the cluster.";
  if (bytes.byteLength < 9 || bytes[8] !== 0x0a) {
    throw new StorageCorruptError(file, 0, "missing checksum line", todo);
  }
  const want = parseInt(new TextDecoder().decode(bytes.subarray(0, 8)), 16);
  const json = bytes.subarray(9);
  const got = crc32c(0, json);
  if (want !== got) {
    throw new StorageCorruptError(file, 9, `checksum mismatch (stored ${want.toString(16)}, computed ${got.toString(16)})`, todo);
  }
  try {
    return JSON.parse(new TextDecoder().decode(json));
  } catch (err) {
    throw new StorageCorruptError(file, 9, `invalid JSON (${(err as Error).message})`, todo);
  }
}

/**
 * Replaces `file` with `bytes` atomically. With `sync` false the fsyncs are
 * skipped (still atomic against a process crash, not against power loss).
 */
export async function writeFileAtomic(io: FileIO, file: string, bytes: Uint8Array, sync: boolean): Promise<void> {
  const tmp = file + ".tmp";
  const fd = await io.open(tmp, "w");
  try {
    await io.writeAll(fd, bytes, 0);
    if (sync) await io.fsync(fd);
  } finally {
    await io.close(fd);
  }
  await io.rename(tmp, file);
  if (sync) await io.syncDir(path.dirname(file));
}

/**
 * Creates a directory and its missing parents, one component at a time.
 *
 * Not `mkdir(dir, { recursive: true })`: Node's recursive mkdir never
 * returns on some file systems. On procfs `mkdir('/proc/x')` fails with
 * ENOENT although `/proc` exists, and libuv reads ENOENT as "create the
 * parent first", forever (one thread at 90% CPU, a promise that never
 * settles, a node that cannot even be stopped). Walking down from the root
 * and stopping at the first component that fails makes an impossible
 * directory an immediate error naming the directory and the cause:
 * `cannot create data directory '/proc/x/kvdb/1': ENOENT: no such file or
 * directory, mkdir '/proc/x'`.
 *
 * Every directory the storage layer creates goes through here (via
 * `FileIO.mkdirp`), with mode 0700: a node's data is its owner's alone.
 */
import { mkdir, stat } from "node:fs/promises";
import * as path from "node:path";
import { errorCode } from "./errors.ts";

/** Mode of the directories created: owner only. */
export const DIRECTORY_MODE = 0o700;

/**
 * Makes `dir` and any missing parent, each with `mode`. Rejects with an
 * Error (its `code` the errno name) naming `dir` and the component that
 * could not be created; resolves if `dir` already is a directory.
 *
 * @param dir the directory, relative to the working directory or absolute
 * @param mode permission bits of each directory created (default 0700)
 * @example await makeDirectories("data/kvdb/1");
 */
export async function makeDirectories(dir: string, mode = DIRECTORY_MODE): Promise<void> {
  if (await isDirectory(dir)) return;
  const absolute = path.resolve(dir);
  const root = path.parse(absolute).root;
  let current = root;
  for (const part of absolute.slice(root.length).split(path.sep).filter((name) => name !== "")) {
    current = path.join(current, part);
    try {
      await mkdir(current, { mode });
    } catch (error) {
      const code = errorCode(error);
      // EEXIST also when another process made it a moment ago.
      if (code !== "EEXIST") throw creationError(dir, code, (error as Error).message);
      if (!(await isDirectory(current))) {
        throw creationError(dir, "ENOTDIR", `ENOTDIR: '${current}' exists and is not a directory`);
      }
    }
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

function creationError(dir: string, code: string, cause: string): Error {
  return Object.assign(new Error(`cannot create data directory '${dir}': ${cause}`), { code: code || "EIO" });
}

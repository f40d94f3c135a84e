/**
 * Takes away group and other permissions from a node directory and all it
 * holds. New files and directories are created owner-only (0600/0700);
 * this tightens those that older versions created with 0644 (or that a
 * restored backup brought), so a node's data and snapshots are its owner's
 * alone whichever version wrote them. Symbolic links are not followed.
 */
import { chmod, lstat, readdir } from "node:fs/promises";
import * as path from "node:path";

/** Permission bits of group and others. */
const SHARED_BITS = 0o077;

/**
 * Clears the group/other bits of `dir` and everything under it.
 * @returns the paths whose mode changed (empty when all were owner-only)
 * @example const changed = await makeOwnerOnly("data/kvdb/1");
 */
export async function makeOwnerOnly(dir: string): Promise<string[]> {
  const changed: string[] = [];
  const visit = async (entry: string): Promise<void> => {
    const stat = await lstat(entry);
    if (stat.isSymbolicLink()) return;
    if ((stat.mode & SHARED_BITS) !== 0) {
      await chmod(entry, stat.mode & 0o7700 & ~SHARED_BITS);
      changed.push(entry);
    }
    if (stat.isDirectory()) {
      for (const name of await readdir(entry)) await visit(path.join(entry, name));
    }
  };
  await visit(dir);
  return changed;
}

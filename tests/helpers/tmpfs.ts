/**
 * Real full disks for tests: small tmpfs mounts (Linux, as root) and a
 * filler that takes a file system's space to the last byte. Where mounting
 * is not allowed, `tmpfsSkipReason()` says why, for `test(name, { skip })`
 * (visible as a skip on Node and as "ignored" on Deno).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { errorCode } from "../../raft/storage/errors.ts";

/** Mounts a tmpfs of `sizeMb` MiB on `dir`; returns null, or why it could not. */
export function mountTmpfs(dir: string, sizeMb: number): string | null {
  if (process.platform !== "linux") return `needs Linux to mount a tmpfs (this is ${process.platform})`;
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return "needs root to mount a tmpfs";
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeMb}m,mode=0700`, "tmpfs", dir], { stdio: "pipe" });
    return null;
  } catch (error) {
    return `mount is not permitted here (${String((error as Error).message).split("\n")[0]})`;
  }
}

/** Unmounts what mountTmpfs mounted (its files go with it). */
export function unmount(dir: string): void {
  execFileSync("umount", [dir], { stdio: "pipe" });
}

let probed: string | null | undefined;

/** Why tmpfs tests cannot run here (tried once with a 1 MiB mount), or null when they can. */
export function tmpfsSkipReason(): string | null {
  if (probed !== undefined) return probed;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "uhaha-tmpfs-probe-"));
  try {
    probed = mountTmpfs(dir, 1);
    if (probed === null) unmount(dir);
  } finally {
    fs.rmdirSync(dir);
  }
  return probed;
}

/**
 * Writes `file` until its file system has no byte left: big chunks first,
 * then ever smaller ones down to a single byte. Returns the bytes written.
 */
export function fillToTheLastByte(file: string): number {
  const fd = fs.openSync(file, "w");
  let written = 0;
  try {
    const chunk = new Uint8Array(1 << 20);
    for (let size = chunk.byteLength; size >= 1;) {
      try {
        written += fs.writeSync(fd, chunk, 0, size, written);
      } catch (error) {
        if (errorCode(error) !== "ENOSPC") throw error;
        size >>= 1;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

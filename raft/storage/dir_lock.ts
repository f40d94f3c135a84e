/**
 * One process per node directory: an exclusive lock taken before anything
 * in the directory is read or written, held until the process exits. Two
 * nodes on one directory would both accept writes and interleave them into
 * one log, which then fails its checksums.
 *
 * Node has no flock, so the lock is a file, `<dir>/lock` (mode 0600),
 * created with O_EXCL and holding one JSON line: the holder's pid, its
 * start time (field 22 of /proc/<pid>/stat, clock ticks after boot), the
 * boot id and a random nonce.
 *
 * The rule:
 * - A process that finds the lock held by a live process is refused at
 *   once with DirLockedError, naming the directory and the holder's pid,
 *   having changed nothing.
 * - The holder is gone (the lock is stale) when it ran in an earlier boot,
 *   when /proc/<pid> is missing or a zombie, or when that process started at
 *   another time than recorded (the pid was recycled). Without /proc (not
 *   Linux) only `kill(pid, 0)` is asked, so a recycled pid keeps the lock.
 *   Holders must see each other's pids: one host, one pid namespace. A lock
 *   file that does not parse (a crash between create and write, a power
 *   loss) is being written while younger than 5 s, and stale after that.
 * - A stale lock is taken over race-free. Only the process that creates
 *   (O_EXCL) `<dir>/lock.takeover-<hash of the stale file>` may delete that
 *   file, and only while it is still that same file (content, inode,
 *   mtime); it then deletes the takeover file. Everyone, the takeover
 *   winner included, then races for a fresh O_EXCL create, which exactly one
 *   wins. A takeover file left by a process that died in the middle is
 *   itself stale and is taken over the same way.
 * - `release()` (on stop) deletes the lock file if it is still this lock's.
 *   If the process exits without calling it, an exit hook does it. After
 *   SIGKILL or a crash the file stays, and the next start finds it stale.
 *
 * The lock file is not fsynced: it means something only while its holder
 * lives, and after a power loss any content it has left is stale.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { errorCode } from "./errors.ts";
import { makeDirectories } from "./make_directories.ts";

/** Name of the lock file inside the locked directory. */
export const LOCK_FILE_NAME = "lock";
/** Permission bits of the lock file: owner only. */
export const LOCK_FILE_MODE = 0o600;
/** A lock file that does not parse counts as being written until it is this old. */
const UNPARSED_LOCK_STALE_MS = 5_000;
/** How long `lockDirectory` waits, by default, for a lock being written or taken over by someone else. */
const DEFAULT_WAIT_MS = 3_000;

/** What a lock file records about its holder. */
export interface LockHolder {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat (start time in clock ticks after boot); absent without /proc. */
  readonly start?: string;
  /** /proc/sys/kernel/random/boot_id; absent without it. */
  readonly boot?: string;
  /** Random: no two lock files have the same content. */
  readonly nonce: string;
}

/** The directory is locked by another live process (or by this one, through another lock). */
export class DirLockedError extends Error {
  override readonly name = "DirLockedError";
  /** The locked directory, as given. */
  readonly dir: string;
  /** The holder's pid; undefined while the holder is still writing its lock file. */
  readonly pid: number | undefined;
  constructor(dir: string, pid: number | undefined, lockFile: string) {
    super(
      `node directory '${dir}' is in use by ${pid === undefined ? "another process" : `process ${pid}`} ` +
        `(lock file '${lockFile}'); one process at a time may use it`,
    );
    this.dir = dir;
    this.pid = pid;
  }
}

/** A held lock. */
export interface DirLock {
  readonly dir: string;
  /** The lock file. */
  readonly file: string;
  readonly holder: LockHolder;
  /** Deletes the lock file if it is still this lock's. Synchronous (it also runs at exit); idempotent. */
  release(): void;
}

export interface LockOptions {
  /** Longest wait for another process that is writing a lock file or taking over a stale one. Default 3000 ms. */
  readonly waitMs?: number;
}

/**
 * Creates `dir` if missing (see makeDirectories) and locks it for this
 * process. Rejects with DirLockedError if a live process holds it.
 *
 * @param dir the directory to own
 * @returns the held lock; call `release()` when done with the directory
 * @example
 * const lock = await lockDirectory("data/kvdb/1");
 * try { ... } finally { lock.release(); }
 */
export async function lockDirectory(dir: string, options: LockOptions = {}): Promise<DirLock> {
  await makeDirectories(dir);
  const file = path.join(dir, LOCK_FILE_NAME);
  const holder = currentHolder();
  const text = JSON.stringify(holder) + "\n";
  const deadline = Date.now() + (options.waitMs ?? DEFAULT_WAIT_MS);
  let busyPid: number | undefined;
  while (Date.now() <= deadline) {
    const found = readLockFile(file);
    if (found === undefined) {
      if (createExclusive(file, text)) return holdLock(dir, file, holder, text);
      continue; // someone else created it first: look at it
    }
    const verdict = judge(found);
    busyPid = verdict.pid;
    if (verdict.alive) {
      if (verdict.pid !== undefined) throw new DirLockedError(dir, verdict.pid, file);
      // Not parsed yet: its creator is still writing it.
    } else {
      const taker = takeOverStale(file, found, text, 0);
      if (taker === "done") continue;
      busyPid = taker.pid;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new DirLockedError(dir, busyPid, file);
}

/** Whether the process a lock file names still runs (see the rule above). */
export function isHolderAlive(holder: LockHolder): boolean {
  const boot = bootId();
  if (holder.boot !== undefined && boot !== undefined && holder.boot !== boot) return false;
  const proc = processStat(holder.pid);
  if (proc === "gone") return false;
  if (proc !== "unknown") {
    if (proc.state === "Z" || proc.state === "X" || proc.state === "x") return false;
    return holder.start === undefined || holder.start === proc.startTime;
  }
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) !== "ESRCH";
  }
}

/**
 * The state (field 3) and start time (field 22) of a /proc/<pid>/stat
 * line. The command name (field 2) may hold spaces and parentheses, so
 * fields are counted after its last ')'.
 * @example parseProcStat("42 (a b) S 1 ... ") // { state: "S", startTime: "…" }
 */
export function parseProcStat(text: string): { state: string; startTime: string } | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = text.slice(close + 1).trim().split(/\s+/);
  const state = fields[0];
  const startTime = fields[19];
  if (!state || startTime === undefined || !/^\d+$/.test(startTime)) return undefined;
  return { state, startTime };
}

/** Parses a lock file's content; undefined unless it is a complete holder record. */
export function parseHolder(text: string): LockHolder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { pid, start, boot, nonce } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(pid) || (pid as number) <= 0 || typeof nonce !== "string") return undefined;
  if ((start !== undefined && typeof start !== "string") || (boot !== undefined && typeof boot !== "string")) return undefined;
  return { pid: pid as number, start, boot, nonce } as LockHolder;
}

/**
 * The takeover file that guards the deletion of one stale lock file: named
 * after that file's identity (inode, mtime, content), so it is one name per
 * stale file and never the name for a later lock file.
 */
export function takeoverFileFor(file: string, stale: { readonly ino: bigint; readonly mtimeNs: bigint; readonly text: string }): string {
  const identity = `${stale.ino}:${stale.mtimeNs}:${stale.text}`;
  return `${file}.takeover-${createHash("sha256").update(identity).digest("hex").slice(0, 16)}`;
}

/** A lock (or takeover) file as read: its content and the identity of the file it came from. */
interface LockFileState {
  readonly text: string;
  readonly holder: LockHolder | undefined;
  readonly ino: bigint;
  readonly mtimeNs: bigint;
}

function readLockFile(file: string): LockFileState | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return undefined;
    throw error;
  }
  try {
    const stat = fs.fstatSync(fd, { bigint: true });
    const text = fs.readFileSync(fd, "utf8");
    return { text, holder: parseHolder(text), ino: stat.ino, mtimeNs: stat.mtimeNs };
  } finally {
    fs.closeSync(fd);
  }
}

function judge(found: LockFileState): { alive: boolean; pid: number | undefined } {
  if (found.holder) return { alive: isHolderAlive(found.holder), pid: found.holder.pid };
  const ageMs = Date.now() - Number(found.mtimeNs / 1_000_000n);
  return { alive: ageMs >= 0 && ageMs < UNPARSED_LOCK_STALE_MS, pid: undefined };
}

/** Creates `file` with O_EXCL holding `text`; false if it exists. */
function createExclusive(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, "wx", LOCK_FILE_MODE);
  } catch (error) {
    if (errorCode(error) === "EEXIST") return false;
    throw error;
  }
  try {
    fs.writeSync(fd, text);
  } catch (error) {
    fs.closeSync(fd);
    unlinkIfPresent(file);
    throw error;
  }
  fs.closeSync(fd);
  return true;
}

/**
 * Deletes the stale `file` (as `stale` saw it) if this process wins its
 * takeover file. "done" when there was progress to look at again; else the
 * live process (pid if known) that is taking it over.
 */
function takeOverStale(file: string, stale: LockFileState, text: string, depth: number): "done" | { pid: number | undefined } {
  const guard = takeoverFileFor(file, stale);
  if (!createExclusive(guard, text)) {
    const taker = readLockFile(guard);
    if (taker === undefined) return "done"; // the taker has finished
    const verdict = judge(taker);
    if (verdict.alive || depth >= 4) return { pid: verdict.pid };
    // The taker died in the middle: its takeover file is stale in turn.
    takeOverStale(guard, taker, text, depth + 1);
    return "done";
  }
  try {
    const current = readLockFile(file);
    const same = current !== undefined && current.text === stale.text && current.ino === stale.ino &&
      current.mtimeNs === stale.mtimeNs;
    if (same) unlinkIfPresent(file);
  } finally {
    unlinkIfPresent(guard);
  }
  return "done";
}

function holdLock(dir: string, file: string, holder: LockHolder, text: string): DirLock {
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off("exit", release);
    try {
      if (readLockFile(file)?.text === text) fs.unlinkSync(file);
    } catch {
      // The directory went away or cannot be read: nothing of ours to remove.
    }
  };
  process.on("exit", release);
  return { dir, file, holder, release };
}

function unlinkIfPresent(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (error) {
    if (errorCode(error) !== "ENOENT") throw error;
  }
}

function currentHolder(): LockHolder {
  const proc = processStat(process.pid);
  return {
    pid: process.pid,
    start: typeof proc === "object" ? proc.startTime : undefined,
    boot: bootId(),
    nonce: randomBytes(8).toString("hex"),
  };
}

let procAvailable: boolean | undefined;

/** The /proc view of a process: "gone" if /proc works and has no such pid, "unknown" without /proc. */
function processStat(pid: number): { state: string; startTime: string } | "gone" | "unknown" {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, "utf8")) ?? "unknown";
  } catch (error) {
    procAvailable ??= canReadProc();
    const code = errorCode(error);
    return procAvailable && (code === "ENOENT" || code === "ESRCH") ? "gone" : "unknown";
  }
}

/** False without /proc, or where reading it is not permitted (Deno without --allow-all asks for it). */
function canReadProc(): boolean {
  try {
    return fs.existsSync("/proc/self/stat");
  } catch {
    return false;
  }
}

let cachedBootId: string | undefined | null = null;

function bootId(): string | undefined {
  if (cachedBootId !== null) return cachedBootId;
  try {
    cachedBootId = fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || undefined;
  } catch {
    cachedBootId = undefined;
  }
  return cachedBootId;
}

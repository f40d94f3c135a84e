/** Typed errors of the storage layer. Messages say what, where and what to do. */

/** A file on disk is damaged in a way that could lose acknowledged data. The node must stop. */
export class StorageCorruptError extends Error {
  override readonly name = "StorageCorruptError";
  /** The damaged file. */
  readonly file: string;
  /** Byte offset of the damage within `file`. */
  readonly offset: number;
  constructor(file: string, offset: number, what: string, todo: string) {
    super(`${file} at offset ${offset}: ${what}. ${todo}`);
    this.file = file;
    this.offset = offset;
  }
}

/**
 * A write failed (ENOSPC, EIO, ...). The failing operation rejects with it;
 * a log store also refuses every later write with it until it is reopened
 * or `recover()`ed (the Raft driver does that by itself, with backoff).
 */
export class StorageFailedError extends Error {
  override readonly name = "StorageFailedError";
  /** errno code of the underlying failure, e.g. "ENOSPC" or "EIO" ("" if none). */
  readonly code: string;
  constructor(message: string, code: string, cause?: unknown) {
    super(message, { cause });
    this.code = code;
  }
}

/** The store was closed. */
export class StorageClosedError extends Error {
  override readonly name = "StorageClosedError";
  constructor(what: string) {
    super(`${what} is closed`);
  }
}

const OS_ERRORS: Record<number, string> = { 2: "ENOENT", 5: "EIO", 13: "EACCES", 17: "EEXIST", 28: "ENOSPC", 30: "EROFS", 122: "EDQUOT" };

/**
 * errno code of an fs error ("ENOSPC", "EIO", ...), or "" when it has none.
 * Deno sometimes reports only "... (os error 28)"; that is mapped too.
 */
export function errorCode(err: unknown): string {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
  }
  const m = /\(os error (\d+)\)/.exec(String((err as Error)?.message ?? ""));
  return m ? OS_ERRORS[Number(m[1])] ?? `os error ${m[1]}` : "";
}

/** Log sink injected into the stores: level and a one-line message. */
export type StorageLogger = (level: "info" | "warn" | "error", message: string) => void;

/** The default logger: console.error for warn/error, silent for info. */
export const defaultStorageLogger: StorageLogger = (level, message) => {
  if (level !== "info") console.error(`[storage] ${level}: ${message}`);
};

/**
 * Logs storage failures so that a disk that stays full (or broken) while
 * the node retries yields one line per `intervalMs`, not one per attempt: a
 * failure with the same code as the last one logged is held back until the
 * interval has passed, and the next line logged says how many were held back.
 */
export class FailureReporter {
  readonly #logger: StorageLogger;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #lastCode = "";
  #lastAt = -Infinity;
  #heldBack = 0;

  constructor(logger: StorageLogger, intervalMs = 10_000, now: () => number = Date.now) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** Logs `message` at "error" level unless a failure with the same `code` was logged less than the interval ago. */
  report(code: string, message: string): void {
    const now = this.#now();
    if (code === this.#lastCode && now - this.#lastAt < this.#intervalMs) {
      this.#heldBack++;
      return;
    }
    const held = this.#heldBack > 0 ? ` (${this.#heldBack} more ${this.#lastCode} failures since the last report)` : "";
    this.#lastCode = code;
    this.#lastAt = now;
    this.#heldBack = 0;
    this.#logger("error", message + held);
  }
}

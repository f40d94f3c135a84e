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
 * A write failed (ENOSPC, EIO, ...). The failing operation rejects with it,
 * and every later write rejects with it too, until the store is reopened.
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

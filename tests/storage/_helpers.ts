/** Shared helpers for the storage tests (not a test file). */
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { LogEntry } from "../../raft/log_entry.ts";
import type { StorageLogger } from "../../raft/storage/errors.ts";

/** A fresh temp dir under os.tmpdir(), with its removal. */
export async function tempDir(prefix = "uhaha-storage-"): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** Deterministic payload for (index, term): what the crash child writes, what the parent expects. */
export function payload(index: number, term: number, size = 16 + (index * 7919) % 300): Uint8Array {
  const out = new Uint8Array(size);
  let x = (index * 2654435761 + term * 40503) >>> 0;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

export function entry(index: number, term: number, size?: number): LogEntry {
  return { index, term, kind: index % 5 === 0 ? 1 : 0, data: payload(index, term, size) };
}

export function batch(from: number, count: number, term: number): LogEntry[] {
  return Array.from({ length: count }, (_, i) => entry(from + i, term));
}

/** A logger that records lines, for asserting what was said. */
export function recordingLogger(): { logger: StorageLogger; lines: string[] } {
  const lines: string[] = [];
  return { logger: (level, message) => void lines.push(`${level}: ${message}`), lines };
}

/** Runtime detection, once. */
export const isDeno = "Deno" in globalThis;

/**
 * Child process for crash_test.ts (not a test file). Appends batches to the
 * log in argv[2] forever, several in flight at once, and prints
 * "ack <index>" after each batch is synced. Now and then it drains, prints
 * "truncate <from>" and truncates the tail (re-appending the same content
 * after), or "compact <upto>" and compacts the head. The parent SIGKILLs it.
 *
 * With a non-zero <tearAtWrite>, the N-th file write writes only a random
 * prefix of its bytes and then hangs, and the child prints "torn": the
 * parent kills it there, leaving a torn tail exactly as a power cut would.
 *
 *   usage: crash_child.ts <dir> <seed> [tearAtWrite]
 */
import process from "node:process";
import { openFileLogStore } from "../../raft/storage/file_log_store.ts";
import { type FileIO, nodeFileIO } from "../../raft/storage/file_io.ts";
import type { LogEntry } from "../../raft/log_entry.ts";
import { crashEntry } from "./_crash_model.ts";

const [dir, seedText, tearText] = process.argv.slice(2);
let seed = Number(seedText) >>> 0 || 1;
function rand(n: number): number {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed % n;
}

let writesLeft = Number(tearText ?? 0);
const io: FileIO = {
  ...nodeFileIO,
  async writeAll(fd, data, position) {
    if (writesLeft > 0 && --writesLeft === 0) {
      await nodeFileIO.writeAll(fd, data.subarray(0, rand(data.byteLength)), position);
      process.stdout.write("torn\n");
      return new Promise<void>(() => {}); // hang until killed
    }
    return nodeFileIO.writeAll(fd, data, position);
  },
};

const log = await openFileLogStore(dir, {
  io,
  segmentBytes: 64 * 1024,
  cacheEntries: 64,
  logger: (level, message) => process.stderr.write(`${level}: ${message}\n`),
});
let next = log.lastIndex() + 1;
process.stdout.write(`ready ${log.lastIndex()}\n`);

const inFlight = new Set<Promise<void>>();
for (;;) {
  const dice = rand(24);
  if (dice < 2 && log.lastIndex() > log.firstIndex() + 40) {
    await Promise.all(inFlight); // drain, so no ack is printed for an entry about to be cut
    if (dice === 0) {
      const from = next - 1 - rand(30);
      process.stdout.write(`truncate ${from}\n`);
      await log.truncateSuffix(from);
      next = from;
    } else {
      const upto = log.firstIndex() + rand(log.lastIndex() - log.firstIndex() - 20);
      process.stdout.write(`compact ${upto}\n`);
      await log.compactPrefix(upto);
    }
  }
  while (inFlight.size < 4) {
    const count = 1 + rand(24);
    const entries: LogEntry[] = [];
    for (let i = 0; i < count; i++) entries.push(crashEntry(next + i));
    next += count;
    const last = next - 1;
    const p: Promise<void> = log.append(entries).then(() => {
      process.stdout.write(`ack ${last}\n`);
      inFlight.delete(p);
    });
    inFlight.add(p);
  }
  await Promise.race(inFlight);
}

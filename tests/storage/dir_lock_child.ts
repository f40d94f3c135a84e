/**
 * Child process for dir_lock_test.ts (not a test file): a small process
 * that takes directory locks when told, so that many of them can race for
 * one lock without starting whole nodes. Prints "ready <pid>", then reads
 * commands, one a line, from stdin:
 *
 *   lock <dir>   → "locked <dir>", or "refused <message>" (DirLockedError),
 *                  or "error <message>"
 *   release      → releases every lock it holds → "released"
 *
 * Exits 0 when stdin ends.
 */
import process from "node:process";
import { createInterface } from "node:readline";
import { type DirLock, DirLockedError, lockDirectory } from "../../raft/storage/dir_lock.ts";

const held: DirLock[] = [];

async function run(line: string): Promise<string> {
  const [command, ...rest] = line.split(" ");
  if (command === "lock") {
    const dir = rest.join(" ");
    try {
      held.push(await lockDirectory(dir));
      return `locked ${dir}`;
    } catch (error) {
      return `${error instanceof DirLockedError ? "refused" : "error"} ${(error as Error).message}`;
    }
  }
  if (command === "release") {
    for (const lock of held.splice(0)) lock.release();
    return "released";
  }
  return `error unknown command '${line}'`;
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => void run(line).then((reply) => process.stdout.write(reply + "\n")));
lines.on("close", () => process.exit(0));
process.stdout.write(`ready ${process.pid}\n`);

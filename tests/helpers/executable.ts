/**
 * The single executable for tests: builds `dist/uhaha` when it is missing
 * or older than any source file, and returns its path.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { IS_DENO, REPO_ROOT } from "./process.ts";

export const EXECUTABLE = join(REPO_ROOT, "dist", "uhaha");
const SOURCE_DIRS = ["node", "server", "raft", "machine", "store", "tools"];

function newestSourceMs(): number {
  const files = readdirSync(REPO_ROOT).filter((name) => name.endsWith(".ts")).map((name) => join(REPO_ROOT, name));
  for (const dir of SOURCE_DIRS.filter((name) => existsSync(join(REPO_ROOT, name)))) {
    const path = join(REPO_ROOT, dir);
    for (const name of readdirSync(path, { recursive: true }) as string[]) {
      if (name.endsWith(".ts")) files.push(join(path, name));
    }
  }
  return Math.max(...files.map((file) => statSync(file).mtimeMs));
}

export function ensureExecutable(): string {
  const builtMs = existsSync(EXECUTABLE) ? statSync(EXECUTABLE).mtimeMs : 0;
  if (builtMs <= newestSourceMs()) {
    // The build needs Node (SEA); under Deno take the `node` on PATH.
    const node = IS_DENO ? "node" : process.execPath;
    execFileSync(node, ["--import", "tsx", "tools/build.ts"], { cwd: REPO_ROOT, stdio: "inherit" });
  }
  return EXECUTABLE;
}

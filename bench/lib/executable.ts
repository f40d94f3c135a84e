/**
 * The single executable under test, `dist/uhaha`: rebuilt with
 * `npm run build` unless it is newer than every file that goes into it (the
 * relative-import graph of tools/sea_entry.ts, tools/build.ts and
 * package-lock.json). Also which commit is being measured.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { REPO_ROOT } from "./processes.ts";

export const EXECUTABLE = join(REPO_ROOT, "dist", "uhaha");
const BUILD_ENTRY_POINTS = ["tools/sea_entry.ts", "tools/build.ts"];
const OTHER_BUILD_INPUTS = ["package-lock.json"];

/** `import … from "./x.ts"`, `export … from "../y.ts"`, `import "./z.ts"`, `import("./w.ts")`. */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g;

/** Every file reachable from `entries` through relative imports. */
export function importGraph(entries: readonly string[]): string[] {
  const seen = new Set<string>();
  const queue = entries.map((entry) => resolve(REPO_ROOT, entry));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    for (const match of readFileSync(file, "utf8").matchAll(RELATIVE_IMPORT)) {
      queue.push(resolve(dirname(file), match[1]));
    }
  }
  return [...seen];
}

/** Why `dist/uhaha` needs a build, or undefined when it is fresh. */
export function staleReason(): string | undefined {
  if (!existsSync(EXECUTABLE)) return `${EXECUTABLE} is missing`;
  const builtMs = statSync(EXECUTABLE).mtimeMs;
  const inputs = [...importGraph(BUILD_ENTRY_POINTS), ...OTHER_BUILD_INPUTS.map((name) => join(REPO_ROOT, name))];
  const newer = inputs.filter((file) => existsSync(file) && statSync(file).mtimeMs > builtMs);
  if (newer.length === 0) return undefined;
  const names = newer.map((file) => file.slice(REPO_ROOT.length));
  return `changed since the last build: ${names.slice(0, 3).join(", ")}${names.length > 3 ? ` and ${names.length - 3} more` : ""}`;
}

export type BuildMode = "auto" | "always" | "never";

/** Builds `dist/uhaha` as `mode` says (auto: when stale); returns a line saying what happened. */
export function ensureExecutable(mode: BuildMode): string {
  const reason = mode === "always" ? "BENCH_BUILD=always" : mode === "auto" ? staleReason() : undefined;
  if (reason === undefined) {
    if (!existsSync(EXECUTABLE)) throw new Error(`${EXECUTABLE} is missing and BENCH_BUILD=never`);
    return `dist/uhaha: ${mode === "never" ? "used as is (BENCH_BUILD=never)" : "fresh"}`;
  }
  console.error(`building dist/uhaha (${reason}) …`);
  // stdout to our stderr: the report on stdout stays the tables only.
  execFileSync("npm", ["run", "--silent", "build"], { cwd: REPO_ROOT, stdio: ["ignore", 2, 2] });
  return `dist/uhaha: built in this run (${reason})`;
}

/** `git rev-parse --short HEAD`, plus "-dirty" when the work tree has changes (tracked or untracked). */
export function commitMeasured(): string {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: REPO_ROOT }).toString().trim();
  try {
    const head = git("rev-parse", "--short", "HEAD");
    return git("status", "--porcelain") === "" ? head : `${head}-dirty`;
  } catch {
    return "unknown (not a git checkout)";
  }
}

/**
 * The examples use the framework only through mod.ts: every import in
 * examples/ (and examples/lib/) is `node:` built-in, a sibling in
 * examples/, or mod.ts itself.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { REPO_ROOT } from "../helpers/process.ts";

const EXAMPLES = join(REPO_ROOT, "examples");
const MOD = join(REPO_ROOT, "mod.ts");

/** Module specifiers of static and dynamic imports and re-exports in `source`. */
function specifiers(source: string): string[] {
  const found = source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^"';]*?from\s*["']([^"']+)["']|\bimport\s*\(?\s*["']([^"']+)["']/g);
  return [...found].map((match) => match[1] ?? match[2]);
}

test("examples import only node: built-ins, each other and mod.ts", () => {
  const files = (readdirSync(EXAMPLES, { recursive: true }) as string[]).filter((name) => name.endsWith(".ts"));
  assert.ok(files.length >= 5, `only ${files.length} example files found`);
  const outside: string[] = [];
  for (const name of files) {
    const file = join(EXAMPLES, name);
    for (const specifier of specifiers(readFileSync(file, "utf8"))) {
      if (specifier.startsWith("node:")) continue;
      const target = resolve(dirname(file), specifier);
      if (target === MOD || !relative(EXAMPLES, target).startsWith("..")) continue;
      outside.push(`examples/${name} imports ${specifier}`);
    }
  }
  assert.deepEqual(outside, []);
});

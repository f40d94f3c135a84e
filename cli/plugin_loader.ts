/**
 * Imports an application module (plugin) from a file.
 *
 * Deno and Node-with-tsx import `.ts` natively. The single executable is a
 * plain Node 20, which cannot: there the build registers a TypeScript
 * stripping transform (see tools/sea_entry.ts), and this loader transpiles
 * the plugin and every relative `.ts` file it imports into a private temp
 * directory and imports the result. An import of uhaha's own `mod.ts` is
 * pointed at the executable's copy of the framework, so values such as
 * `resp` and `Rewrite` are the very ones the node uses.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";

/** Strips TypeScript from one file's source; throws with a line:column on a syntax error. */
export type Transpile = (source: string, file: string) => string;

interface BundledRuntime {
  /** Set by the single executable's entry point. */
  __uhahaTranspile?: Transpile;
  /** The framework's mod.ts exports, set by the single executable's entry point. */
  __uhahaMod?: Record<string, unknown>;
}

const runtime = globalThis as typeof globalThis & BundledRuntime;

/** Imports `file` and returns its module namespace. */
export async function importPlugin(file: string): Promise<Record<string, unknown>> {
  const absolute = path.resolve(file);
  const transpile = runtime.__uhahaTranspile;
  if (!transpile || !/\.(m?ts|tsx)$/.test(absolute)) return await import(pathToFileURL(absolute).href);
  const outDir = mkdtempSync(path.join(tmpdir(), "uhaha-plugin-"));
  try {
    const entry = transpileTree(absolute, transpile, outDir, new Map());
    return await import(pathToFileURL(entry).href);
  } finally {
    // The module graph is loaded into memory by now.
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** `from "../lib/x.ts"`, `import("../y.ts")`, `from "/abs/mod.ts"`: specifiers of files on disk. */
const IMPORT_SPECIFIER = /(\bfrom\s*|\bimport\s*\(?\s*)(["'])((?:\.{1,2}\/|\/)[^"']+)\2/g;

/** Transpiles `file` and the relative files it imports; returns the path of its output. */
function transpileTree(file: string, transpile: Transpile, outDir: string, done: Map<string, string>): string {
  const known = done.get(file);
  if (known) return known;
  const output = path.join(outDir, `${done.size}-${path.basename(file).replace(/\.[^.]+$/, "")}.mjs`);
  done.set(file, output);
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  const code = transpile(source, file).replace(IMPORT_SPECIFIER, (_match, lead: string, quote: string, spec: string) => {
    const target = path.resolve(path.dirname(file), spec);
    let url: string;
    if (isFrameworkMod(target)) url = frameworkModUrl();
    else if (/\.(m?ts|tsx)$/.test(target)) url = pathToFileURL(transpileTree(target, transpile, outDir, done)).href;
    else url = pathToFileURL(target).href;
    return `${lead}${quote}${url}${quote}`;
  });
  writeFileSync(output, code); // outDir is importPlugin's mkdtemp directory
  return output;
}

function isFrameworkMod(file: string): boolean {
  if (path.basename(file) !== "mod.ts" || !runtime.__uhahaMod) return false;
  try {
    return readFileSync(file, "utf8").includes("uhaha for TypeScript");
  } catch {
    return false;
  }
}

/** A data: module re-exporting the executable's own framework exports. */
function frameworkModUrl(): string {
  const names = Object.keys(runtime.__uhahaMod!).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name));
  const body = `const m = globalThis.__uhahaMod;\n` +
    names.map((name) => `export const ${name} = m.${name};`).join("\n");
  return `data:text/javascript;base64,${btoa(body)}`;
}

/**
 * Imports an application module (plugin) from a file. A plugin imports the
 * framework as `uhaha` (or by a path or URL to uhaha's `mod.ts`), its own
 * relative files, and `node:` built-ins.
 *
 * - Deno: `uhaha` comes from an import map (the repo's deno.json maps it to
 *   mod.ts; a user's deno.json may map it by path or URL).
 * - Node from source (`npm start`, `node --import tsx cli.ts`): a resolve
 *   hook maps `uhaha` to this checkout's mod.ts for ES modules, and
 *   `require("uhaha")` (tsx runs a plugin outside a "type": "module"
 *   package as CommonJS) gets the same module.
 * - The single executable is a plain Node 20, which cannot import `.ts`:
 *   the build registers a TypeScript-stripping transform (see
 *   tools/sea_entry.ts), and this loader copies the plugin and every
 *   relative `.ts`/`.js` file it imports, transpiled, into a private temp
 *   directory and imports the result. `uhaha`, and any path or URL whose
 *   last segment is uhaha's `mod.ts`, become the executable's own framework
 *   (values such as `resp` and `Rewrite` are the very ones the node uses),
 *   read from no file; any other bare specifier is refused by name, since
 *   the executable has no npm packages.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import Module, { isBuiltin } from "node:module";
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

/** The specifier plugins import the framework by. */
export const FRAMEWORK_SPECIFIER = "uhaha";

/** Imports `file` and returns its module namespace. */
export async function importPlugin(file: string): Promise<Record<string, unknown>> {
  const absolute = path.resolve(file);
  const transpile = runtime.__uhahaTranspile;
  if (!transpile) {
    if (!("Deno" in globalThis)) await mapFrameworkSpecifierOnNode();
    return await import(pathToFileURL(absolute).href);
  }
  if (!PLUGIN_SOURCE.test(absolute)) return await import(pathToFileURL(absolute).href);
  const outDir = mkdtempSync(path.join(tmpdir(), "uhaha-plugin-"));
  try {
    const entry = transpileTree(absolute, transpile, outDir, new Map());
    return await import(pathToFileURL(entry).href);
  } finally {
    // The module graph is loaded into memory by now.
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** Files the executable's loader copies and rewrites: TypeScript and ES module JavaScript. */
const PLUGIN_SOURCE = /\.(m?ts|tsx|m?js)$/;

let nodeMapping: Promise<void> | undefined;

/**
 * Node from source: `uhaha` resolves to this checkout's mod.ts, for `import`
 * (a module resolve hook) and for `require` (tsx's CommonJS mode), where it
 * is the already-loaded module itself.
 */
function mapFrameworkSpecifierOnNode(): Promise<void> {
  nodeMapping ??= (async () => {
    const modUrl = new URL("../mod.ts", import.meta.url).href;
    const framework = await import(modUrl);
    const hook = `export async function resolve(specifier, context, next) {
      return specifier === ${JSON.stringify(FRAMEWORK_SPECIFIER)} ? { url: ${JSON.stringify(modUrl)}, shortCircuit: true } : next(specifier, context);
    }`;
    // module.register arrived in Node 20.6; before it only require("uhaha") is mapped.
    if (typeof Module.register === "function") Module.register(`data:text/javascript,${encodeURIComponent(hook)}`);
    const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
    const load = loader._load;
    loader._load = function (request: string, ...rest: unknown[]) {
      return request === FRAMEWORK_SPECIFIER ? framework : load.call(this, request, ...rest);
    };
  })();
  return nodeMapping;
}

/** `from "x"`, `import "x"`, `import("x")`: the specifiers a module imports. */
const IMPORT_SPECIFIER = /(\bfrom\s*|\bimport\s*\(?\s*)(["'])([^"'\s]+)\2/g;

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
  const code = /\.m?js$/.test(file) ? source : transpile(source, file);
  const rewritten = code.replace(IMPORT_SPECIFIER, (_match, lead: string, quote: string, spec: string) => {
    return `${lead}${quote}${resolveSpecifier(spec, file, transpile, outDir, done)}${quote}`;
  });
  writeFileSync(output, rewritten); // outDir is importPlugin's mkdtemp directory
  return output;
}

/** Where an import of `spec` in `file` points in the executable; throws for what it cannot provide. */
function resolveSpecifier(spec: string, file: string, transpile: Transpile, outDir: string, done: Map<string, string>): string {
  if (spec === FRAMEWORK_SPECIFIER) return frameworkModUrl();
  if (/^(node|data):/.test(spec)) return spec;
  if (/^(https?|file):/.test(spec)) {
    if (/^https?:/.test(spec) && new URL(spec).pathname.endsWith("/mod.ts")) return frameworkModUrl();
    return spec.startsWith("file:") ? resolveFile(new URL(spec).pathname, transpile, outDir, done) : spec;
  }
  if (spec.startsWith("./") || spec.startsWith("../") || spec.startsWith("/")) {
    return resolveFile(path.resolve(path.dirname(file), spec), transpile, outDir, done);
  }
  if (isBuiltin(spec)) return spec;
  throw new Error(
    `${file} imports '${spec}', which the executable cannot provide: it has no npm packages. ` +
      `A plugin may import "${FRAMEWORK_SPECIFIER}", node: built-ins and its own relative files`,
  );
}

function resolveFile(target: string, transpile: Transpile, outDir: string, done: Map<string, string>): string {
  if (isFrameworkMod(target)) return frameworkModUrl();
  if (PLUGIN_SOURCE.test(target)) return pathToFileURL(transpileTree(target, transpile, outDir, done)).href;
  return pathToFileURL(target).href;
}

/** A path ending in mod.ts that is uhaha's (or no file at all: the plugin's folder need not hold the framework). */
function isFrameworkMod(file: string): boolean {
  if (path.basename(file) !== "mod.ts") return false;
  if (!existsSync(file)) return true;
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

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
 * - The single executable embeds a Node that strips TypeScript types itself
 *   (Node 24), so the plugin's files are imported where they are, as they
 *   are. An in-thread resolve hook makes `uhaha`, and any path or URL whose
 *   last segment is uhaha's `mod.ts`, the executable's own framework (values
 *   such as `resp` and `Rewrite` are the very ones the node uses), read
 *   from no file; any other bare specifier is refused by name, since the
 *   executable has no npm packages.
 *
 * A syntax error comes back as `<file>:<line>:<column>: <message>` on every
 * runtime (see syntax_error_position.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import Module, { isBuiltin } from "node:module";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { positionedSyntaxError } from "./syntax_error_position.ts";

interface BundledRuntime {
  /** The framework's mod.ts exports, set by the single executable's entry point (tools/sea_runtime.ts). */
  __uhahaMod?: Record<string, unknown>;
}

const runtime = globalThis as typeof globalThis & BundledRuntime;

/** The specifier plugins import the framework by. */
export const FRAMEWORK_SPECIFIER = "uhaha";

/** Imports `file` and returns its module namespace. */
export async function importPlugin(file: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path.resolve(file)).href;
  if (runtime.__uhahaMod) mapFrameworkInExecutable(runtime.__uhahaMod);
  else if (!("Deno" in globalThis)) await mapFrameworkSpecifierOnNode();
  try {
    return await import(url);
  } catch (error) {
    const positioned = positionedSyntaxError(error);
    if (runtime.__uhahaMod && positioned instanceof SyntaxError && /does not provide an export named/.test(positioned.message)) {
      positioned.message += " (a type must be imported with `import type` or `{ type … }`: the executable strips types file by file)";
    }
    throw positioned;
  }
}

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

interface ResolveContext {
  readonly parentURL?: string;
}
type NextResolve = (specifier: string, context: ResolveContext) => { url: string };
/** module.registerHooks (Node 23.5+), missing from @types/node 20. */
type RegisterHooks = (hooks: { resolve: (specifier: string, context: ResolveContext, next: NextResolve) => { url: string; shortCircuit?: boolean } }) => unknown;

let executableMapped = false;

/** The executable: the framework specifiers become its own framework; other bare specifiers are refused. */
function mapFrameworkInExecutable(framework: Record<string, unknown>): void {
  if (executableMapped) return;
  const registerHooks = (Module as unknown as { registerHooks?: RegisterHooks }).registerHooks;
  if (typeof registerHooks !== "function") {
    throw new Error(`this executable was built on Node ${process.version}, which has no module.registerHooks: rebuild it (npm run build)`);
  }
  const frameworkUrl = frameworkModUrl(framework);
  registerHooks({
    resolve(specifier, context, next) {
      return resolvesToFramework(specifier, context.parentURL) ? { url: frameworkUrl, shortCircuit: true } : next(specifier, context);
    },
  });
  executableMapped = true;
}

/** Whether the executable's import of `spec` from `parentURL` is its framework; throws for a bare specifier it cannot provide. */
function resolvesToFramework(spec: string, parentURL: string | undefined): boolean {
  if (spec === FRAMEWORK_SPECIFIER) return true;
  if (/^https?:/.test(spec)) return new URL(spec).pathname.endsWith("/mod.ts");
  if (/^(node|data):/.test(spec) || isBuiltin(spec)) return false;
  const relative = spec.startsWith("./") || spec.startsWith("../") || spec.startsWith("/") || spec.startsWith("file:");
  if (relative) {
    const target = new URL(spec, parentURL ?? pathToFileURL(`${process.cwd()}/`).href);
    return target.protocol === "file:" && isFrameworkMod(fileURLToPath(target));
  }
  const importer = parentURL?.startsWith("file:") ? fileURLToPath(parentURL) : parentURL ?? "the plugin";
  throw new Error(
    `${importer} imports '${spec}', which the executable cannot provide: it has no npm packages. ` +
      `A plugin may import "${FRAMEWORK_SPECIFIER}", node: built-ins and its own relative files`,
  );
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
function frameworkModUrl(framework: Record<string, unknown>): string {
  const names = Object.keys(framework).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name));
  const body = `const m = globalThis.__uhahaMod;\n` +
    names.map((name) => `export const ${name} = m.${name};`).join("\n");
  return `data:text/javascript;base64,${btoa(body)}`;
}

/**
 * Plugins with a syntax error, and the exact position (line and column from
 * 1) of the offending token, shared by the tests that load them with cli.ts
 * on each runtime and with the single executable.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "./process.ts";

export interface SyntaxErrorCase {
  readonly what: string;
  /** The plugin named on the command line. */
  readonly plugin: string;
  /** `<file>:<line>:<column>` of the error, the file relative to the plugins' folder. */
  readonly at: string;
}

const FILES: Record<string, string> = {
  "line_one.ts": `const = 1;\nexport default {};\n`,
  // Type annotations, and a two-byte character, before the error on its line.
  "annotated.ts": `const a: number = 1;\nconst s: string = "h\u00e9llo"; const x: number = ;\nexport default { a, s, x };\n`,
  "interface.ts": `interface Data {\n  n: number;\n  label: string;\n}\nconst data: Data = { n: 0, label: "" }; const y = data.n +;\nexport default { data, y };\n`,
  "app.ts": `import { resp, type App } from "uhaha";\nimport { double } from "./helper.ts";\n\n` +
    `export default {\n  name: "doubler",\n  initialData: () => 1,\n  jsonSnapshots: true,\n` +
    `  commands: { double: { kind: "write", run: (m) => resp.int((m.data = double(m.data))) } },\n} satisfies App<number>;\n`,
  "helper.ts": `export function double(n: number): number {\n  return n * 2 +;\n}\n`,
  "app_js.ts": `import { h } from "./helper_js.js";\nexport default h;\n`,
  "helper_js.js": `const a = 1;\nexport const h = a +;\n`,
};

export const SYNTAX_ERRORS: readonly SyntaxErrorCase[] = [
  { what: "at line 1", plugin: "line_one.ts", at: "line_one.ts:1:7" },
  { what: "after type annotations and a two-byte character on the same line", plugin: "annotated.ts", at: "annotated.ts:2:46" },
  { what: "after a multi-line interface", plugin: "interface.ts", at: "interface.ts:5:59" },
  { what: "in a relative .ts helper the plugin imports", plugin: "app.ts", at: "helper.ts:2:17" },
];

/** A .js helper with a syntax error: positioned by tsx and Deno; the executable's Node gives only V8's message. */
export const JS_HELPER_ERROR: SyntaxErrorCase = { what: "in a relative .js helper the plugin imports", plugin: "app_js.ts", at: "helper_js.js:2:21" };

/** A new folder holding every plugin above. */
export function syntaxErrorPlugins(): string {
  const dir = makeTempDir("uhaha-syntax-");
  for (const [name, source] of Object.entries(FILES)) writeFileSync(join(dir, name), source);
  return dir;
}

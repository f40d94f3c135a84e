/**
 * Gives the plugin loader (cli/plugin_loader.ts) a TypeScript-stripping
 * transform and the framework's exports, since the single executable's
 * embedded Node 20 cannot import `.ts` itself. Imported by sea_entry.ts
 * before the CLI, so this runs first.
 */
import { transform } from "sucrase";
import * as framework from "../mod.ts";

Object.assign(globalThis, {
  __uhahaTranspile: (source: string, file: string) => {
    try {
      return transform(source, { transforms: ["typescript"], disableESTransforms: true, filePath: file }).code;
    } catch (error) {
      const loc = (error as { loc?: { line: number; column: number } }).loc;
      const where = loc ? `${file}:${loc.line}:${loc.column + 1}` : file;
      throw new SyntaxError(`${where}: ${(error as Error).message.replace(/^Error transforming [^:]+: /, "")}`);
    }
  },
  __uhahaMod: { ...framework },
});

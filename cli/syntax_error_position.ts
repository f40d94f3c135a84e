/**
 * A plugin's syntax error as `<file>:<line>:<column>: <message>`, one line,
 * with the line and column (both from 1) of the offending token, from what
 * each runtime throws:
 *
 * - Node (the single executable's type stripping, or V8 parsing a `.js`
 *   file): a SyntaxError whose stack starts with `<file or URL>:<line>`,
 *   the source line(s), and a line with `^` under the token.
 * - tsx on Node from source: esbuild's `Transform failed with N error(s):`
 *   then `<file>:<line>:<column>: ERROR: <message>`, its column counted
 *   from 0 in UTF-8 bytes.
 * - Deno: `SyntaxError: <message>`, a code frame, and
 *   `at <file URL>:<line>:<column>`.
 *
 * Anything else is left as it is.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface SyntaxErrorPosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Line `line` (from 1) of `file`, if it can be read. */
export type ReadLine = (file: string, line: number) => string | undefined;

const NODE_HEADER = /^((?:file:\/\/|\/)[^\n]*):(\d+)\n/;
const CARET_LINE = /^( *)\^+\s*$/m;
const ESBUILD = /^Transform failed with \d+ errors?:\n(.+?):(\d+):(\d+): ERROR: (.*)$/m;
const DENO_AT = /\n\s+at (file:\/\/\S+):(\d+):(\d+)\s*$/;

/** Where `error` says a syntax error is; undefined when it is no syntax error of a known shape. */
export function syntaxErrorPosition(error: unknown, readLine: ReadLine): SyntaxErrorPosition | undefined {
  if (!(error instanceof Error)) return undefined;
  const esbuild = ESBUILD.exec(error.message);
  if (esbuild) {
    const [, file, line, byteColumn, message] = esbuild;
    const text = readLine(file, Number(line));
    // esbuild counts UTF-8 bytes; a column counts characters (UTF-16 units, as V8 and editors do).
    const column = text === undefined ? Number(byteColumn) : utf16Length(text, Number(byteColumn));
    return { file, line: Number(line), column: column + 1, message };
  }
  const deno = DENO_AT.exec(error.message);
  if (deno && error.message.startsWith("SyntaxError: ")) {
    const message = error.message.slice("SyntaxError: ".length).split("\n")[0];
    return { file: toPath(deno[1]), line: Number(deno[2]), column: Number(deno[3]), message };
  }
  const header = error.name === "SyntaxError" ? NODE_HEADER.exec(error.stack ?? "") : null;
  if (header) {
    const frame = (error.stack ?? "").slice(header[0].length).split("\n\n")[0];
    const caret = CARET_LINE.exec(frame);
    if (!caret) return undefined;
    return { file: toPath(header[1]), line: Number(header[2]), column: caret[1].length + 1, message: error.message };
  }
  return undefined;
}

/** `error` as a one-line SyntaxError at its exact position, or `error` itself. */
export function positionedSyntaxError(error: unknown): unknown {
  const at = syntaxErrorPosition(error, readSourceLine);
  return at ? new SyntaxError(`${at.file}:${at.line}:${at.column}: ${at.message}`) : error;
}

function readSourceLine(file: string, line: number): string | undefined {
  try {
    return readFileSync(file, "utf8").split("\n")[line - 1];
  } catch {
    return undefined;
  }
}

function toPath(fileOrUrl: string): string {
  return fileOrUrl.startsWith("file:") ? fileURLToPath(fileOrUrl) : fileOrUrl;
}

/** How many UTF-16 units the first `bytes` UTF-8 bytes of `text` are. */
function utf16Length(text: string, bytes: number): number {
  return new TextDecoder().decode(new TextEncoder().encode(text).subarray(0, bytes)).length;
}

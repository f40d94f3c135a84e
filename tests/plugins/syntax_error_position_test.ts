/**
 * A plugin's syntax error is reported as `<file>:<line>:<column>: <message>`
 * on one line, at the offending token, by cli.ts on this runtime (tsx on
 * Node, whose esbuild counts columns from 0 in bytes, is corrected; Deno's
 * position is exact). The parsing of each runtime's error is tested
 * directly too. The executable: tests/build/executable_syntax_error_test.ts.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, IS_DENO, spawnCli } from "../helpers/process.ts";
import { JS_HELPER_ERROR, SYNTAX_ERRORS, syntaxErrorPlugins } from "../helpers/syntax_error_plugins.ts";
import { syntaxErrorPosition } from "../../cli/syntax_error_position.ts";

describe(`syntax errors in plugins under cli.ts on ${IS_DENO ? "Deno" : "Node (tsx)"}`, () => {
  after(() => cleanup());
  const dir = syntaxErrorPlugins();

  for (const { what, plugin, at } of [...SYNTAX_ERRORS, JS_HELPER_ERROR]) {
    test(what, async () => {
      const node = spawnCli([plugin, "-v"], { cwd: dir });
      assert.equal(await node.exited, 2);
      const stderr = node.stderr();
      assert.ok(stderr.startsWith(`uhaha: cannot load ${plugin}: ${join(dir, at)}: `), stderr);
      assert.equal(stderr.indexOf("\n"), stderr.length - 1, `not one line: ${stderr}`);
    });
  }
});

describe("syntaxErrorPosition reads each runtime's error", () => {
  const noLine = () => undefined;

  test("Node: the stack's file:line header and the caret under the token", () => {
    const error = new SyntaxError("Expression expected");
    error.stack = "/p/e.ts:5\n}\nconst y: A = 1; const z: number = ;\n                                  ^\n\nSyntaxError [ERR_INVALID_TYPESCRIPT_SYNTAX]: Expression expected\n    at x (node:internal/x:1:1)";
    assert.deepEqual(syntaxErrorPosition(error, noLine), { file: "/p/e.ts", line: 5, column: 35, message: "Expression expected" });
    const v8 = new SyntaxError("Unexpected token '='");
    v8.stack = "file:///p/e.js:1\nconst = 1;\n      ^\n\nSyntaxError: Unexpected token '='";
    assert.deepEqual(syntaxErrorPosition(v8, noLine), { file: "/p/e.js", line: 1, column: 7, message: "Unexpected token '='" });
  });

  test("tsx: esbuild's column, from 0 in UTF-8 bytes, becomes a character column from 1", () => {
    const error = new Error('Transform failed with 1 error:\n/p/e.ts:2:46: ERROR: Unexpected ";"');
    const line = 'const s: string = "h\u00e9llo"; const x: number = ;';
    assert.deepEqual(syntaxErrorPosition(error, () => line), { file: "/p/e.ts", line: 2, column: 46, message: 'Unexpected ";"' });
    assert.equal(syntaxErrorPosition(error, noLine)?.column, 47, "without the line, bytes count as characters");
  });

  test("Deno: the message's first line and the `at` position", () => {
    const error = new Error("SyntaxError: Expression expected\n  |\n2 | const x = ;\n  |           ~\n    at file:///p/e.ts:2:11");
    assert.deepEqual(syntaxErrorPosition(error, noLine), { file: "/p/e.ts", line: 2, column: 11, message: "Expression expected" });
  });

  test("anything else is no position", () => {
    assert.equal(syntaxErrorPosition(new Error("cannot read /p/e.ts"), noLine), undefined);
    assert.equal(syntaxErrorPosition(new SyntaxError("Unexpected token ';'"), noLine), undefined);
    assert.equal(syntaxErrorPosition("Transform failed", noLine), undefined);
  });
});

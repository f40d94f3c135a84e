/**
 * The single executable (embedded Node 24, which strips the types of a
 * plugin's .ts files itself) reports a plugin's syntax error as
 * `<file>:<line>:<column>: <message>` at the offending token. A .js file's
 * error is V8's, which Node hands over without its position.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ensureExecutable } from "../helpers/executable.ts";
import { cleanup, spawnProcess } from "../helpers/process.ts";
import { JS_HELPER_ERROR, SYNTAX_ERRORS, syntaxErrorPlugins } from "../helpers/syntax_error_plugins.ts";

describe("syntax errors in plugins run by the lone executable", () => {
  let dir: string;
  let run: (plugin: string) => ReturnType<typeof spawnProcess>;
  before(() => {
    dir = syntaxErrorPlugins();
    const copy = join(dir, "uhaha");
    copyFileSync(ensureExecutable(), copy);
    chmodSync(copy, 0o755);
    const emptyBin = join(dir, "no-bin");
    mkdirSync(emptyBin);
    run = (plugin) => spawnProcess(copy, [plugin, "-v"], { cwd: dir, env: { PATH: emptyBin } });
  });
  after(() => cleanup());

  for (const { what, plugin, at } of SYNTAX_ERRORS) {
    test(what, async () => {
      const node = run(plugin);
      assert.equal(await node.exited, 2);
      const stderr = node.stderr();
      assert.ok(stderr.startsWith(`uhaha: cannot load ${plugin}: ${join(dir, at)}: `), stderr);
      assert.equal(stderr.indexOf("\n"), stderr.length - 1, `not one line: ${stderr}`);
    });
  }

  test(`${JS_HELPER_ERROR.what}: V8's message alone`, async () => {
    const node = run(JS_HELPER_ERROR.plugin);
    assert.equal(await node.exited, 2);
    assert.equal(node.stderr(), `uhaha: cannot load ${JS_HELPER_ERROR.plugin}: Unexpected token ';'\n`);
  });
});

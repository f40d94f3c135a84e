/**
 * validateApp, the one check of an App: table-driven over bad apps (commands'
 * arity and flags included), and
 * `main(app)`'s path (runNode) refusing an app without snapshot options —
 * which used to start and then crash at its first snapshot.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { validateApp } from "../../api/validate_app.ts";
import { makeTempDir, removeTempDirs, spawnProcess, tsRunner } from "../helpers/process.ts";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

after(() => removeTempDirs());

const base = { name: "ok", initialData: () => ({}), commands: { get: { kind: "read", run: () => null } } };

const cases: Array<[string, unknown, RegExp | undefined]> = [
  ["JSON snapshots", { ...base, jsonSnapshots: true }, undefined],
  ["custom snapshots", { ...base, snapshot: () => new Uint8Array(), restore: () => ({}) }, undefined],
  ["not an object", 42, /not an App object/],
  ["a bad name", { ...base, jsonSnapshots: true, name: "a b" }, /App.name must be/],
  ["no initialData", { ...base, jsonSnapshots: true, initialData: 1 }, /initialData must be a function/],
  ["no commands", { ...base, jsonSnapshots: true, commands: null }, /App.commands must be an object/],
  ["a store", { ...base, jsonSnapshots: true, kv: true }, undefined],
  ["kv not a boolean", { ...base, jsonSnapshots: true, kv: "yes" }, /App.kv must be true or false/],
  ["no snapshot option", { ...base }, /needs jsonSnapshots: true, or both snapshot and restore/],
  ["snapshot without restore", { ...base, snapshot: () => new Uint8Array() }, /needs jsonSnapshots: true, or both/],
  ["both snapshot options", { ...base, jsonSnapshots: true, snapshot: () => new Uint8Array(), restore: () => ({}) }, /choose one/],
  ["an unknown kind", { ...base, jsonSnapshots: true, commands: { x: { kind: "sometimes", run: () => 1 } } }, /command 'x' has unknown kind 'sometimes'/],
  ["a command without run", { ...base, jsonSnapshots: true, commands: { x: { kind: "write" } } }, /command 'x': run is not a function/],
  ["names that differ only in case", { ...base, jsonSnapshots: true, commands: { get: base.commands.get, GET: base.commands.get } }, /commands 'get' and 'GET' differ only in case/],
  ...arityAndFlagCases(),
];

/** A command's arity (a non-zero integer) and its flags (known, and not against its kind). */
function arityAndFlagCases(): Array<[string, unknown, RegExp | undefined]> {
  const withCommand = (command: Record<string, unknown>) => ({ ...base, jsonSnapshots: true, commands: { x: { run: () => null, ...command } } });
  return [
    ["arity n and -n", { ...base, jsonSnapshots: true, commands: { a: { kind: "read", arity: 2, run: () => null }, b: { kind: "write", arity: -1, run: () => null } } }, undefined],
    ["flags", withCommand({ kind: "intermediate", arity: 1, flags: ["write", "random"] }), undefined],
    ["arity 0", withCommand({ kind: "read", arity: 0 }), /command 'x': arity must be a non-zero integer .*got 0/],
    ["a fractional arity", withCommand({ kind: "read", arity: 1.5 }), /arity must be a non-zero integer .*got 1.5/],
    ["a text arity", withCommand({ kind: "read", arity: "2" }), /arity must be a non-zero integer .*got 2/],
    ["flags not an array", withCommand({ kind: "read", flags: "fast" }), /command 'x': flags must be an array/],
    ["an unknown flag", withCommand({ kind: "read", flags: ["fast", "quick"] }), /command 'x': unknown flag 'quick': use write, readonly, /],
    ["a readonly write", withCommand({ kind: "write", flags: ["readonly"] }), /a write command cannot be flagged readonly/],
    ["a read flagged write", withCommand({ kind: "read", flags: ["write"] }), /a read command cannot be flagged write/],
    ["write and readonly", withCommand({ kind: "intermediate", flags: ["readonly", "write"] }), /flags write and readonly exclude each other/],
  ];
}

for (const [name, app, expected] of cases) {
  test(`validateApp: ${name}`, () => {
    const problem = validateApp(app);
    if (expected === undefined) assert.equal(problem, undefined);
    else assert.match(problem ?? "(valid)", expected);
  });
}

test("main(app) refuses an app without snapshot options at once, with the reason, exit 2", async () => {
  const dir = makeTempDir("uhaha-validate-");
  const script = join(dir, "main.mts");
  writeFileSync(script, `
    import { main } from ${JSON.stringify(new URL("../../mod.ts", import.meta.url).href)};
    await main({ name: "nosnap", initialData: () => ({}), commands: {} } as never, ["-a", "127.0.0.1:1", "-d", ${JSON.stringify(join(dir, "data"))}]);
  `);
  const runner = tsRunner();
  const child = spawnProcess(runner.command, [...runner.args, script]);
  assert.equal(await child.exited, 2);
  assert.equal(child.stderr().trim(), "nosnap: invalid app: App needs jsonSnapshots: true, or both snapshot and restore functions");
});

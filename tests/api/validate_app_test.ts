/**
 * validateApp, the one check of an App: table-driven over bad apps, and
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
  ["no snapshot option", { ...base }, /needs jsonSnapshots: true, or both snapshot and restore/],
  ["snapshot without restore", { ...base, snapshot: () => new Uint8Array() }, /needs jsonSnapshots: true, or both/],
  ["both snapshot options", { ...base, jsonSnapshots: true, snapshot: () => new Uint8Array(), restore: () => ({}) }, /choose one/],
  ["an unknown kind", { ...base, jsonSnapshots: true, commands: { x: { kind: "sometimes", run: () => 1 } } }, /command 'x' has unknown kind 'sometimes'/],
  ["a command without run", { ...base, jsonSnapshots: true, commands: { x: { kind: "write" } } }, /command 'x': run is not a function/],
];

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

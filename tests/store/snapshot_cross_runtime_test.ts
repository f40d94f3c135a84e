/**
 * A store of 1,000,000 small entries snapshotted on this runtime restores
 * on the other (Node ↔ Deno) to the very same bytes, and the other
 * runtime's snapshot of the same store is byte-identical to this one's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ReplicatedMachine } from "../../machine/machine.ts";
import { kvApp, referenceMachine, spotCheck } from "./snapshot_reference.ts";
import { cleanup, IS_DENO, makeTempDir, REPO_ROOT, spawnProcess } from "../helpers/process.ts";

const ENTRIES = 1_000_000;

function otherRuntime(): { command: string; args: string[] } {
  return IS_DENO
    ? { command: "node", args: ["--import", `${REPO_ROOT}node_modules/tsx/dist/loader.mjs`] }
    : { command: `${REPO_ROOT}node_modules/deno/deno`, args: ["run", "-A", "--quiet", "--no-lock"] };
}

async function onOtherRuntime(...args: string[]): Promise<{ digest: string; size?: number; chunks?: number }> {
  const runner = otherRuntime();
  const child = spawnProcess(runner.command, [...runner.args, `${REPO_ROOT}tests/store/snapshot_child.ts`, ...args], { cwd: REPO_ROOT });
  const code = await child.exited;
  assert.equal(code, 0, `the other runtime failed: ${child.stderr()}`);
  return JSON.parse(child.stdout().trim().split("\n").at(-1)!);
}

const digest = (chunks: readonly Uint8Array[]) => {
  const hash = createHash("sha256");
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest("hex");
};

test(`snapshot of ${ENTRIES.toLocaleString("en")} entries: written here, restored on the other runtime, and the reverse`, async (t) => {
  t.after(cleanup);
  const dir = makeTempDir();
  const chunks = referenceMachine(ENTRIES).snapshotChunks();
  assert.ok(chunks.length > 10, "written in chunks, not one buffer");
  assert.ok(chunks.every((chunk) => chunk.length <= (1 << 20) + 64));
  const ours = digest(chunks);
  const here = join(dir, "here.snap");
  writeFileSync(here, Buffer.concat(chunks));

  const restoredThere = await onOtherRuntime("check", here, String(ENTRIES));
  assert.equal(restoredThere.digest, ours, "the other runtime restored every entry exactly");

  const there = join(dir, "there.snap");
  const writtenThere = await onOtherRuntime("write", there, String(ENTRIES));
  assert.equal(writtenThere.digest, ours, "both runtimes write the same bytes for the same store");

  const machine = new ReplicatedMachine(kvApp);
  machine.restore(new Uint8Array(readFileSync(there)));
  spotCheck(machine, ENTRIES);
  assert.equal(digest(machine.snapshotChunks()), ours);
});

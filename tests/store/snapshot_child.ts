/**
 * One side of the cross-runtime snapshot test, run on the other runtime:
 * `write <file> <n>` builds the reference store of n entries and writes a
 * machine snapshot of it; `check <file> <n>` restores one, checks it and
 * prints the digest of its own snapshot of what it restored.
 */
import { createHash } from "node:crypto";
import { writeFileSync, readFileSync } from "node:fs";
import { referenceMachine, kvApp, spotCheck } from "./snapshot_reference.ts";
import { ReplicatedMachine } from "../../machine/machine.ts";
import { storeOf } from "../../store/sync_kv.ts";

const [mode, file, count] = process.argv.slice(2);
const n = Number(count);
const digest = (chunks: readonly Uint8Array[]) => {
  const hash = createHash("sha256");
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest("hex");
};
if (mode === "write") {
  const chunks = referenceMachine(n).snapshotChunks();
  writeFileSync(file, Buffer.concat(chunks));
  console.log(JSON.stringify({ digest: digest(chunks), chunks: chunks.length }));
} else {
  const machine = new ReplicatedMachine(kvApp);
  machine.restore(new Uint8Array(readFileSync(file)));
  spotCheck(machine, n);
  console.log(JSON.stringify({ digest: digest(machine.snapshotChunks()), size: storeOf(machine.kv!).size }));
}

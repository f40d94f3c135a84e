/**
 * Child process for snapshot_store_test.ts (not a test file): commits one
 * snapshot, then writes a second one forever, printing "chunk <n>" after
 * each write; the parent SIGKILLs it mid-write.
 *
 *   usage: snapshot_child.ts <root>
 */
import process from "node:process";
import { openFileSnapshotStore } from "../../raft/storage/file_snapshot_store.ts";
import { payload } from "./_helpers.ts";

const root = process.argv[2];
const store = await openFileSnapshotStore(root, { compressionLevel: 1 });
const first = await store.create({ index: 10, term: 1, config: { members: [] }, time: 1, seed: "a" });
await first.write(payload(1, 1, 5000));
const info = await first.commit();
process.stdout.write(`committed ${info.id}\n`);
const second = await store.create({ index: 20, term: 1, config: { members: [] }, time: 2, seed: "b" });
for (let n = 1; ; n++) {
  await second.write(payload(n, 2, 64 * 1024));
  process.stdout.write(`chunk ${n}\n`);
}

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import {
  EMPTY_STABLE_STATE,
  MemoryStableStore,
  openFileStableStore,
  type StableStore,
} from "../../raft/storage/stable_store.ts";
import { StorageCorruptError } from "../../raft/storage/errors.ts";
import { recordingLogger, tempDir } from "./_helpers.ts";
import { faultIO } from "./_fault_io.ts";

const config = { members: [{ id: 1, address: "127.0.0.1:11001", voter: true }] };

function conformance(name: string, open: () => Promise<{ store: StableStore; cleanup: () => Promise<void> }>): void {
  test(`${name}: starts empty, saves, updates in call order, rejects bad state`, async () => {
    const { store, cleanup } = await open();
    try {
      assert.deepEqual(store.get(), EMPTY_STABLE_STATE);
      await store.save({ currentTerm: 3, votedFor: 2, nodeId: 1, config });
      assert.deepEqual(store.get(), { currentTerm: 3, votedFor: 2, nodeId: 1, config });
      const a = store.update({ currentTerm: 4, votedFor: null });
      const b = store.update({ votedFor: 1 });
      await Promise.all([a, b]);
      assert.deepEqual(store.get(), { currentTerm: 4, votedFor: 1, nodeId: 1, config });
      await assert.rejects(store.update({ currentTerm: -1 }), /currentTerm must be a non-negative integer/);
      await assert.rejects(store.update({ votedFor: "5" as unknown as number }), /votedFor/);
      assert.equal(store.get().currentTerm, 4);
      await store.close();
      await assert.rejects(store.update({ currentTerm: 9 }), /closed/);
    } finally {
      await cleanup();
    }
  });
}

conformance("memory stable store", () => Promise.resolve({ store: new MemoryStableStore(), cleanup: () => Promise.resolve() }));
conformance("file stable store", async () => {
  const { dir, cleanup } = await tempDir();
  return { store: await openFileStableStore(path.join(dir, "stable")), cleanup };
});

test("file stable store: survives reopen; temp, fsync, rename, fsync dir", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const file = path.join(dir, "node", "stable");
    const io = faultIO();
    const s = await openFileStableStore(file, { io });
    await s.save({ currentTerm: 7, votedFor: 3, nodeId: 3, config });
    assert.equal(io.counts.fsync, 1);
    assert.equal(io.counts.rename, 1);
    assert.equal(io.counts.syncDir, 1);
    await s.close();
    const again = await openFileStableStore(file);
    assert.deepEqual(again.get(), { currentTerm: 7, votedFor: 3, nodeId: 3, config });
    await again.close();
    const nosyncIO = faultIO();
    const n = await openFileStableStore(file, { io: nosyncIO, nosync: true });
    await n.update({ currentTerm: 8 });
    assert.equal(nosyncIO.counts.fsync + nosyncIO.counts.syncDir, 0);
    await n.close();
  } finally {
    await cleanup();
  }
});

test("file stable store: a failed save (ENOSPC) leaves the old state on disk and in memory", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const file = path.join(dir, "stable");
    const io = faultIO();
    const { logger, lines } = recordingLogger();
    const s = await openFileStableStore(file, { io, logger });
    await s.update({ currentTerm: 2, nodeId: 1 });
    io.failNext("writeAll", "ENOSPC", { partial: true });
    await assert.rejects(s.update({ currentTerm: 3 }), /ENOSPC.*previous state is intact/);
    assert.match(lines.join("\n"), /^error: saving the stable state .* ENOSPC/m);
    io.failNext("rename", "EIO");
    await assert.rejects(s.update({ currentTerm: 4 }), /EIO/);
    assert.equal(s.get().currentTerm, 2);
    const again = await openFileStableStore(file);
    assert.equal(again.get().currentTerm, 2);
    assert.equal(await fs.stat(file + ".tmp").then(() => true, () => false), false, "leftover temp file removed on open");
    await again.update({ currentTerm: 5 });
    assert.equal((await openFileStableStore(file)).get().currentTerm, 5);
  } finally {
    await cleanup();
  }
});

test("file stable store: a damaged file is a clear error naming it", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const file = path.join(dir, "stable");
    const s = await openFileStableStore(file);
    await s.update({ currentTerm: 2 });
    const bytes = await fs.readFile(file);
    bytes[bytes.length - 3] ^= 0x01;
    await fs.writeFile(file, bytes);
    await assert.rejects(openFileStableStore(file), (e: unknown) => {
      assert.ok(e instanceof StorageCorruptError);
      assert.equal(e.file, file);
      assert.match(e.message, /checksum mismatch/);
      return true;
    });
    await fs.writeFile(file, "garbage");
    await assert.rejects(openFileStableStore(file), /missing checksum line/);
  } finally {
    await cleanup();
  }
});

test("stable state: ids are numbers, the config a membership configuration; bad values are refused by name", async () => {
  const store = new MemoryStableStore();
  await store.update({ nodeId: 4, votedFor: 4 });
  assert.equal(store.get().nodeId, 4);
  assert.equal(store.get().votedFor, 4);
  const refused: [Parameters<StableStore["update"]>[0], RegExp][] = [
    [{ votedFor: 0 }, /votedFor must be a node id \(an integer ≥ 1\) or null, got 0/],
    [{ votedFor: 1.5 }, /votedFor must be a node id/],
    [{ nodeId: "01" } as never, /nodeId must be a node id \(an integer ≥ 1\) or null, got "01"/],
    [{ nodeId: 0 }, /nodeId must be a node id/],
    [{ config: { servers: [] } as never }, /config: a configuration needs a members array/],
    [{ config: { members: [{ id: "1", address: "a:1", voter: true }] } as never }, /config: member 0: id must be an integer ≥ 1, got "1"/],
    [{ config: { members: [{ id: 1, address: "a:1", voter: true }, { id: 1, address: "b:1", voter: false }] } }, /member 1: id 1 is listed twice/],
    [{ config: { members: [{ id: 1, address: 7, voter: true }] } as never }, /member 0 \(id 1\): address must be a string/],
    [{ config: { members: [{ id: 1, address: "a:1" }] } as never }, /member 0 \(id 1\): voter must be true or false/],
  ];
  for (const [patch, message] of refused) await assert.rejects(store.update(patch), message, JSON.stringify(patch));
  assert.deepEqual(store.get(), { currentTerm: 0, votedFor: 4, nodeId: 4, config: null });
  const given = { members: [{ id: 1, address: "a:1", voter: true }] };
  await store.update({ config: given });
  given.members[0].address = "changed";
  assert.equal(store.get().config?.members[0].address, "a:1", "the store keeps its own copy");
});

/** A stable file exactly as the versions before format 2 wrote it: ids as decimal text. */
const FORMAT_1_FILE = "47e9ec2d\n" +
  `{"format":"uhaha-stable/1","currentTerm":7,"votedFor":"3","nodeId":"2","config":{"members":[` +
  `{"id":1,"address":"127.0.0.1:11001","voter":true},{"id":2,"address":"127.0.0.1:11002","voter":true},` +
  `{"id":3,"address":"127.0.0.1:11003","voter":false}]}}`;

test("file stable store: a file an earlier version wrote (format 1, ids as text) opens with numeric ids, and is rewritten as format 2", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const file = path.join(dir, "stable.json");
    await fs.writeFile(file, FORMAT_1_FILE);
    const members = [
      { id: 1, address: "127.0.0.1:11001", voter: true },
      { id: 2, address: "127.0.0.1:11002", voter: true },
      { id: 3, address: "127.0.0.1:11003", voter: false },
    ];
    const old = await openFileStableStore(file);
    assert.deepEqual(old.get(), { currentTerm: 7, votedFor: 3, nodeId: 2, config: { members } });
    await old.update({ currentTerm: 8 });
    await old.close();
    const written = JSON.parse((await fs.readFile(file, "utf8")).split("\n")[1]);
    assert.deepEqual(written, { format: "uhaha-stable/2", currentTerm: 8, votedFor: 3, nodeId: 2, config: { members } });
    const again = await openFileStableStore(file);
    assert.deepEqual(again.get(), { currentTerm: 8, votedFor: 3, nodeId: 2, config: { members } });
    await again.close();
  } finally {
    await cleanup();
  }
});

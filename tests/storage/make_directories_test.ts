/** makeDirectories: component by component, owner-only, failing at once where a recursive mkdir spins. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { DIRECTORY_MODE, makeDirectories } from "../../raft/storage/make_directories.ts";
import { nodeFileIO } from "../../raft/storage/file_io.ts";
import { tempDir } from "./_helpers.ts";

const hasProc = existsSync("/proc/self/stat");

test("creates every missing component with mode 0700 and leaves existing ones alone", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await fs.chmod(dir, 0o755);
    const target = path.join(dir, "a", "b", "c");
    await makeDirectories(target);
    for (const created of ["a", "a/b", "a/b/c"]) {
      const stat = await fs.stat(path.join(dir, created));
      assert.ok(stat.isDirectory(), created);
      assert.equal(stat.mode & 0o777, DIRECTORY_MODE, created);
    }
    assert.equal((await fs.stat(dir)).mode & 0o777, 0o755, "an existing parent keeps its mode");
    await makeDirectories(target); // again: nothing to do
    assert.ok((await fs.stat(target)).isDirectory());
  } finally {
    await cleanup();
  }
});

test("a relative path is created under the working directory's view of it", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const relative = path.relative(process.cwd(), path.join(dir, "rel", "x"));
    await makeDirectories(relative);
    assert.ok((await fs.stat(path.join(dir, "rel", "x"))).isDirectory());
  } finally {
    await cleanup();
  }
});

test("many concurrent calls for overlapping trees all succeed", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const targets = Array.from({ length: 20 }, (_, i) => path.join(dir, "p", "q", String(i % 4), "r"));
    await Promise.all(targets.map((target) => makeDirectories(target)));
    for (const target of targets) assert.ok((await fs.stat(target)).isDirectory());
  } finally {
    await cleanup();
  }
});

test("a file in the way is ENOTDIR, naming the directory asked for and the file", async () => {
  const { dir, cleanup } = await tempDir();
  try {
    await fs.writeFile(path.join(dir, "f"), "x");
    const target = path.join(dir, "f", "g");
    await assert.rejects(makeDirectories(target), (error: Error & { code?: string }) => {
      assert.equal(error.code, "ENOTDIR");
      assert.equal(error.message.startsWith(`cannot create data directory '${target}': ENOTDIR`), true, error.message);
      return true;
    });
    await assert.rejects(makeDirectories(path.join(dir, "f")), /'.*f' exists and is not a directory/);
  } finally {
    await cleanup();
  }
});

test("/proc/x fails at once with ENOENT naming the component (recursive mkdir spins there forever)", { skip: !hasProc && "no /proc" }, async () => {
  const started = Date.now();
  for (const create of [makeDirectories, nodeFileIO.mkdirp]) {
    await assert.rejects(create("/proc/x/kvdb/1"), (error: Error & { code?: string }) => {
      assert.equal(error.code, "ENOENT");
      assert.match(error.message, /^cannot create data directory '\/proc\/x\/kvdb\/1': ENOENT: .*mkdir '\/proc\/x'/);
      return true;
    });
  }
  assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
});

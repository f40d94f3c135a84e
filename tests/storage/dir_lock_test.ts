/**
 * lockDirectory: one process per node directory. Parsing, liveness, the
 * lock file's life, stale takeovers, and 20 processes racing for one lock.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import {
  DirLockedError,
  isHolderAlive,
  LOCK_FILE_MODE,
  LOCK_FILE_NAME,
  type LockHolder,
  lockDirectory,
  parseHolder,
  parseProcStat,
  takeoverFileFor,
} from "../../raft/storage/dir_lock.ts";
import { cleanup, makeTempDir, type Spawned, spawnProcess, tsRunner, waitFor } from "../helpers/process.ts";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "dir_lock_child.ts");
const hasProc = existsSync("/proc/self/stat");
const noProc = !hasProc && "no /proc";

after(() => cleanup());

/** A dir_lock_child.ts process: `send` a command, `replies` are its output lines after "ready". */
interface Locker {
  readonly process: Spawned;
  send(line: string): void;
  replies(): string[];
}

async function startLockers(count: number): Promise<Locker[]> {
  const runner = tsRunner();
  const lockers = Array.from({ length: count }, () => {
    const child = spawnProcess(runner.command, [...runner.args, CHILD], { stdio: ["pipe", "pipe", "pipe"] });
    return {
      process: child,
      send: (line: string) => void child.child.stdin!.write(line + "\n"),
      replies: () => child.stdout().split("\n").filter((line) => line !== "" && !line.startsWith("ready ")),
    };
  });
  await waitFor(`${count} lock children to be ready`, () => {
    const dead = lockers.find((locker) => locker.process.child.exitCode !== null);
    if (dead) throw new Error(`a lock child exited: ${dead.process.stderr()}`);
    return lockers.every((locker) => locker.process.stdout().startsWith("ready "));
  }, 60_000);
  return lockers;
}

/** This process's own holder record, as a lock it takes writes it. */
async function ownHolder(): Promise<LockHolder> {
  const lock = await lockDirectory(makeTempDir());
  lock.release();
  return lock.holder;
}

async function lockFileState(file: string): Promise<{ ino: bigint; mtimeNs: bigint; text: string }> {
  const stat = await fs.stat(file, { bigint: true });
  return { ino: stat.ino, mtimeNs: stat.mtimeNs, text: await fs.readFile(file, "utf8") };
}

async function leftovers(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((name) => name !== LOCK_FILE_NAME);
}

test("parseProcStat counts fields after the command name's last ')'", () => {
  const fields3to22 = ["S", ...Array.from({ length: 18 }, (_, i) => String(i + 1)), "123456"];
  assert.deepEqual(parseProcStat(`42 (node) ${fields3to22.join(" ")} 0 0\n`), { state: "S", startTime: "123456" });
  assert.deepEqual(parseProcStat(`42 (a) b (c)) ${fields3to22.join(" ")} 7`), { state: "S", startTime: "123456" });
  assert.equal(parseProcStat("42 (node) S 1 2 3"), undefined);
  assert.equal(parseProcStat("garbage"), undefined);
  assert.equal(parseProcStat(`42 (x) ${["Z", ...Array(18).fill("0"), "-"].join(" ")}`), undefined);
});

test("parseHolder accepts only a complete holder record", () => {
  assert.deepEqual(parseHolder('{"pid":7,"start":"99","boot":"b","nonce":"n"}\n'), { pid: 7, start: "99", boot: "b", nonce: "n" });
  assert.deepEqual(parseHolder('{"pid":7,"nonce":"n"}'), { pid: 7, start: undefined, boot: undefined, nonce: "n" });
  for (const text of ["", "{", '{"pid":7}', '{"pid":0,"nonce":"n"}', '{"pid":"7","nonce":"n"}', '{"pid":7,"nonce":"n","start":5}', "null", "7"]) {
    assert.equal(parseHolder(text), undefined, text);
  }
});

test("isHolderAlive: this process yes; a recycled pid, another boot or a killed process no", { skip: noProc }, async () => {
  const me = await ownHolder();
  assert.equal(typeof me.start, "string");
  assert.equal(isHolderAlive(me), true);
  assert.equal(isHolderAlive({ ...me, start: String(Number(me.start) + 1) }), false, "same pid, other start time");
  assert.equal(isHolderAlive({ ...me, boot: "an-earlier-boot" }), false, "another boot");
  const [locker] = await startLockers(1);
  assert.equal(isHolderAlive({ pid: locker.process.pid, nonce: "x" }), true);
  await locker.process.kill("SIGKILL");
  assert.equal(isHolderAlive({ pid: locker.process.pid, nonce: "x" }), false);
});

test("the lock file is 0600 and names this process; a second lock is refused and changes nothing", async () => {
  const dir = path.join(makeTempDir(), "app", "1");
  const lock = await lockDirectory(dir);
  const file = path.join(dir, LOCK_FILE_NAME);
  assert.equal(lock.file, file);
  assert.equal((await fs.stat(file)).mode & 0o777, LOCK_FILE_MODE);
  assert.equal(parseHolder(await fs.readFile(file, "utf8"))?.pid, process.pid);

  const before = { names: await fs.readdir(dir), dir: (await fs.stat(dir)).mtimeMs, file: await lockFileState(file) };
  await assert.rejects(lockDirectory(dir), (error: Error) => {
    assert.ok(error instanceof DirLockedError);
    assert.equal(error.pid, process.pid);
    assert.equal(error.dir, dir);
    assert.equal(error.message, `node directory '${dir}' is in use by process ${process.pid} (lock file '${file}'); one process at a time may use it`);
    return true;
  });
  assert.deepEqual({ names: await fs.readdir(dir), dir: (await fs.stat(dir)).mtimeMs, file: await lockFileState(file) }, before);

  lock.release();
  assert.equal(existsSync(file), false);
  const again = await lockDirectory(dir);
  lock.release(); // idempotent: leaves the newer lock alone
  assert.equal(parseHolder(await fs.readFile(file, "utf8"))?.nonce, again.holder.nonce);
  await fs.writeFile(file, JSON.stringify({ ...again.holder, nonce: "someone-else" }));
  again.release(); // not its file any more
  assert.equal(existsSync(file), true);
});

test("stale locks are taken over: recycled pid, earlier boot, unparsed and old", { skip: noProc }, async () => {
  const me = await ownHolder();
  const stale: Array<[string, string]> = [
    ["recycled pid", JSON.stringify({ ...me, start: String(Number(me.start) + 1), nonce: "a" })],
    ["earlier boot", JSON.stringify({ ...me, boot: "an-earlier-boot", nonce: "b" })],
    ["unparsed and old", ""],
  ];
  for (const [what, text] of stale) {
    const dir = makeTempDir();
    const file = path.join(dir, LOCK_FILE_NAME);
    await fs.writeFile(file, text);
    if (text === "") await fs.utimes(file, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    const lock = await lockDirectory(dir);
    assert.equal(parseHolder(await fs.readFile(file, "utf8"))?.nonce, lock.holder.nonce, what);
    assert.deepEqual(await leftovers(dir), [], what);
    lock.release();
  }
});

test("a young lock file that does not parse yet is being written: wait, then refuse", async () => {
  const dir = makeTempDir();
  await fs.writeFile(path.join(dir, LOCK_FILE_NAME), "{");
  const started = Date.now();
  await assert.rejects(lockDirectory(dir, { waitMs: 200 }), (error: Error) => {
    assert.ok(error instanceof DirLockedError);
    assert.equal(error.pid, undefined);
    assert.match(error.message, /is in use by another process/);
    return true;
  });
  assert.ok(Date.now() - started >= 200);
  assert.equal(await fs.readFile(path.join(dir, LOCK_FILE_NAME), "utf8"), "{");
});

test("a takeover in progress by a live process waits; one left by a dead process does not block", { skip: noProc }, async () => {
  const me = await ownHolder();
  const dir = makeTempDir();
  const file = path.join(dir, LOCK_FILE_NAME);
  await fs.writeFile(file, JSON.stringify({ ...me, boot: "an-earlier-boot", nonce: "stale" }));
  const takeover = takeoverFileFor(file, await lockFileState(file));

  await fs.writeFile(takeover, JSON.stringify({ ...me, nonce: "live-taker" }));
  await assert.rejects(lockDirectory(dir, { waitMs: 200 }), (error: Error) => error instanceof DirLockedError && error.pid === process.pid);

  await fs.writeFile(takeover, JSON.stringify({ ...me, boot: "an-earlier-boot", nonce: "dead-taker" }));
  const lock = await lockDirectory(dir);
  assert.equal(parseHolder(await fs.readFile(file, "utf8"))?.nonce, lock.holder.nonce);
  assert.deepEqual(await leftovers(dir), []);
  lock.release();
});

test("20 processes race for one lock: exactly one wins, on a new directory and over a SIGKILLed winner's lock", async () => {
  const lockers = await startLockers(20);
  const dir = path.join(makeTempDir(), "kvdb", "1");

  async function race(contenders: Locker[], round: number): Promise<Locker> {
    for (const locker of contenders) locker.send(`lock ${dir}`);
    await waitFor(`${contenders.length} answers in round ${round}`, () => contenders.every((locker) => locker.replies().length >= round), 60_000);
    const answers = contenders.map((locker) => locker.replies()[round - 1]);
    const winners = contenders.filter((_, i) => answers[i] === `locked ${dir}`);
    assert.equal(winners.length, 1, answers.join("\n"));
    const winner = winners[0];
    for (const answer of answers.filter((answer) => answer !== `locked ${dir}`)) {
      assert.equal(answer, `refused node directory '${dir}' is in use by process ${winner.process.pid} (lock file '${path.join(dir, LOCK_FILE_NAME)}'); one process at a time may use it`);
    }
    assert.equal(parseHolder(await fs.readFile(path.join(dir, LOCK_FILE_NAME), "utf8"))?.pid, winner.process.pid);
    assert.deepEqual(await leftovers(dir), []);
    return winner;
  }

  const first = await race(lockers, 1);
  await first.process.kill("SIGKILL");
  const others = lockers.filter((locker) => locker !== first);
  const second = await race(others, 2);
  second.send("release");
  await waitFor("the release", () => second.replies().includes("released"));
  assert.equal(existsSync(path.join(dir, LOCK_FILE_NAME)), false);
  for (const locker of others) locker.process.child.stdin!.end();
  assert.deepEqual(await Promise.all(others.map((locker) => locker.process.exited)), others.map(() => 0));
});

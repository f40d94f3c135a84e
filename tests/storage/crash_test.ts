/**
 * Crash injection with real processes: crash_child.ts appends batches and
 * prints each synced index; we SIGKILL it at random moments (sometimes even
 * while it is still recovering), reopen, and check that every acknowledged
 * entry is present and identical, that nothing else is returned, and that
 * appends continue.
 *
 * Rounds per run: UHAHA_CRASH_ROUNDS (default 140 on Deno, 60 on Node,
 * where a child takes ~0.3 s to start: 200 across the two runtimes, each
 * run well under a minute). Seed: UHAHA_CRASH_SEED replays a run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { openFileLogStore } from "../../raft/storage/file_log_store.ts";
import { crashEntry } from "./_crash_model.ts";
import { isDeno, tempDir } from "./_helpers.ts";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "crash_child.ts");
const ROUNDS = Number(process.env.UHAHA_CRASH_ROUNDS ?? (isDeno ? 140 : 60));
const SEED = Number(process.env.UHAHA_CRASH_SEED ?? (Date.now() % 1_000_000));

function childCommand(dir: string, seed: number): { cmd: string; args: string[] } {
  return isDeno
    ? { cmd: process.execPath, args: ["run", "-A", CHILD, dir, String(seed)] }
    : { cmd: process.execPath, args: ["--import", "tsx", CHILD, dir, String(seed)] };
}

interface RoundResult {
  maxAck: number;
  stderr: string;
  truncates: number;
  compactions: number;
  acks: number;
}

/** Runs the child until it has printed `killAfterAcks` acks (-1: kill at once), then SIGKILLs it by PID. */
function crashRound(dir: string, seed: number, killAfterAcks: number, tearAtWrite: number): Promise<RoundResult> {
  const { cmd, args } = childCommand(dir, seed);
  args.push(String(tearAtWrite));
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  const pid = child.pid!;
  let maxAck = 0;
  let acks = 0;
  let truncates = 0;
  let compactions = 0;
  let stderr = "";
  let killed = false;
  let buffered = "";
  const kill = () => {
    if (killed) return;
    killed = true;
    try {
      process.kill(pid, "SIGKILL");
    } catch { /* already gone */ }
  };
  if (killAfterAcks < 0) kill();
  // Guard against a hung child (a failure, not a timing assumption): kill it and fail the round.
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    kill();
  }, 30_000);
  return new Promise<RoundResult>((resolve, reject) => {
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const m = /^ack (\d+)$/.exec(line);
        if (m) {
          maxAck = Math.max(maxAck, Number(m[1]));
          acks++;
        }
        const cut = /^truncate (\d+)$/.exec(line);
        if (cut) {
          maxAck = Math.min(maxAck, Number(cut[1]) - 1); // entries from there on are no longer promised
          truncates++;
        }
        if (line.startsWith("compact ")) compactions++;
        if (line === "torn" || ((m || line.startsWith("ready")) && acks >= killAfterAcks && tearAtWrite === 0)) kill();
      }
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => (stderr += chunk));
    child.on("error", (err) => {
      kill();
      reject(err);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(guard);
      if (hung) reject(new Error(`child made no progress for 30 s (killed); stderr:\n${stderr}`));
      else if (!killed) reject(new Error(`child exited by itself (code ${code}, signal ${signal}):\n${stderr}`));
      else resolve({ maxAck, stderr, truncates, compactions, acks });
    });
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function verify(dir: string, fromIndex: number, maxAck: number, context: string): Promise<{ last: number; cut: boolean }> {
  let cut = false;
  const log = await openFileLogStore(dir, { logger: (_level, message) => void (cut ||= /torn tail|header is incomplete/.test(message)) });
  try {
    const last = log.lastIndex();
    assert.ok(last >= maxAck, `${context}: acknowledged index ${maxAck} but the log ends at ${last}`);
    const got = await log.entries(Math.max(log.firstIndex(), fromIndex), last + 1);
    for (const e of got) {
      const want = crashEntry(e.index);
      if (e.term !== want.term || e.kind !== want.kind || !sameBytes(e.data, want.data)) {
        assert.deepEqual(e, want, `${context}: entry ${e.index} differs`);
      }
    }
    return { last, cut };
  } finally {
    await log.close();
  }
}

test(`crash injection: ${ROUNDS} SIGKILL rounds (seed ${SEED})`, async (t) => {
  const { dir, cleanup } = await tempDir("uhaha-crash-");
  let rng = SEED >>> 0 || 1;
  const rand = (n: number) => {
    rng = (rng * 1103515245 + 12345) >>> 0;
    return (rng >>> 8) % n;
  };
  const replay = `replay: UHAHA_CRASH_SEED=${SEED}`;
  try {
    let verifiedUpTo = 0;
    let totalAcked = 0;
    let tornCuts = 0;
    let tears = 0;
    let truncated = 0;
    let compacted = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const r = rand(20);
      const killAfter = r === 0 ? -1 : r === 1 ? 0 : rand(60);
      // A third of the rounds tear a write (a random prefix reaches the file) before the kill.
      const tearAt = rand(3) === 0 ? 1 + rand(40) : 0;
      const { maxAck, stderr, truncates, compactions, acks } = await crashRound(dir, rand(1 << 30), killAfter, tearAt);
      assert.doesNotMatch(stderr, /^error/m, `round ${round}: child logged an error (${replay})\n${stderr}`);
      if (tearAt) tears++;
      truncated += truncates;
      compacted += compactions;
      const fullCheck = round % 10 === 0 || round === ROUNDS;
      const { last, cut } = await verify(dir, fullCheck ? 1 : verifiedUpTo - 50, maxAck, `round ${round} (${replay})`);
      if (cut) tornCuts++;
      totalAcked += acks;
      verifiedUpTo = last;
    }
    // Appends continue after the last crash, in this process.
    const log = await openFileLogStore(dir, { logger: () => {} });
    const next = log.lastIndex() + 1;
    await log.append([crashEntry(next), crashEntry(next + 1)]);
    assert.deepEqual(await log.entries(next, next + 2), [crashEntry(next), crashEntry(next + 1)]);
    await log.close();
    t.diagnostic(`${ROUNDS} rounds, ${totalAcked} batches acknowledged, ${tears} torn writes injected, ${truncated} truncations, ${compacted} compactions, ${tornCuts} recoveries cut a torn tail, ${replay}`);
  } finally {
    await cleanup();
  }
});

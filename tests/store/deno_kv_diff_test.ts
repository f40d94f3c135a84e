/**
 * The store against the real Deno KV: the same seeded operation sequences
 * run in a Deno child process on Deno.openKv(":memory:") and here on
 * store/; every result, list order, cursor and error must agree, and
 * versionstamps must order alike. Replay one seed: DIFF_SEED=n.
 *
 * What Deno KV does that this store does not copy (so the generator stays
 * clear of it; see the tests named below):
 * - A commit whose sum/min/max is refused (a non-KvU64 value, sums of
 *   mixed types) throws, yet keeps the mutations before it (sqlite
 *   backend: the error is per write, the transaction still commits). Here
 *   nothing is written. Only single-mutation writes meet those errors here.
 * - Expired entries stay readable until a background sweep (a probe saw
 *   an entry set with expireIn 1 ms vanish after 60.5 s); here they vanish
 *   at their expiry, by machine time. Expiring sets here use an hour.
 * - Values are measured for the 64 KiB limit in V8's serialization; here
 *   in this store's encoding (equal for Uint8Array and KvU64, which both
 *   store raw): only Uint8Array values probe the limit.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { openKv } from "../../store/kv.ts";
import { KvU64 } from "../../store/kv_u64.ts";
import { generate, type KvLike, type Op, rankVersionstamps, runOp } from "./kv_diff_ops.ts";
import type { Wire } from "./kv_wire.ts";
import { REPO_ROOT, spawnProcess } from "../helpers/process.ts";

const API_SEEDS = 220;
const OPS_PER_SEED = 50;
const ORDER_SEEDS = 40;
const only = process.env.DIFF_SEED === undefined ? undefined : Number(process.env.DIFF_SEED);

interface Run {
  seed: number;
  ops: Op[];
}

function runs(): Run[] {
  const out: Run[] = [];
  for (let seed = 1; seed <= API_SEEDS; seed++) out.push({ seed, ops: generate(seed, OPS_PER_SEED, "api") });
  for (let seed = 10_001; seed <= 10_000 + ORDER_SEEDS; seed++) out.push({ seed, ops: generate(seed, 0, "order") });
  return only === undefined ? out : out.filter((run) => run.seed === only);
}

async function denoResults(ops: Op[]): Promise<Wire[]> {
  const child = spawnProcess(`${REPO_ROOT}node_modules/deno/deno`, ["run", "--quiet", "--unstable-kv", "--no-lock", `${REPO_ROOT}tests/store/deno_kv_child.ts`], {
    stdio: ["pipe", "pipe", "pipe"],
    cwd: REPO_ROOT,
  });
  child.child.stdin!.end(ops.map((op) => JSON.stringify(op)).join("\n") + "\n");
  const code = await child.exited;
  assert.equal(code, 0, `the Deno KV child failed: ${child.stderr()}`);
  const lines = child.stdout().split("\n").filter(Boolean);
  assert.equal(lines.length, ops.length, `the Deno KV child answered ${lines.length} of ${ops.length} ops: ${child.stderr()}`);
  return lines.map((line) => JSON.parse(line));
}

async function storeResults(ops: Op[]): Promise<Wire[]> {
  let kv: KvLike = await openKv();
  const results: Wire[] = [];
  for (const op of ops) {
    if (op.t === "reset") kv = await openKv();
    results.push(await runOp(kv, op, (n) => new KvU64(n)));
  }
  return results;
}

test(`differential: ${API_SEEDS} API seeds × ${OPS_PER_SEED} ops and ${ORDER_SEEDS} key-order seeds agree with Deno.openKv(":memory:")`, async () => {
  const all = runs();
  const ops = all.flatMap((run) => run.ops);
  const [theirs, ours] = await Promise.all([denoResults(ops), storeResults(ops)]);
  let at = 0;
  let errors = 0;
  let listed = 0;
  let checkFailed = 0;
  for (const run of all) {
    const n = run.ops.length;
    const a = rankVersionstamps(ours.slice(at, at + n));
    const b = rankVersionstamps(theirs.slice(at, at + n));
    for (let i = 0; i < n; i++) {
      assert.deepEqual(a[i], b[i], `seed ${run.seed} op ${i}: ${JSON.stringify(run.ops[i])} (replay: DIFF_SEED=${run.seed})`);
      if (a[i] && typeof a[i] === "object" && JSON.stringify(a[i]).includes('"error"')) errors++;
      if (run.ops[i].t === "list") listed++;
      if (JSON.stringify(a[i]) === '{"ok":false}') checkFailed++;
    }
    at += n;
  }
  if (only === undefined) {
    assert.ok(ops.length >= 10_000, `${ops.length} ops`);
    // The sequences must reach the refusals and the listings, not only happy paths.
    assert.ok(errors > 200 && listed > 2000 && checkFailed > 100, `${errors} errors, ${listed} listings, ${checkFailed} failed checks`);
  }
  console.log(`differential: ${ops.length} ops over ${all.length} seeds; ${listed} listings, ${errors} refused, ${checkFailed} atomic checks failed`);
});

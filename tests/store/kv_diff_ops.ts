/**
 * Randomized operation sequences for comparing the store with the real
 * Deno KV, and the one runner that applies them to either (it only uses
 * the Deno.Kv API, so the same code runs against both).
 */
// deno-lint-ignore-file no-explicit-any
import { fromWire, keyFromWire, keyToWire, toWire, type Wire } from "./kv_wire.ts";

export type Op =
  | { t: "reset" }
  /** `versionstamped`: the key ends with commitVersionstamp(). */
  | { t: "set"; key: Wire[]; value: Wire; expireIn?: number; versionstamped?: boolean }
  | { t: "get"; key: Wire[] }
  | { t: "getMany"; keys: Wire[][] }
  | { t: "delete"; key: Wire[] }
  | { t: "list"; selector: { prefix?: Wire[]; start?: Wire[]; end?: Wire[] }; limit?: number; reverse?: boolean; batchSize?: number; cursor?: string; pages: number }
  | { t: "mutate"; type: string; key: Wire[]; value?: Wire; expireIn?: number }
  | { t: "atomic"; checks: { key: Wire[]; vs: "null" | "current" | "stale" | "bad" }[]; muts: { type: string; key: Wire[]; value?: Wire; n?: string; expireIn?: number }[] };

/** A seeded PRNG (mulberry32): a failing seed replays exactly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PARTS: unknown[] = [
  new Uint8Array([]), new Uint8Array([0]), new Uint8Array([0, 0]), new Uint8Array([1]), new Uint8Array([255]),
  "", "a", "a\0", "ab", "b", "é", "\u{1F600}",
  -(2n ** 70n), -256n, -1n, 0n, 1n, 255n, 2n ** 64n,
  -Infinity, -1.5, -0, 0, 1, 2.5, Infinity, NaN,
  false, true,
];

function randomPart(rand: () => number, wild: boolean): unknown {
  if (!wild) return PARTS[Math.floor(rand() * PARTS.length)];
  switch (Math.floor(rand() * 5)) {
    case 0:
      return Uint8Array.from({ length: Math.floor(rand() * 4) }, () => Math.floor(rand() * 3) * 127);
    case 1:
      return Array.from({ length: Math.floor(rand() * 4) }, () => ["a", "b", "\0", "ÿ", "\u{10000}", "z"][Math.floor(rand() * 6)]).join("");
    case 2:
      return BigInt(Math.floor((rand() - 0.5) * 2 ** 20)) * (rand() < 0.2 ? 2n ** BigInt(Math.floor(rand() * 90)) : 1n);
    case 3: {
      const special = [NaN, -0, 0, Infinity, -Infinity, Number.MIN_VALUE, -Number.MAX_VALUE];
      return rand() < 0.3 ? special[Math.floor(rand() * special.length)] : (rand() - 0.5) * 10 ** Math.floor(rand() * 12);
    }
    default:
      return rand() < 0.5;
  }
}

function randomValue(rand: () => number, depth = 0): unknown {
  const pick = Math.floor(rand() * (depth > 1 ? 8 : 12));
  switch (pick) {
    case 0:
      return Math.floor(rand() * 1000) - 500;
    case 1:
      return "s" + Math.floor(rand() * 100);
    case 2:
      return BigInt(Math.floor(rand() * 1e6)) - 500000n;
    case 3:
      return rand() < 0.5;
    case 4:
      return null;
    case 5:
      return Uint8Array.from({ length: Math.floor(rand() * 5) }, () => Math.floor(rand() * 256));
    case 6:
      return new Date(Math.floor(rand() * 2e12));
    case 7:
      return [-0, NaN, 1.5, undefined][Math.floor(rand() * 4)];
    case 8:
      return { a: randomValue(rand, depth + 1), b: [randomValue(rand, depth + 1), randomValue(rand, depth + 1)] };
    case 9:
      return new Map<unknown, unknown>([[randomValue(rand, depth + 1), randomValue(rand, depth + 1)]]);
    case 10:
      return new Set([randomValue(rand, depth + 1), "x"]);
    default:
      return /ab+c/gi;
  }
}

const U64S = [0n, 1n, 2n, 1000n, 2n ** 63n, 2n ** 64n - 2n, 2n ** 64n - 1n];

/** The operations of one seed: ordinary seeds exercise the whole API; "order" seeds fuzz key order with wild keys. */
export function generate(seed: number, count: number, kind: "api" | "order"): Op[] {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const wild = kind === "order";
  const pool: unknown[][] = Array.from({ length: wild ? 60 : 24 }, () =>
    Array.from({ length: 1 + int(3) }, () => randomPart(rand, wild)));
  const counters: unknown[][] = [["ctr", 0n], ["ctr", 1n], ["ctr", 2n]];
  const key = () => pool[int(pool.length)];
  const w = (k: unknown[]) => keyToWire(k);
  const ops: Op[] = [{ t: "reset" }];
  if (wild) {
    for (const k of pool) ops.push({ t: "set", key: w(k), value: toWire(k.length) });
    ops.push({ t: "list", selector: { prefix: [] }, pages: 1 });
    ops.push({ t: "list", selector: { prefix: [] }, reverse: true, limit: 7, batchSize: 3, pages: 20 });
    for (let i = 0; i < 6; i++) {
      const [a, b] = [key(), key()];
      ops.push({ t: "list", selector: { start: w(a), end: w(b) }, reverse: rand() < 0.5, limit: 1 + int(9), pages: 10 });
    }
    return ops;
  }
  let cursorPool: string[] = ["", "AA==", "AgA=", "!!", "_w"];
  while (ops.length < count) {
    const r = rand();
    if (r < 0.22) {
      const op: Op = { t: "set", key: w(key()), value: toWire(randomValue(rand)) };
      if (rand() < 0.15) op.expireIn = 3_600_000 + int(1000);
      if (rand() < 0.08) op.versionstamped = true;
      ops.push(op);
    } else if (r < 0.34) {
      ops.push({ t: "get", key: w(rand() < 0.9 ? key() : counters[int(3)]) });
    } else if (r < 0.40) {
      ops.push({ t: "getMany", keys: Array.from({ length: 1 + int(rand() < 0.05 ? 12 : 4) }, () => w(key())) });
    } else if (r < 0.48) {
      ops.push({ t: "delete", key: w(key()) });
    } else if (r < 0.72) {
      const base = key();
      const prefix = base.slice(0, int(base.length));
      const shape = int(5);
      const extend = () => [...prefix, ...(rand() < 0.8 ? [randomPart(rand, false)] : [])];
      const selector = shape === 0 || shape === 1
        ? { prefix: w(prefix) }
        : shape === 2
        ? { start: w(key()), end: w(key()) }
        : shape === 3
        ? { prefix: w(prefix), start: w(rand() < 0.9 ? extend() : key()) }
        : { prefix: w(prefix), end: w(rand() < 0.9 ? extend() : key()) };
      const op: Op = { t: "list", selector, pages: 1 + int(4) };
      if (rand() < 0.6) op.limit = rand() < 0.03 ? 0 : 1 + int(4);
      if (rand() < 0.5) op.reverse = true;
      if (rand() < 0.3) op.batchSize = rand() < 0.02 ? 1001 : 1 + int(3);
      if (rand() < 0.1) op.cursor = cursorPool[int(cursorPool.length)];
      ops.push(op);
    } else if (r < 0.76) {
      // One mutation through mutate(): sums of numbers and bigints, and what Deno KV refuses (alone in its write:
      // a refused write keeps earlier mutations in Deno KV, none here).
      const nums: unknown[][] = [["num", 0], ["num", 1], ["num", 2]];
      const type = ["sum", "sum", "sum", "min", "max", "set", "delete"][int(7)];
      const operands: unknown[] = [int(10) - 3, 2.5, -0, BigInt(int(10) - 3), 2n ** 64n - 1n, "text", new Uint8Array([1])];
      const operand = rand() < 0.25 ? { $u64: String(U64S[int(U64S.length)]) } : toWire(operands[int(operands.length)]);
      // Never the counters: atomic() writes below may sum them, and must not meet a refusal after other mutations.
      const op: Op = { t: "mutate", type, key: w(nums[int(3)]) };
      if (type !== "delete") op.value = operand;
      if (type === "set" && rand() < 0.3) op.expireIn = 3_600_000;
      ops.push(op);
    } else if (r < 0.97) {
      const checks = Array.from({ length: int(3) }, () => ({
        key: w(rand() < 0.8 ? key() : counters[int(3)]),
        vs: (["null", "current", "current", "stale", rand() < 0.1 ? "bad" : "current"] as const)[int(5)],
      }));
      const muts = Array.from({ length: 1 + int(4) }, () => {
        const m = int(6);
        if (m === 0) return { type: rand() < 0.15 ? "setvs" : "set", key: w(key()), value: toWire(randomValue(rand)) };
        if (m === 1) return { type: "delete", key: w(key()) };
        if (m === 2) return { type: "set", key: w(counters[int(3)]), value: { $u64: String(U64S[int(U64S.length)]) } };
        return { type: ["sum", "min", "max"][m - 3], key: w(counters[int(3)]), n: String(U64S[int(U64S.length)]) };
      });
      ops.push({ t: "atomic", checks, muts });
    } else {
      // Inputs Deno KV refuses.
      const bad = int(5);
      if (bad === 0) ops.push({ t: "set", key: [], value: 1 });
      else if (bad === 1) ops.push({ t: "set", key: ["x".repeat(2040 + int(10))], value: 1 });
      else if (bad === 2) ops.push({ t: "set", key: w(key()), value: { $bytes: new Array(65535 + int(3)).fill(7) } });
      else if (bad === 3) ops.push({ t: "atomic", checks: [], muts: [{ type: "sum", key: w(pool[0]), n: "1" }] });
      else ops.push({ t: "get", key: ["y".repeat(2044 + int(6))] });
    }
    cursorPool = cursorPool.slice(-8);
  }
  return ops;
}

export interface KvLike {
  get(key: any[]): Promise<any>;
  getMany(keys: any[][]): Promise<any[]>;
  set(key: any[], value: unknown, options?: { expireIn?: number }): Promise<any>;
  delete(key: any[]): Promise<void>;
  list(selector: any, options?: any): AsyncIterableIterator<any> & { readonly cursor: string };
  atomic(): any;
  commitVersionstamp(): symbol;
}

function entryWire(entry: any): Wire {
  return { key: keyToWire(entry.key), value: toWire(entry.value), versionstamp: entry.versionstamp };
}

async function capture(run: () => Promise<Wire>): Promise<Wire> {
  try {
    return await run();
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Applies one op to a Deno.Kv-shaped store; the result as wire JSON. */
export function runOp(kv: KvLike, op: Op, u64: (n: bigint) => unknown): Promise<Wire> {
  const k = (key: Wire[]) => keyFromWire(key, u64);
  const v = (value: Wire) => fromWire(value, u64);
  switch (op.t) {
    case "reset":
      return Promise.resolve(null);
    case "set":
      return capture(async () => {
        const key = op.versionstamped ? [...k(op.key), kv.commitVersionstamp()] : k(op.key);
        return (await kv.set(key, v(op.value), op.expireIn ? { expireIn: op.expireIn } : undefined)) as Wire;
      });
    case "get":
      return capture(async () => entryWire(await kv.get(k(op.key))));
    case "getMany":
      return capture(async () => (await kv.getMany(op.keys.map(k))).map(entryWire));
    case "delete":
      return capture(async () => (await kv.delete(k(op.key))) ?? null);
    case "list":
      return capture(async () => {
        const selector: Record<string, unknown> = {};
        for (const [name, key] of Object.entries(op.selector)) selector[name] = k(key!);
        const pages: Wire[] = [];
        let cursor = op.cursor;
        for (let page = 0; page < op.pages; page++) {
          const options: Record<string, unknown> = { cursor };
          if (op.limit !== undefined) options.limit = op.limit;
          if (op.reverse) options.reverse = true;
          if (op.batchSize !== undefined) options.batchSize = op.batchSize;
          let entries: Wire[] = [];
          let result: Wire;
          try {
            const iter = kv.list(selector, options);
            for await (const entry of iter) entries.push(entryWire(entry));
            cursor = iter.cursor;
            result = { entries, cursor };
          } catch (error) {
            result = { entries, error: (error as Error).message };
            entries = [];
          }
          pages.push(result);
          if (!cursor || "error" in (result as object)) break;
        }
        return pages;
      });
    case "mutate":
      return capture(async () => {
        const mutation: Record<string, unknown> = { type: op.type, key: k(op.key) };
        if (op.value !== undefined) mutation.value = v(op.value);
        if (op.expireIn !== undefined) mutation.expireIn = op.expireIn;
        return await kv.atomic().mutate(mutation).commit();
      });
    case "atomic":
      return capture(async () => {
        const atomic = kv.atomic();
        for (const check of op.checks) {
          const versionstamp = check.vs === "null"
            ? null
            : check.vs === "stale"
            ? "00000000000000000000"
            : check.vs === "bad"
            ? "xyz"
            : (await kv.get(k(check.key))).versionstamp;
          atomic.check({ key: k(check.key), versionstamp });
        }
        for (const m of op.muts) {
          if (m.type === "set") atomic.set(k(m.key), v(m.value!), m.expireIn ? { expireIn: m.expireIn } : undefined);
          else if (m.type === "setvs") atomic.set([...k(m.key), kv.commitVersionstamp()], v(m.value!));
          else if (m.type === "delete") atomic.delete(k(m.key));
          else atomic[m.type](k(m.key), BigInt(m.n!));
        }
        return await atomic.commit();
      });
  }
}

/**
 * Replaces versionstamps by their rank among those seen: values may differ
 * between stores, order may not. Also where they are key parts (keys set
 * with commitVersionstamp()) and inside cursors (which encode such keys).
 */
export function rankVersionstamps(results: Wire[]): Wire[] {
  const seen = new Set<string>();
  const collect = (w: any) => {
    if (w && typeof w === "object") {
      for (const [name, value] of Object.entries(w)) {
        if (name === "versionstamp" && typeof value === "string") seen.add(value);
        else collect(value);
      }
    }
  };
  results.forEach(collect);
  const rank = new Map([...seen].sort().map((vs, i) => [vs, `#${i}`]));
  const ranked = (text: string) => text.replace(/[0-9a-f]{20}/g, (vs) => rank.get(vs) ?? vs);
  return JSON.parse(JSON.stringify(results, (name, value) => {
    if (typeof value !== "string") return value;
    if (name === "cursor" && value !== "") return "cursor:" + ranked(atob(value.replaceAll("-", "+").replaceAll("_", "/")));
    return rank.get(value) ?? value;
  }));
}

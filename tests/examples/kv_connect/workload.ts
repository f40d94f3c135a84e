/**
 * The workload both real KV Connect clients run (Deno's built-in
 * Deno.openKv and @deno/kv's openKv on Node), against the same cluster,
 * under their own key prefix: values of every type Deno KV stores, get,
 * list (limit, reverse), atomic checks, sum/min/max, expireIn, delete and
 * watch. Prints a transcript; the last line is `RESULT <json>` for the test.
 */

/** What these scripts use of Deno.Kv (the two clients' types differ in details). */
export interface KvClient {
  get(key: unknown[]): Promise<{ value: unknown; versionstamp: string | null }>;
  set(key: unknown[], value: unknown, options?: { expireIn?: number }): Promise<{ ok: boolean; versionstamp: string }>;
  delete(key: unknown[]): Promise<void>;
  list(selector: { prefix: unknown[] }, options?: { limit?: number; reverse?: boolean }): AsyncIterable<{ key: unknown[]; value: unknown }>;
  atomic(): KvAtomic;
  watch(keys: unknown[][]): ReadableStream<{ value: unknown; versionstamp: string | null }[]>;
  close(): void;
}

interface KvAtomic {
  check(...checks: { key: unknown[]; versionstamp: string | null }[]): KvAtomic;
  set(key: unknown[], value: unknown): KvAtomic;
  sum(key: unknown[], n: bigint): KvAtomic;
  min(key: unknown[], n: bigint): KvAtomic;
  max(key: unknown[], n: bigint): KvAtomic;
  commit(): Promise<{ ok: boolean; versionstamp?: string }>;
}

/** Values of every kind Deno KV stores; `u64` makes the client's own KvU64. */
export function sampleValues(u64: (n: bigint) => unknown): Record<string, unknown> {
  const holes: unknown[] = [1];
  holes[3] = "four";
  return {
    undefined: undefined,
    null: null,
    true: true,
    false: false,
    int: 42,
    negativeZero: -0,
    float: 3.14159,
    nan: NaN,
    infinity: -Infinity,
    bigint: 12345678901234567890123n,
    negativeBigint: -7n,
    string: "hello",
    emptyString: "",
    unicode: "héllo wörld € 😀",
    bytes: new Uint8Array([0, 1, 2, 254, 255]),
    u64: u64(18446744073709551615n),
    date: new Date("1815-12-10T00:00:00.000Z"),
    regexp: /ad+a/gi,
    array: [1, "two", [3n], { four: 4 }],
    sparseArray: holes,
    object: { name: "ada", born: new Date(0), tags: ["math"], nested: { bytes: new Uint8Array([7, 8]) } },
    map: new Map<unknown, unknown>([["a", 1], [2, { b: true }]]),
    set: new Set<unknown>(["x", 1, 2n]),
    int16Array: new Int16Array([1, -1, 300]),
    float64Array: new Float64Array([0.5, -2]),
    bigInt64Array: new BigInt64Array([-1n, 2n]),
  };
}

/** A value as comparable JSON, types spelled out (so NaN, -0, bigint, bytes and a KvU64 compare exactly). */
export function describe(value: unknown): unknown {
  if (value === undefined) return { undefined: true };
  if (typeof value === "number") return { number: Object.is(value, -0) ? "-0" : String(value) };
  if (typeof value === "bigint") return { bigint: String(value) };
  if (typeof value !== "object" || value === null) return value;
  if (ArrayBuffer.isView(value)) {
    const name = Object.prototype.toString.call(value).slice(8, -1);
    return { [name]: Array.from(value as unknown as ArrayLike<number | bigint>, (v) => String(v)) };
  }
  if (value instanceof Date) return { date: value.toISOString() };
  if (value instanceof RegExp) return { regexp: String(value) };
  if (value instanceof Map) return { map: [...value].map(([k, v]) => [describe(k), describe(v)]) };
  if (value instanceof Set) return { set: [...value].map(describe) };
  if (Array.isArray(value)) return { array: Array.from({ length: value.length }, (_, i) => (i in value ? describe(value[i]) : { hole: true })) };
  if (Object.getPrototypeOf(value) !== Object.prototype && typeof (value as { value?: unknown }).value === "bigint") {
    return { u64: String((value as { value: bigint }).value) };
  }
  return { object: Object.entries(value).map(([k, v]) => [k, describe(v)]) };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await probe();
    if (result !== undefined) return result;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reads every value under [who, "values"], described, by name. */
export async function readValues(kv: KvClient, who: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for await (const entry of kv.list({ prefix: [who, "values"] })) out[String(entry.key[2])] = describe(entry.value);
  return out;
}

/** The whole workload under [who, …]; logs as it goes and returns what the test checks. */
export async function runWorkload(kv: KvClient, who: string, u64: (n: bigint) => unknown, log: (line: string) => void): Promise<Record<string, unknown>> {
  const values = sampleValues(u64);
  const mismatches: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    const written = await kv.set([who, "values", name], value);
    const read = await kv.get([who, "values", name]);
    const same = JSON.stringify(describe(read.value)) === JSON.stringify(describe(value)) && read.versionstamp === written.versionstamp;
    if (!same) mismatches.push(name);
    log(`set+get ${name}: ${same ? "same" : `DIFFERENT ${JSON.stringify(describe(read.value))}`} (versionstamp ${written.versionstamp})`);
  }

  const listed: string[] = [];
  for await (const entry of kv.list({ prefix: [who, "values"] })) listed.push(String(entry.key[2]));
  const firstTwoReversed: string[] = [];
  for await (const entry of kv.list({ prefix: [who, "values"] }, { limit: 2, reverse: true })) firstTwoReversed.push(String(entry.key[2]));
  log(`list: ${listed.length} keys; reverse limit 2: ${firstTwoReversed.join(", ")}`);

  const once = [who, "once"];
  const first = await kv.atomic().check({ key: once, versionstamp: null }).set(once, "first").commit();
  const second = await kv.atomic().check({ key: once, versionstamp: null }).set(once, "second").commit();
  const third = await kv.atomic().check({ key: once, versionstamp: first.versionstamp ?? null }).set(once, "third").commit();
  log(`atomic check: absent→${first.ok}, absent again→${second.ok}, right versionstamp→${third.ok}; now ${(await kv.get(once)).value}`);

  const counter = [who, "counter"];
  for (let i = 0; i < 3; i++) await kv.atomic().sum(counter, 5n).commit();
  await kv.atomic().max([who, "max"], 3n).commit();
  await kv.atomic().max([who, "max"], 9n).commit();
  await kv.atomic().min([who, "min"], 3n).commit();
  await kv.atomic().min([who, "min"], 2n).commit();
  const sums = { sum: describe((await kv.get(counter)).value), max: describe((await kv.get([who, "max"])).value), min: describe((await kv.get([who, "min"])).value) };
  log(`sum/max/min: ${JSON.stringify(sums)}`);

  await kv.set([who, "gone"], "soon");
  await kv.delete([who, "gone"]);
  const deleted = (await kv.get([who, "gone"])).versionstamp === null;
  await kv.set([who, "ephemeral"], "brief", { expireIn: 300 });
  const expired = await until("the expireIn entry to vanish", async () => (await kv.get([who, "ephemeral"])).versionstamp === null ? true : undefined);
  log(`delete: ${deleted ? "gone" : "STILL THERE"}; expireIn 300 ms: ${expired ? "expired" : "still there"}`);

  // The key exists before the watch starts: @deno/kv does not report an absent key's first state.
  await kv.set([who, "watched"], 0);
  const watched: unknown[] = [];
  const stream = kv.watch([[who, "watched"]]);
  const reader = stream.getReader();
  const watching = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      watched.push(value[0].value);
      if (value[0].value === 3) return;
    }
  })();
  for (let i = 1; i <= 3; i++) {
    await until(`the watch to see ${i - 1}`, () => watched.includes(i - 1) ? true : undefined);
    await kv.set([who, "watched"], i);
  }
  await Promise.race([watching, until("the watch to see 3", () => watched.includes(3) ? true : undefined)]);
  await reader.cancel().catch(() => {});
  log(`watch saw: ${JSON.stringify(watched)}`);

  return {
    mismatches,
    listed,
    firstTwoReversed,
    atomic: [first.ok, second.ok, third.ok],
    sums,
    deleted,
    expired,
    watched,
    values: await readValues(kv, who),
  };
}

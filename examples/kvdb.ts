// kvdb.ts — a replicated Redis-like key-value store: SET (with EX expiry),
// GET, DEL, KEYS, DBSIZE, MONITOR, SETRANDQUOTE, custom binary snapshots,
// and an HTTP service on the same port (see lib/kvdb_http.ts).
import { type App, type Args, globMatch, type Machine, resp } from "../mod.ts";
import { decodeKv, deleteKey, emptyKv, encodeKv, getLive, isLive, type KvData, liveCount, setKey, sweepExpired } from "./lib/kv_data.ts";
import { kvdbHttp } from "./lib/kvdb_http.ts";
import { monitorLine } from "./lib/monitor_line.ts";
import { QUOTES } from "./lib/quotes.ts";

const syntaxError = () => new Error("syntax error");

/** Longest EX accepted: 100 years, so expiry times stay far inside int64 ns. */
const MAX_EX_NS = 100n * 365n * 86_400n * 1_000_000_000n;

/** "1", "2.5" seconds → ns; undefined unless a positive decimal. */
function secondsToNs(text: string): bigint | undefined {
  const match = /^(\d+)(?:\.(\d{1,9}))?$/.exec(text);
  if (!match) return undefined;
  const ns = BigInt(match[1]) * 1_000_000_000n + BigInt((match[2] ?? "").padEnd(9, "0"));
  return ns > 0n && ns <= MAX_EX_NS ? ns : undefined;
}

// SET key value [EX seconds]
function set(m: Machine<KvData>, args: Args) {
  let ttl = 0n;
  for (let i = 3; i < args.length; i++) {
    if (args[i].toLowerCase() !== "ex" || i + 1 === args.length) return syntaxError();
    const ns = secondsToNs(args[++i]);
    if (ns === undefined) return syntaxError();
    ttl = ns;
  }
  const now = m.now();
  // The value as bytes (binary-safe): args[2] is its UTF-8 decoding.
  setKey(m.data, args[1], m.rawArgs[2], ttl === 0n ? 0n : now + ttl);
  return resp.ok;
}

export default {
  name: "kvdb",
  version: "0.1.0",
  initialData: emptyKv,
  snapshot: encodeKv,
  restore: decodeKv,
  // Expiry is deterministic: every replica sweeps at the same machine times.
  tick: (m) => void sweepExpired(m.data, m.now()),
  // Each arity counts the name, as Redis's: n is exactly n arguments, -n at
  // least n. The node answers a wrong count before the handler runs.
  commands: {
    set: { kind: "write", arity: -3, run: set },
    // DEL key [key …]
    del: {
      kind: "write",
      arity: -2,
      run: (m, args) => {
        let deleted = 0;
        for (const key of args.slice(1)) if (deleteKey(m.data, key, m.now())) deleted++;
        return resp.int(deleted);
      },
    },
    // GET key — a key past its expiry is absent even before the next sweep.
    get: { kind: "read", arity: 2, flags: ["fast"], run: (m, args) => getLive(m.data, args[1], m.now()) ?? null },
    // KEYS pattern — glob, sorted.
    keys: {
      kind: "read",
      arity: 2,
      run: (m, args) => {
        const now = m.now();
        const keys: string[] = [];
        for (const key of m.data.keys.keys()) {
          if (isLive(m.data, key, now) && globMatch(args[1], key)) keys.push(key);
        }
        return keys.sort();
      },
    },
    dbsize: { kind: "read", arity: 1, flags: ["fast"], run: (m) => resp.int(liveCount(m.data, m.now())) },
    // MONITOR — +OK, then every command any client sends to this node.
    monitor: {
      kind: "intermediate",
      arity: 1,
      flags: ["admin"],
      run: (c) => {
        const stream = c.takeOver();
        c.observeCommands((event) => stream.push(resp.simple(monitorLine(event))));
        return resp.ok;
      },
    },
    // SETRANDQUOTE key — picks a quote outside the log, then becomes SET key quote.
    setrandquote: {
      kind: "intermediate",
      arity: 2,
      flags: ["write", "random"],
      run: (c, args) => {
        const quote = QUOTES[Math.floor(Math.random() * QUOTES.length)];
        return c.rewrite(["SET", args[1], quote]);
      },
    },
  },
  services: [kvdbHttp],
} satisfies App<KvData>;

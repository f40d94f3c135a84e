// kv.ts — a replicated Deno KV over RESP: the framework's store (`kv: true`,
// m.kv) with keys and values as tagged JSON (see lib/tagged_json.ts).
//
//   KV.SET key value [EXPIREIN ms]        → versionstamp
//   KV.GET key                            → [value, versionstamp] | null array
//   KV.DELETE key                         → OK
//   KV.LIST selector [LIMIT n] [REVERSE] [CURSOR c]
//                                         → [[[key, value, versionstamp], …], cursor ("" when done)]
//   KV.ATOMIC op …                        → versionstamp | null (a check failed)
//     ops: CHECK key versionstamp|null, SET key value, DELETE key,
//          SUM key u64, MIN key u64, MAX key u64
//
//   KV.CONNECT.READ|WATCH|WRITE <protobuf>
//                                         → KV Connect's calls (lib/kv_connect/), for the
//                                           service that serves Deno.openKv("http://<node>")
//
//   redis-cli KV.SET '["users",1]' '{"name":"ada","born":{"$date":"1815-12-10T00:00:00Z"}}'
//   redis-cli KV.LIST '{"prefix":["users"]}' LIMIT 10
import { type App, type Args, KvU64, type KvListSelector, type Machine, resp } from "../mod.ts";
import { keyFromJson, parseKey, parseSelector, parseValue, stringify } from "./lib/tagged_json.ts";
import { kvConnectCommands } from "./lib/kv_connect/kv_connect_commands.ts";
import { kvConnectService } from "./lib/kv_connect/kv_connect_service.ts";

const syntaxError = () => new Error("syntax error");

function integerArg(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`${what} must be a non-negative integer`);
  return Number(text);
}

function u64Arg(text: string): bigint {
  if (/^\d+$/.test(text)) return BigInt(text);
  const value = parseValue(text);
  if (value instanceof KvU64) return value.value;
  throw new Error(`a u64 operand is a decimal integer or {"$u64":"n"}: got ${text}`);
}

// KV.SET key value [EXPIREIN ms]
function set(m: Machine<null>, args: Args) {
  let expireIn: number | undefined;
  if (args.length === 5 && args[3].toLowerCase() === "expirein") expireIn = integerArg(args[4], "EXPIREIN");
  else if (args.length !== 3) return syntaxError();
  return m.kv.set(parseKey(args[1]), parseValue(args[2]), expireIn === undefined ? undefined : { expireIn }).versionstamp;
}

// KV.LIST selector [LIMIT n] [REVERSE] [CURSOR c]
function list(m: Machine<null>, args: Args) {
  const selector: Record<string, unknown> = {};
  for (const [name, key] of Object.entries(parseSelector(args[1]))) {
    if (!["prefix", "start", "end"].includes(name)) throw new Error(`unknown selector field '${name}': use prefix, start and end`);
    selector[name] = keyFromJson(key);
  }
  const options: { limit?: number; reverse?: boolean; cursor?: string } = {};
  for (let i = 2; i < args.length; i++) {
    const word = args[i].toLowerCase();
    if (word === "reverse") options.reverse = true;
    else if (word === "limit" && i + 1 < args.length) options.limit = integerArg(args[++i], "LIMIT");
    else if (word === "cursor" && i + 1 < args.length) options.cursor = args[++i] || undefined;
    else return syntaxError();
  }
  const iterator = m.kv.list(selector as KvListSelector, options);
  const entries = [...iterator].map((entry) => [stringify(entry.key), stringify(entry.value), entry.versionstamp]);
  return [entries, iterator.cursor];
}

// KV.ATOMIC op …
function atomic(m: Machine<null>, args: Args) {
  const op = m.kv.atomic();
  let i = 1;
  const next = () => {
    if (i >= args.length) throw syntaxError();
    return args[i++];
  };
  while (i < args.length) {
    const word = next().toLowerCase();
    if (word === "check") {
      const key = parseKey(next());
      const versionstamp = next();
      op.check({ key, versionstamp: versionstamp.toLowerCase() === "null" ? null : versionstamp });
    } else if (word === "set") {
      const key = parseKey(next());
      op.set(key, parseValue(next()));
    } else if (word === "delete") {
      op.delete(parseKey(next()));
    } else if (word === "sum" || word === "min" || word === "max") {
      const key = parseKey(next());
      op[word](key, u64Arg(next()));
    } else {
      return new Error(`unknown KV.ATOMIC op '${word}': use CHECK, SET, DELETE, SUM, MIN or MAX`);
    }
  }
  const result = op.commit();
  return result.ok ? result.versionstamp : null;
}

export default {
  name: "kv",
  version: "0.1.0",
  kv: true,
  initialData: () => null,
  jsonSnapshots: true,
  commands: {
    "kv.set": { kind: "write", arity: -3, run: set },
    "kv.get": {
      kind: "read",
      arity: 2,
      flags: ["fast"],
      run: (m, args) => {
        const entry = m.kv.get(parseKey(args[1]));
        return entry.versionstamp === null ? resp.nullArray : [stringify(entry.value), entry.versionstamp];
      },
    },
    "kv.delete": { kind: "write", arity: 2, run: (m, args) => (m.kv.delete(parseKey(args[1])), resp.ok) },
    "kv.list": { kind: "read", arity: -2, run: list },
    "kv.atomic": { kind: "write", arity: -2, run: atomic },
    // KV Connect's calls (lib/kv_connect/): the argument is the client's protobuf request.
    ...kvConnectCommands,
  },
  services: [kvConnectService],
} satisfies App<null>;

/**
 * Hostile RESP inputs, from a seeded generator: valid commands and their
 * mutants (truncations, huge lengths, bad types, flipped/inserted/deleted
 * bytes, splices), inline commands, and binary noise. Pure: Rng in, bytes out.
 */
import type { Rng } from "../sim/rng.ts";

const encoder = new TextEncoder();

/**
 * Commands to start from: kvdb's and the harmless built-ins. Nothing that
 * stops a node, changes membership or blocks a connection (SHUTDOWN, RAFT
 * SERVER …, MONITOR), and no key the well-behaved writer uses (`acked:`).
 */
const CORPUS: readonly (readonly string[])[] = [
  ["PING"], ["PING", "hello"], ["ECHO", "x"], ["SET", "fz:a", "1"], ["SET", "fz:b", "v", "EX", "10"],
  ["GET", "fz:a"], ["DEL", "fz:a", "fz:b"], ["MGET", "fz:a", "fz:b", "fz:c"], ["KEYS", "fz:*"],
  ["INCR", "fz:n"], ["EXISTS", "fz:a"], ["TTL", "fz:b"], ["DBSIZE"], ["AUTH", "wrong"], ["HELLO", "2"],
  ["INFO"], ["COMMAND", "COUNT"], ["CLUSTER", "INFO"], ["RAFT", "LEADER"], ["RAFT", "INFO"],
  ["MACHINE"], ["VERSION"], ["SETRANDQUOTE", "fz:q"], ["CLIENT", "SETNAME", "fuzz"], ["SELECT", "0"],
];

/** Numbers that break length fields: negative, zero, limits ± 1, beyond 32 and 64 bits, not numbers. */
const HOSTILE_LENGTHS: readonly string[] = [
  "-1", "-2", "0", "1", "2147483647", "2147483648", "4294967295", "4294967296", "536870912", "536870913",
  "1048576", "1048577", "9223372036854775807", "99999999999999999999999", "", "abc", "1e3", "+5", " 3", "0x10",
];

const TYPE_BYTES = "*$+-:%~>,#_!=|(\0\xff";

/** What kind each generated input was, for the report. */
export type MutantKind =
  | "valid" | "inline" | "truncated" | "huge length" | "bad type" | "byte mutation" | "splice" | "binary noise"
  | "oversized line" | "nested";

export function encodeArgs(args: readonly (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [encoder.encode(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? encoder.encode(arg) : arg;
    parts.push(encoder.encode(`$${bytes.length}\r\n`), bytes, encoder.encode("\r\n"));
  }
  return concat(parts);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function randomBytes(rng: Rng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.int(0, 255);
  return out;
}

/** A corpus command with some arguments replaced or added. */
function validArgs(rng: Rng): (string | Uint8Array)[] {
  const args: (string | Uint8Array)[] = [...rng.pick(CORPUS)];
  if (rng.chance(0.3)) args.push(rng.chance(0.5) ? `fz:${rng.int(0, 99)}` : randomBytes(rng, rng.int(0, 64)));
  if (rng.chance(0.2) && args.length > 1) args[rng.int(1, args.length - 1)] = randomBytes(rng, rng.int(0, 300));
  if (rng.chance(0.1)) args[0] = args[0].toString().toLowerCase();
  return args;
}

function inline(rng: Rng): Uint8Array {
  const args = [...rng.pick(CORPUS)];
  const quoted = args.map((arg) => rng.chance(0.2) ? `"${arg}\\x41\\n"` : rng.chance(0.1) ? `'${arg}` : arg);
  return encoder.encode(quoted.join(rng.chance(0.1) ? "\t " : " ") + (rng.chance(0.8) ? "\r\n" : "\n"));
}

/** Replaces the n-th length field (`*N` or `$N`) with a hostile number. */
function hugeLength(rng: Rng): Uint8Array {
  const text = new TextDecoder("latin1").decode(encodeArgs(validArgs(rng)));
  const fields = [...text.matchAll(/[*$](\d+)\r\n/g)];
  const field = rng.pick(fields);
  const start = field.index! + 1;
  const replaced = text.slice(0, start) + rng.pick(HOSTILE_LENGTHS) + text.slice(start + field[1].length);
  return latin1(rng.chance(0.5) ? replaced : replaced.slice(0, start + 30));
}

function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function badType(rng: Rng): Uint8Array {
  const bytes = encodeArgs(validArgs(rng));
  const headers = [0, ...[...bytes.keys()].filter((i) => bytes[i] === 0x24)];
  bytes[rng.pick(headers)] = TYPE_BYTES.charCodeAt(rng.int(0, TYPE_BYTES.length - 1));
  return bytes;
}

function byteMutation(rng: Rng): Uint8Array {
  const bytes = [...encodeArgs(validArgs(rng))];
  for (let n = rng.int(1, 4); n > 0; n--) {
    const at = rng.int(0, bytes.length - 1);
    switch (rng.int(0, 3)) {
      case 0:
        bytes[at] ^= 1 << rng.int(0, 7);
        break;
      case 1:
        bytes.splice(at, 0, rng.pick([13, 10, 0x2a, 0x24, 0x2d, 0x30, rng.int(0, 255)]));
        break;
      case 2:
        bytes.splice(at, 1);
        break;
      default:
        bytes[at] = rng.int(0, 255);
    }
  }
  return Uint8Array.from(bytes);
}

/** `*2` whose elements are arrays, integers or simple strings instead of bulks. */
function nested(rng: Rng): Uint8Array {
  const inner = rng.pick(["*1\r\n$4\r\nPING\r\n", ":42\r\n", "+OK\r\n", "-ERR x\r\n", "*-1\r\n", "$-1\r\n", "_\r\n"]);
  return encoder.encode(`*2\r\n${inner}${rng.chance(0.5) ? inner : "$4\r\nPING\r\n"}`);
}

/** One hostile input and its kind. */
export function respMutant(rng: Rng): { kind: MutantKind; bytes: Uint8Array } {
  const roll = rng.int(0, 99);
  if (roll < 25) return { kind: "valid", bytes: encodeArgs(validArgs(rng)) };
  if (roll < 35) return { kind: "inline", bytes: inline(rng) };
  if (roll < 45) {
    const bytes = encodeArgs(validArgs(rng));
    return { kind: "truncated", bytes: bytes.subarray(0, rng.int(1, bytes.length - 1)) };
  }
  if (roll < 55) return { kind: "huge length", bytes: hugeLength(rng) };
  if (roll < 63) return { kind: "bad type", bytes: badType(rng) };
  if (roll < 80) return { kind: "byte mutation", bytes: byteMutation(rng) };
  if (roll < 85) return { kind: "nested", bytes: nested(rng) };
  if (roll < 92) {
    const a = byteMutation(rng);
    const b = encodeArgs(validArgs(rng));
    return { kind: "splice", bytes: concat([a.subarray(0, rng.int(0, a.length)), b.subarray(rng.int(0, b.length - 1))]) };
  }
  if (roll < 99) return { kind: "binary noise", bytes: randomBytes(rng, rng.int(1, 2048)) };
  // An inline line longer than the 64 KB limit, never ended.
  return { kind: "oversized line", bytes: new Uint8Array(rng.int(65 * 1024, 80 * 1024)).fill(0x41) };
}

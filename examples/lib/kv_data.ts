/**
 * The kvdb example's data: keys with byte values and optional expiry times
 * (machine time, unix ns), plus its binary snapshot format. Pure.
 *
 * Memory: a value is kept as a one-byte ("latin1") string — each character
 * one byte — not as a Uint8Array. V8 stores a small typed array as two
 * objects (~340 bytes per 64-byte value, measured); the string is one
 * (~90). Expiry times live only in `expiring`, so a key costs no object of
 * its own either.
 */
import { Buffer } from "node:buffer";

export interface KvData {
  /** Every key with its value as a one-byte string (see above). */
  readonly keys: Map<string, string>;
  /** The keys that have an expiry, with it: the tick sweep looks only here. */
  readonly expiring: Map<string, bigint>;
  /** No key expires before this (a lower bound; 0n when none expire). Lets idle ticks skip the sweep. */
  nextExpiry: bigint;
}

export function emptyKv(): KvData {
  return { keys: new Map(), expiring: new Map(), nextExpiry: 0n };
}

function asBytes(value: string): Uint8Array {
  return Buffer.from(value, "latin1");
}

function asOneByteString(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("latin1");
}

function isExpired(db: KvData, key: string, now: bigint): boolean {
  // Before the earliest expiry nothing can have expired: most reads stop here.
  if (db.nextExpiry === 0n || db.nextExpiry > now) return false;
  const expires = db.expiring.get(key);
  return expires !== undefined && expires <= now;
}

/** The live value of `key` at machine time `now`, or undefined. */
export function getLive(db: KvData, key: string, now: bigint): Uint8Array | undefined {
  const value = db.keys.get(key);
  return value === undefined || isExpired(db, key, now) ? undefined : asBytes(value);
}

/** True if `key` exists and has not expired by `now`. */
export function isLive(db: KvData, key: string, now: bigint): boolean {
  return db.keys.has(key) && !isExpired(db, key, now);
}

/** Sets `key` to a copy of `value`, expiring at `expires` (unix ns; 0n: never). */
export function setKey(db: KvData, key: string, value: Uint8Array, expires: bigint): void {
  db.keys.set(key, asOneByteString(value));
  if (expires === 0n) {
    db.expiring.delete(key);
    return;
  }
  db.expiring.set(key, expires);
  if (db.nextExpiry === 0n || expires < db.nextExpiry) db.nextExpiry = expires;
}

/** Deletes `key`; true if it existed and had not expired by `now`. */
export function deleteKey(db: KvData, key: string, now: bigint): boolean {
  if (!db.keys.has(key)) return false;
  const live = !isExpired(db, key, now);
  db.keys.delete(key);
  db.expiring.delete(key);
  return live;
}

/** Removes every key expired by `now` (the tick hook); returns how many. */
export function sweepExpired(db: KvData, now: bigint): number {
  if (db.nextExpiry === 0n || db.nextExpiry > now) return 0;
  let removed = 0;
  let next = 0n;
  for (const [key, expires] of db.expiring) {
    if (expires <= now) {
      db.expiring.delete(key);
      db.keys.delete(key);
      removed++;
    } else if (next === 0n || expires < next) {
      next = expires;
    }
  }
  db.nextExpiry = next;
  return removed;
}

/** How many keys are live at `now`. */
export function liveCount(db: KvData, now: bigint): number {
  if (db.nextExpiry === 0n || db.nextExpiry > now) return db.keys.size;
  let expired = 0;
  for (const expires of db.expiring.values()) if (expires <= now) expired++;
  return db.keys.size - expired;
}

// Snapshot: "KVDB" + version 1 (u8), count (u32), then per key:
// key length (u32), key (UTF-8), value length (u32), value, expires (i64),
// all little-endian.
const MAGIC = [0x4b, 0x56, 0x44, 0x42]; // "KVDB"
const VERSION = 1;
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * One pass to size, one to write, straight from the maps: no per-key
 * arrays or encoded copies, which at a million keys cost hundreds of MB
 * and seconds of garbage collection while the node stood still.
 */
export function encodeKv(db: KvData): Uint8Array {
  let size = 4 + 1 + 4;
  for (const [key, value] of db.keys) size += 4 + Buffer.byteLength(key, "utf8") + 4 + value.length + 8;
  const out = Buffer.alloc(size);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  out.writeUInt32LE(db.keys.size, 5);
  let at = 9;
  for (const [key, value] of db.keys) {
    const keyLength = out.write(key, at + 4, "utf8");
    out.writeUInt32LE(keyLength, at);
    at += 4 + keyLength;
    out.writeUInt32LE(value.length, at);
    at += 4 + out.write(value, at + 4, "latin1");
    out.writeBigInt64LE(db.expiring.get(key) ?? 0n, at);
    at += 8;
  }
  return out;
}

export function decodeKv(bytes: Uint8Array): KvData {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string): never => {
    throw new Error(`not a kvdb snapshot: ${why}`);
  };
  if (bytes.length < 9 || MAGIC.some((byte, i) => bytes[i] !== byte)) fail("bad magic");
  if (bytes[4] !== VERSION) fail(`unknown version ${bytes[4]}`);
  const count = view.getUint32(5, true);
  const db = emptyKv();
  let at = 9;
  const need = (length: number) => {
    if (at + length > bytes.length) fail("truncated");
  };
  const take = (length: number): Uint8Array => {
    need(length);
    at += length;
    return bytes.subarray(at - length, at);
  };
  const u32 = () => {
    need(4);
    at += 4;
    return view.getUint32(at - 4, true);
  };
  for (let i = 0; i < count; i++) {
    const key = decoder.decode(take(u32()));
    const value = take(u32());
    need(8);
    at += 8;
    setKey(db, key, value, view.getBigInt64(at - 8, true));
  }
  if (at !== bytes.length) fail("trailing bytes");
  return db;
}

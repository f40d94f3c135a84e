/**
 * The kvdb example's data: keys with byte values and optional expiry times
 * (machine time, unix ns), plus its binary snapshot format. Pure.
 */

export interface Entry {
  readonly value: Uint8Array;
  /** Unix ns at which the key expires; 0n for never. */
  readonly expires: bigint;
}

export interface KvData {
  readonly keys: Map<string, Entry>;
  /** The keys that have an expiry, with it: the tick sweep looks only here. */
  readonly expiring: Map<string, bigint>;
  /** No key expires before this (a lower bound; 0n when none expire). Lets idle ticks skip the sweep. */
  nextExpiry: bigint;
}

export function emptyKv(): KvData {
  return { keys: new Map(), expiring: new Map(), nextExpiry: 0n };
}

export function isExpired(entry: Entry, now: bigint): boolean {
  return entry.expires !== 0n && entry.expires <= now;
}

/** The live entry of `key` at machine time `now`, or undefined. */
export function getLive(db: KvData, key: string, now: bigint): Entry | undefined {
  const entry = db.keys.get(key);
  return entry && !isExpired(entry, now) ? entry : undefined;
}

export function setKey(db: KvData, key: string, entry: Entry): void {
  db.keys.set(key, entry);
  if (entry.expires === 0n) {
    db.expiring.delete(key);
    return;
  }
  db.expiring.set(key, entry.expires);
  if (db.nextExpiry === 0n || entry.expires < db.nextExpiry) db.nextExpiry = entry.expires;
}

/** Deletes `key`; true if it existed and had not expired by `now`. */
export function deleteKey(db: KvData, key: string, now: bigint): boolean {
  const entry = db.keys.get(key);
  if (!entry) return false;
  db.keys.delete(key);
  db.expiring.delete(key);
  return !isExpired(entry, now);
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
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeKv(db: KvData): Uint8Array {
  const keys = [...db.keys].map(([key, entry]) => [encoder.encode(key), entry] as const);
  let size = 4 + 1 + 4;
  for (const [key, entry] of keys) size += 4 + key.length + 4 + entry.value.length + 8;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  view.setUint32(5, keys.length, true);
  let at = 9;
  for (const [key, entry] of keys) {
    view.setUint32(at, key.length, true);
    out.set(key, at + 4);
    at += 4 + key.length;
    view.setUint32(at, entry.value.length, true);
    out.set(entry.value, at + 4);
    at += 4 + entry.value.length;
    view.setBigInt64(at, entry.expires, true);
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
  const take = (length: number): Uint8Array => {
    if (at + length > bytes.length) fail("truncated");
    const part = bytes.slice(at, at + length);
    at += length;
    return part;
  };
  const u32 = () => new DataView(take(4).buffer).getUint32(0, true);
  for (let i = 0; i < count; i++) {
    const key = decoder.decode(take(u32()));
    const value = take(u32());
    const expires = new DataView(take(8).buffer).getBigInt64(0, true);
    setKey(db, key, { value, expires });
  }
  if (at !== bytes.length) fail("trailing bytes");
  return db;
}

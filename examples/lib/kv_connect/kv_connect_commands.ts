/**
 * The kv example's KV Connect commands, run by the machine like any other:
 *
 *   KV.CONNECT.READ <SnapshotRead>   read  → SnapshotReadOutput (protobuf bytes)
 *   KV.CONNECT.WATCH <Watch>         read  → per key [versionstamp, KvEntry bytes] ("" and "" when absent)
 *   KV.CONNECT.WRITE <AtomicWrite>   write → versionstamp | null (a check failed)
 *
 * The argument is the request body as the client sent it: a write is
 * decoded inside the machine, on every replica, by pure code, so the log
 * carries the client's bytes and every replica derives the same mutations.
 * KV Connect's keys are the store's own key encoding byte for byte, so
 * ranges are read straight from the store's encoded keys.
 */
import { type Command, type KvKey, kvWire, type Machine } from "../../../mod.ts";
import { fromKvValue, toKvValue } from "./kv_values.ts";
import {
  decodeAtomicWrite,
  decodeSnapshotRead,
  decodeWatch,
  encodeKvEntry,
  encodeSnapshotReadOutput,
  type KvEntry,
  type Mutation,
  MutationType,
  SnapshotReadStatus,
} from "./messages.ts";

const { binary, bytesOf, decodeKey, decodeValue, MAX_READ_ENTRIES, MAX_READ_RANGES } = kvWire;
type StoredEntry = kvWire.StoredEntry;

/** The 10-byte versionstamp of the store's 20 hex digits. */
export function versionstampBytes(hex: string): Uint8Array {
  const out = new Uint8Array(10);
  for (let i = 0; i < 10; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function versionstampHex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function entryOf(key: string, stored: StoredEntry): KvEntry {
  const value = toKvValue(decodeValue(stored.value));
  return { key: bytesOf(key), value: value.data, encoding: value.encoding, versionstamp: versionstampBytes(stored.versionstamp) };
}

/** KV.CONNECT.READ: every range of the request, from this replica's store. */
export function snapshotRead(m: Machine<unknown>, request: Uint8Array): Uint8Array {
  const ranges = decodeSnapshotRead(request);
  if (ranges.length > MAX_READ_RANGES) throw new Error(`too many ranges (max ${MAX_READ_RANGES})`);
  const store = kvWire.storeOf(m.kv);
  const out = ranges.map((range) => {
    if (range.limit < 1 || range.limit > MAX_READ_ENTRIES) throw new Error(`a range's limit must be 1 to ${MAX_READ_ENTRIES}, got ${range.limit}`);
    return store.readRange(binary(range.start), binary(range.end), range.limit, range.reverse).map(([key, stored]) => entryOf(key, stored));
  });
  return encodeSnapshotReadOutput({ ranges: out, readDisabled: false, readIsStronglyConsistent: true, status: SnapshotReadStatus.SUCCESS });
}

/** KV.CONNECT.WATCH: each watched key's versionstamp and entry, now. */
export function watchRead(m: Machine<unknown>, request: Uint8Array): [string, Uint8Array | string][] {
  return decodeWatch(request).map((keyBytes) => {
    const key = binary(keyBytes);
    const stored = kvWire.storeOf(m.kv).getEncoded(key);
    if (!stored) return ["", ""];
    return [stored.versionstamp, encodeKvEntry(entryOf(key, stored))];
  });
}

function keyOf(bytes: Uint8Array): KvKey {
  if (bytes.length === 0) throw new Error("key cannot be empty");
  return decodeKey(binary(bytes));
}

function operand(mutation: Mutation): unknown {
  if (!mutation.value) throw new Error(`mutation on ${JSON.stringify([...mutation.key])} has no value`);
  return fromKvValue(mutation.value);
}

/** KV.CONNECT.WRITE: the checks and mutations, all or nothing; the commit's versionstamp or null when a check failed. */
export function atomicWrite(m: Machine<unknown>, request: Uint8Array): string | null {
  const write = decodeAtomicWrite(request);
  if (write.enqueues > 0) throw new Error("enqueue is not supported by this server (KV Connect queues are not served)");
  const op = m.kv.atomic();
  for (const check of write.checks) {
    op.check({ key: keyOf(check.key), versionstamp: check.versionstamp.length === 0 ? null : versionstampHex(check.versionstamp) });
  }
  const now = kvWire.storeOf(m.kv).now;
  for (const mutation of write.mutations) {
    const key = keyOf(mutation.key);
    switch (mutation.type) {
      case MutationType.SET:
      case MutationType.SET_SUFFIX_VERSIONSTAMPED_KEY: {
        // The client sends an absolute expiry; the store counts from machine time, the same on every replica.
        const options = mutation.expireAtMs > 0 ? { expireIn: Math.max(0, mutation.expireAtMs - now) } : undefined;
        const setKey = mutation.type === MutationType.SET ? key : [...key, m.kv.commitVersionstamp()];
        op.set(setKey, operand(mutation), options);
        break;
      }
      case MutationType.DELETE:
        op.delete(key);
        break;
      case MutationType.SUM:
      case MutationType.MIN:
      case MutationType.MAX: {
        if (mutation.sumMin.length > 0 || mutation.sumMax.length > 0) {
          throw new Error("sum with min/max bounds (clamp) is not supported by this server");
        }
        const type = mutation.type === MutationType.SUM ? "sum" : mutation.type === MutationType.MIN ? "min" : "max";
        op.mutate({ type, key, value: operand(mutation) as bigint });
        break;
      }
      default:
        throw new Error(`unknown mutation type ${mutation.type}`);
    }
  }
  const result = op.commit();
  return result.ok ? result.versionstamp : null;
}

/** The three commands, for an app's command table (any app with `kv: true` can serve KV Connect with them and the service). */
export const kvConnectCommands: Record<string, Command<unknown>> = {
  "kv.connect.read": { kind: "read", arity: 2, run: (m) => snapshotRead(m, m.rawArgs[1]) },
  "kv.connect.watch": { kind: "read", arity: 2, run: (m) => watchRead(m, m.rawArgs[1]) },
  "kv.connect.write": { kind: "write", arity: 2, run: (m) => atomicWrite(m, m.rawArgs[1]) },
};

/**
 * KV Connect's data-path messages (denokv's proto/schema/datapath.proto,
 * package com.deno.kv.datapath), decoded from and encoded to protobuf with
 * ./protobuf.ts. Only what a server reads (SnapshotRead, AtomicWrite,
 * Watch) is decoded and only what it sends is encoded. Pure.
 */
import { bytesOf, type Field, ProtobufError, ProtobufWriter, readFields, signed64, varintOf } from "./protobuf.ts";

export const ValueEncoding = { V8: 1, LE64: 2, BYTES: 3 } as const;
export const MutationType = { SET: 1, DELETE: 2, SUM: 3, MAX: 4, MIN: 5, SET_SUFFIX_VERSIONSTAMPED_KEY: 9 } as const;
export const SnapshotReadStatus = { SUCCESS: 1, READ_DISABLED: 2 } as const;
export const AtomicWriteStatus = { UNSPECIFIED: 0, SUCCESS: 1, CHECK_FAILURE: 2, WRITE_DISABLED: 5 } as const;

export interface ReadRange {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  readonly limit: number;
  readonly reverse: boolean;
}

export interface KvValue {
  readonly data: Uint8Array;
  readonly encoding: number;
}

export interface Check {
  readonly key: Uint8Array;
  /** 10 bytes, or empty for "the key must not exist". */
  readonly versionstamp: Uint8Array;
}

export interface Mutation {
  readonly key: Uint8Array;
  readonly value: KvValue | undefined;
  readonly type: number;
  /** Unix ms; 0: never expires. */
  readonly expireAtMs: number;
  /** Bounds of a V8 sum (Deno's sum with min/max/clamp), V8-encoded; empty when not given. */
  readonly sumMin: Uint8Array;
  readonly sumMax: Uint8Array;
  readonly sumClamp: boolean;
}

export interface AtomicWrite {
  readonly checks: readonly Check[];
  readonly mutations: readonly Mutation[];
  /** How many enqueues the write carries (queues are not served). */
  readonly enqueues: number;
}

export interface KvEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly encoding: number;
  /** 10 bytes. */
  readonly versionstamp: Uint8Array;
}

export interface WatchKeyOutput {
  readonly changed: boolean;
  /** The entry (encodeKvEntry's bytes) when it changed and exists. */
  readonly entry?: Uint8Array;
}

const EMPTY: Uint8Array = new Uint8Array(0);

function int32(field: Field, name: string): number {
  return Number(BigInt.asIntN(32, varintOf(field, name)));
}

function decodeReadRange(bytes: Uint8Array): ReadRange {
  let start = EMPTY, end = EMPTY, limit = 0, reverse = false;
  for (const field of readFields(bytes)) {
    if (field.number === 1) start = bytesOf(field, "ReadRange.start");
    else if (field.number === 2) end = bytesOf(field, "ReadRange.end");
    else if (field.number === 3) limit = int32(field, "ReadRange.limit");
    else if (field.number === 4) reverse = varintOf(field, "ReadRange.reverse") !== 0n;
  }
  return { start, end, limit, reverse };
}

/** SnapshotRead { repeated ReadRange ranges = 1; } */
export function decodeSnapshotRead(bytes: Uint8Array): ReadRange[] {
  const ranges: ReadRange[] = [];
  for (const field of readFields(bytes)) {
    if (field.number === 1) ranges.push(decodeReadRange(bytesOf(field, "SnapshotRead.ranges")));
  }
  return ranges;
}

function decodeCheck(bytes: Uint8Array): Check {
  let key = EMPTY, versionstamp = EMPTY;
  for (const field of readFields(bytes)) {
    if (field.number === 1) key = bytesOf(field, "Check.key");
    else if (field.number === 2) versionstamp = bytesOf(field, "Check.versionstamp");
  }
  if (versionstamp.length !== 0 && versionstamp.length !== 10) {
    throw new ProtobufError(`Check.versionstamp must be 10 bytes or empty, got ${versionstamp.length}`);
  }
  return { key, versionstamp };
}

function decodeKvValue(bytes: Uint8Array): KvValue {
  let data = EMPTY, encoding = 0;
  for (const field of readFields(bytes)) {
    if (field.number === 1) data = bytesOf(field, "KvValue.data");
    else if (field.number === 2) encoding = int32(field, "KvValue.encoding");
  }
  return { data, encoding };
}

function decodeMutation(bytes: Uint8Array): Mutation {
  let key = EMPTY, value: KvValue | undefined, type = 0, expireAtMs = 0;
  let sumMin = EMPTY, sumMax = EMPTY, sumClamp = false;
  for (const field of readFields(bytes)) {
    if (field.number === 1) key = bytesOf(field, "Mutation.key");
    else if (field.number === 2) value = decodeKvValue(bytesOf(field, "Mutation.value"));
    else if (field.number === 3) type = int32(field, "Mutation.mutation_type");
    else if (field.number === 4) expireAtMs = Number(signed64(varintOf(field, "Mutation.expire_at_ms")));
    else if (field.number === 5) sumMin = bytesOf(field, "Mutation.sum_min");
    else if (field.number === 6) sumMax = bytesOf(field, "Mutation.sum_max");
    else if (field.number === 7) sumClamp = varintOf(field, "Mutation.sum_clamp") !== 0n;
  }
  return { key, value, type, expireAtMs, sumMin, sumMax, sumClamp };
}

/** AtomicWrite { repeated Check checks = 1; repeated Mutation mutations = 2; repeated Enqueue enqueues = 3; } */
export function decodeAtomicWrite(bytes: Uint8Array): AtomicWrite {
  const checks: Check[] = [];
  const mutations: Mutation[] = [];
  let enqueues = 0;
  for (const field of readFields(bytes)) {
    if (field.number === 1) checks.push(decodeCheck(bytesOf(field, "AtomicWrite.checks")));
    else if (field.number === 2) mutations.push(decodeMutation(bytesOf(field, "AtomicWrite.mutations")));
    else if (field.number === 3) {
      bytesOf(field, "AtomicWrite.enqueues");
      enqueues++;
    }
  }
  return { checks, mutations, enqueues };
}

/** Watch { repeated WatchKey keys = 1; } with WatchKey { bytes key = 1; } */
export function decodeWatch(bytes: Uint8Array): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (const field of readFields(bytes)) {
    if (field.number !== 1) continue;
    let key = EMPTY;
    for (const inner of readFields(bytesOf(field, "Watch.keys"))) {
      if (inner.number === 1) key = bytesOf(inner, "WatchKey.key");
    }
    keys.push(key);
  }
  return keys;
}

/** KvEntry { key = 1; value = 2; encoding = 3; versionstamp = 4 } */
export function encodeKvEntry(entry: KvEntry): Uint8Array {
  return new ProtobufWriter()
    .bytes(1, entry.key)
    .bytes(2, entry.value)
    .varint(3, entry.encoding)
    .bytes(4, entry.versionstamp)
    .finish();
}

/** SnapshotReadOutput: one list of entries per range read, in request order. */
export function encodeSnapshotReadOutput(output: {
  readonly ranges: readonly (readonly KvEntry[])[];
  readonly readDisabled: boolean;
  readonly readIsStronglyConsistent: boolean;
  readonly status: number;
}): Uint8Array {
  const writer = new ProtobufWriter();
  for (const range of output.ranges) {
    const inner = new ProtobufWriter();
    for (const entry of range) inner.bytes(1, encodeKvEntry(entry));
    writer.bytes(1, inner.finish());
  }
  return writer.varint(2, output.readDisabled).varint(4, output.readIsStronglyConsistent).varint(8, output.status).finish();
}

/** AtomicWriteOutput { status = 1; versionstamp = 2 } (failed_checks, optional, is not sent). */
export function encodeAtomicWriteOutput(status: number, versionstamp?: Uint8Array): Uint8Array {
  const writer = new ProtobufWriter().varint(1, status);
  if (versionstamp) writer.bytes(2, versionstamp);
  return writer.finish();
}

/** WatchOutput { status = 1; repeated WatchKeyOutput keys = 2 } */
export function encodeWatchOutput(status: number, keys: readonly WatchKeyOutput[]): Uint8Array {
  const writer = new ProtobufWriter().varint(1, status);
  for (const key of keys) {
    const inner = new ProtobufWriter().varint(1, key.changed);
    if (key.entry) inner.bytes(2, key.entry);
    writer.bytes(2, inner.finish());
  }
  return writer.finish();
}

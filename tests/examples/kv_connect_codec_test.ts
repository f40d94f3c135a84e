/**
 * KV Connect's pure parts: the protobuf wire format, the data-path
 * messages, the V8 value codec (against node:v8, and against bytes Deno
 * 2.9's own serializer wrote), and values ⇄ KvValue.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import v8 from "node:v8";
import { type Field, ProtobufError, ProtobufWriter, readFields } from "../../examples/lib/kv_connect/protobuf.ts";
import {
  AtomicWriteStatus,
  decodeAtomicWrite,
  decodeSnapshotRead,
  decodeWatch,
  encodeAtomicWriteOutput,
  encodeSnapshotReadOutput,
  encodeWatchOutput,
  MutationType,
  ValueEncoding,
} from "../../examples/lib/kv_connect/messages.ts";
import { deserializeV8, serializeV8, V8ValueError } from "../../examples/lib/kv_connect/v8_value.ts";
import { fromKvValue, toKvValue } from "../../examples/lib/kv_connect/kv_values.ts";
import { KvU64 } from "../../mod.ts";

const hex = (text: string) => Uint8Array.from(text.match(/../g)!.map((byte) => parseInt(byte, 16)));
const bytes = (...values: number[]) => Uint8Array.from(values);
const fields = (message: Uint8Array) => [...readFields(message)].map((f: Field) => [f.number, f.wireType === 0 ? f.value : [...f.bytes]]);

describe("protobuf wire format", () => {
  test("varints and length-delimited fields round-trip; zero varints are left out as proto3 does", () => {
    const message = new ProtobufWriter()
      .varint(1, 150)
      .varint(2, 0)
      .varint(3, true)
      .varint(4, -1n)
      .varint(5, 2n ** 63n)
      .bytes(6, bytes(1, 2, 3))
      .bytes(7, new Uint8Array(0))
      .finish();
    // 150 is the protobuf documentation's example: 08 96 01.
    assert.deepEqual([...message.subarray(0, 3)], [0x08, 0x96, 0x01]);
    assert.deepEqual(fields(message), [[1, 150n], [3, 1n], [4, 2n ** 64n - 1n], [5, 2n ** 63n], [6, [1, 2, 3]], [7, []]]);
  });

  test("unknown fixed-width fields are skipped; bad input is a ProtobufError", () => {
    // field 2 fixed64, field 3 fixed32, then field 1 varint 5
    assert.deepEqual(fields(bytes(0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x1d, 1, 2, 3, 4, 0x08, 5)), [[1, 5n]]);
    for (const bad of [bytes(0x08), bytes(0x08, 0xff), bytes(0x0a, 5, 1), bytes(0x0b), bytes(0x00, 1), bytes(0x08, ...new Array(11).fill(0xff))]) {
      assert.throws(() => [...readFields(bad)], ProtobufError, `${[...bad]}`);
    }
  });
});

describe("KV Connect messages", () => {
  test("SnapshotRead: ranges with start, end, limit and reverse", () => {
    const range = (start: number[], end: number[], limit: number, reverse: boolean) =>
      new ProtobufWriter().bytes(1, bytes(...start)).bytes(2, bytes(...end)).varint(3, limit).varint(4, reverse).finish();
    const request = new ProtobufWriter().bytes(1, range([2, 0x61, 0], [2, 0x62, 0], 10, false)).bytes(1, range([1], [0xff], 1, true)).finish();
    assert.deepEqual(decodeSnapshotRead(request), [
      { start: bytes(2, 0x61, 0), end: bytes(2, 0x62, 0), limit: 10, reverse: false },
      { start: bytes(1), end: bytes(0xff), limit: 1, reverse: true },
    ]);
    assert.throws(() => decodeSnapshotRead(bytes(0x0a, 0x02, 0x08)), ProtobufError);
  });

  test("AtomicWrite: checks, mutations with values and expiry, enqueues counted", () => {
    const check = new ProtobufWriter().bytes(1, bytes(2, 0x6b, 0)).bytes(2, new Uint8Array(10).fill(1)).finish();
    const absent = new ProtobufWriter().bytes(1, bytes(2, 0x6c, 0)).finish();
    const value = new ProtobufWriter().bytes(1, bytes(5, 0, 0, 0, 0, 0, 0, 0)).varint(2, ValueEncoding.LE64).finish();
    const sum = new ProtobufWriter().bytes(1, bytes(2, 0x63, 0)).bytes(2, value).varint(3, MutationType.SUM).finish();
    const set = new ProtobufWriter().bytes(1, bytes(2, 0x73, 0)).bytes(2, value).varint(3, MutationType.SET).varint(4, 1_700_000_000_000n).finish();
    const enqueue = new ProtobufWriter().bytes(1, bytes(0xff, 0x0f, 0x5f)).finish();
    const write = decodeAtomicWrite(new ProtobufWriter().bytes(1, check).bytes(1, absent).bytes(2, sum).bytes(2, set).bytes(3, enqueue).finish());
    assert.deepEqual(write.checks, [{ key: bytes(2, 0x6b, 0), versionstamp: new Uint8Array(10).fill(1) }, { key: bytes(2, 0x6c, 0), versionstamp: new Uint8Array(0) }]);
    assert.equal(write.mutations.length, 2);
    assert.deepEqual(write.mutations[0].value, { data: bytes(5, 0, 0, 0, 0, 0, 0, 0), encoding: ValueEncoding.LE64 });
    assert.equal(write.mutations[0].type, MutationType.SUM);
    assert.equal(write.mutations[1].expireAtMs, 1_700_000_000_000);
    assert.equal(write.enqueues, 1);
    const shortStamp = new ProtobufWriter().bytes(1, new ProtobufWriter().bytes(1, bytes(1)).bytes(2, bytes(1, 2)).finish()).finish();
    assert.throws(() => decodeAtomicWrite(shortStamp), /10 bytes or empty/);
  });

  test("Watch keys; outputs encode the fields the clients read", () => {
    const watch = new ProtobufWriter().bytes(1, new ProtobufWriter().bytes(1, bytes(2, 0x77, 0)).finish()).finish();
    assert.deepEqual(decodeWatch(watch), [bytes(2, 0x77, 0)]);
    assert.deepEqual(fields(encodeAtomicWriteOutput(AtomicWriteStatus.SUCCESS, bytes(0, 0, 0, 0, 0, 0, 0, 1, 0, 0))), [[1, 1n], [2, [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]]]);
    assert.deepEqual(fields(encodeAtomicWriteOutput(AtomicWriteStatus.CHECK_FAILURE)), [[1, 2n]]);
    const entry = { key: bytes(2, 0x61, 0), value: bytes(9), encoding: ValueEncoding.BYTES, versionstamp: new Uint8Array(10) };
    const read = encodeSnapshotReadOutput({ ranges: [[entry], []], readDisabled: false, readIsStronglyConsistent: true, status: 1 });
    const top = [...readFields(read)];
    assert.deepEqual(top.map((f) => f.number), [1, 1, 4, 8]);
    const first = top[0].wireType === 2 ? [...readFields(top[0].bytes)] : [];
    assert.equal(first.length, 1);
    assert.deepEqual(fields(encodeWatchOutput(1, [{ changed: false }, { changed: true }])), [[1, 1n], [2, []], [2, [0x08, 0x01]]]);
  });
});

const SAMPLES: unknown[] = [
  undefined, null, true, false, 0, -0, 1, -1, 2 ** 31, -(2 ** 31), 1.5, NaN, -Infinity, 12345678901234567890n, -5n, 0n,
  "", "abc", "é", "€ü", "😀", "x".repeat(300), "€".repeat(100), new Date(0), /a.b/gi, /x/dsuy,
  { a: 1, "0": 2, nested: { x: [1, , 3] } }, [1, "x", [2]], new Map<unknown, unknown>([[1, "a"], ["b", { c: 2 }]]), new Set([1, "2", 3n]),
  new Uint8Array([1, 2, 3]), { u: new Uint8Array([0, 255]) }, new Int16Array([1, -1]), new Float64Array([1.5]), new BigInt64Array([-1n]),
];

describe("V8 value codec", () => {
  test("what node:v8 writes reads back, and what this writes node:v8 reads, for every stored kind", () => {
    for (const value of SAMPLES) {
      assert.deepEqual(deserializeV8(v8.serialize(value)), value, `reading ${String(value)}`);
      assert.deepEqual(v8.deserialize(serializeV8(value)), value, `writing ${String(value)}`);
      assert.deepEqual(deserializeV8(serializeV8(value)), value);
    }
    const shared = { s: 1 };
    assert.deepEqual(deserializeV8(v8.serialize([shared, shared])), [{ s: 1 }, { s: 1 }]);
  });

  test("reads version 16, as Deno 2.9 writes it (bytes from its serializer)", () => {
    assert.deepEqual(
      deserializeV8(hex("ff106f22017842020102564200020022016444000000000000144022016d3b490222017a3a027b03")),
      { x: new Uint8Array([1, 2]), d: new Date(5), m: new Map([[1, "z"]]) },
    );
    // deno-lint-ignore no-sparse-arrays
    assert.deepEqual(deserializeV8(hex("ff1061034900490249044906400203")), [1, , 3]);
    assert.deepEqual(deserializeV8(hex("ff106304e900ac20")), "é€");
    assert.deepEqual(deserializeV8(hex("ff105a100500000000000000")), 5n);
  });

  test("bad bytes and unstorable values are V8ValueErrors", () => {
    for (const bad of ["", "0f49", "ff6349", "ff0f", "ff0f49", "ff0f7702", "ff0f4902ff", "ff0f6f2201614902"]) {
      assert.throws(() => deserializeV8(hex(bad || "00").subarray(bad ? 0 : 1)), V8ValueError, bad);
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => serializeV8(cyclic), V8ValueError);
    assert.throws(() => serializeV8(() => 1), V8ValueError);
    assert.throws(() => serializeV8(Symbol("s")), V8ValueError);
  });
});

describe("values as KV Connect carries them", () => {
  test("Uint8Array as bytes, KvU64 as 8 little-endian bytes, the rest V8", () => {
    assert.deepEqual(toKvValue(bytes(1, 2)), { data: bytes(1, 2), encoding: ValueEncoding.BYTES });
    assert.deepEqual(toKvValue(new KvU64(258n)), { data: bytes(2, 1, 0, 0, 0, 0, 0, 0), encoding: ValueEncoding.LE64 });
    assert.equal(toKvValue({ a: 1 }).encoding, ValueEncoding.V8);
    assert.deepEqual(fromKvValue({ data: bytes(2, 1, 0, 0, 0, 0, 0, 0), encoding: ValueEncoding.LE64 }), new KvU64(258n));
    assert.deepEqual(fromKvValue({ data: bytes(7), encoding: ValueEncoding.BYTES }), bytes(7));
    assert.deepEqual(fromKvValue(toKvValue({ a: [1n] })), { a: [1n] });
    assert.throws(() => fromKvValue({ data: bytes(1), encoding: ValueEncoding.LE64 }), /8 bytes/);
    assert.throws(() => fromKvValue({ data: bytes(1), encoding: 0 }), /unknown value encoding 0/);
  });
});

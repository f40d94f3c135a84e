import { test } from "node:test";
import assert from "node:assert/strict";
import { crc32c } from "../../raft/storage/crc32c.ts";
import {
  decodeRecord,
  decodeSegmentHeader,
  encodeRecords,
  encodeSegmentHeader,
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
} from "../../raft/storage/record.ts";
import { scanSegment } from "../../raft/storage/segment_scan.ts";
import { batch, entry } from "./_helpers.ts";

const enc = (s: string) => new TextEncoder().encode(s);

test("crc32c matches the published check values", () => {
  assert.equal(crc32c(0, enc("123456789")), 0xe3069283);
  assert.equal(crc32c(0, new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(0, new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(0, new Uint8Array(0)), 0);
});

test("crc32c is incremental and slicing agrees with byte-at-a-time", () => {
  const data = new Uint8Array(1000).map((_, i) => (i * 31 + 7) & 0xff);
  const whole = crc32c(0, data);
  for (const cut of [0, 1, 7, 8, 9, 500, 999, 1000]) {
    assert.equal(crc32c(crc32c(0, data, 0, cut), data, cut), whole, `cut at ${cut}`);
  }
  let bytewise = 0;
  for (let i = 0; i < data.length; i++) bytewise = crc32c(bytewise, data, i, i + 1);
  assert.equal(bytewise, whole);
});

test("records round-trip, including empty data and large indexes", () => {
  const entries = [entry(1, 1), { index: 2, term: 1, kind: 2 as const, data: new Uint8Array(0) }, entry(2 ** 40 + 3, 2 ** 33)];
  const bytes = encodeRecords(entries);
  let at = 0;
  for (const e of entries) {
    const rec = decodeRecord(bytes, at);
    assert.equal(rec.kind, "ok");
    if (rec.kind !== "ok") return;
    assert.deepEqual(rec.entry, e);
    at = rec.end;
  }
  assert.equal(at, bytes.byteLength);
});

test("a short record is incomplete, a flipped byte is bad", () => {
  const bytes = encodeRecords([entry(9, 3, 40)]);
  assert.equal(decodeRecord(bytes.subarray(0, 10), 0).kind, "incomplete");
  assert.equal(decodeRecord(bytes.subarray(0, bytes.length - 1), 0).kind, "incomplete");
  for (const pos of [0, 5, 9, 17, 24, RECORD_HEADER_BYTES + 3]) {
    const copy = bytes.slice();
    copy[pos] ^= 0x10;
    const rec = decodeRecord(copy, 0);
    assert.notEqual(rec.kind, "ok", `flip at ${pos}`);
  }
});

test("segment headers round-trip and reject garbage", () => {
  const h = encodeSegmentHeader(12345);
  assert.deepEqual(decodeSegmentHeader(h), { kind: "ok", baseIndex: 12345 });
  assert.equal(decodeSegmentHeader(h.subarray(0, 10)).kind, "incomplete");
  const bad = h.slice();
  bad[9] ^= 1;
  assert.equal(decodeSegmentHeader(bad).kind, "bad");
});

function segment(base: number, count: number): Uint8Array {
  const h = encodeSegmentHeader(base);
  const r = encodeRecords(batch(base, count, 1));
  const out = new Uint8Array(h.length + r.length);
  out.set(h);
  out.set(r, h.length);
  return out;
}

test("scan: clean segment", () => {
  const res = scanSegment(segment(5, 10), true);
  assert.equal(res.kind, "ok");
  if (res.kind !== "ok") return;
  assert.equal(res.scan.offsets.length, 10);
  assert.equal(res.scan.tornReason, null);
  assert.equal(res.scan.offsets[0], SEGMENT_HEADER_BYTES);
});

test("scan: torn tail of the last segment is cut, of an older one is corruption", () => {
  const seg = segment(1, 10);
  const torn = seg.subarray(0, seg.length - 7);
  const last = scanSegment(torn, true);
  assert.equal(last.kind, "ok");
  if (last.kind === "ok") {
    assert.equal(last.scan.offsets.length, 9);
    assert.match(last.scan.tornReason ?? "", /incomplete/);
  }
  assert.equal(scanSegment(torn, false).kind, "corrupt");
});

test("scan: flipped byte in the last record of the last segment is a torn tail", () => {
  const seg = segment(1, 10);
  seg[seg.length - 3] ^= 0xff;
  const res = scanSegment(seg, true);
  assert.equal(res.kind, "ok");
  if (res.kind === "ok") assert.equal(res.scan.offsets.length, 9);
});

test("scan: flipped byte in a middle record is corruption even in the last segment", () => {
  const seg = segment(1, 10);
  const ok = scanSegment(seg, true);
  assert.equal(ok.kind, "ok");
  if (ok.kind !== "ok") return;
  const at = ok.scan.offsets[4];
  for (const delta of [0, 4, 9, 30]) {
    const copy = seg.slice();
    copy[at + delta] ^= 0x40;
    const res = scanSegment(copy, true);
    assert.equal(res.kind, "corrupt", `flip at record offset +${delta}`);
    if (res.kind === "corrupt") assert.equal(res.offset, at);
  }
});

test("scan: short header is an interrupted creation only in the last segment", () => {
  assert.equal(scanSegment(new Uint8Array(5), true).kind, "empty-torn");
  assert.equal(scanSegment(new Uint8Array(5), false).kind, "corrupt");
  assert.equal(scanSegment(new Uint8Array(0), true).kind, "empty-torn");
});

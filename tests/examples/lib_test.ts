/**
 * Unit tests of the examples' pure parts: durations, the kvdb snapshot
 * codec and expiry bookkeeping, MONITOR lines, time-series points, and the
 * HTTP sniffing rule.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "../../examples/lib/duration.ts";
import { decodeKv, deleteKey, emptyKv, encodeKv, getLive, liveCount, setKey, sweepExpired } from "../../examples/lib/kv_data.ts";
import { monitorLine, quoteArg, unixSeconds6 } from "../../examples/lib/monitor_line.ts";
import { dropBefore, insertPoint, pointKey, pointsOf, queryPoints, type SeriesData } from "../../examples/lib/series.ts";
import { looksLikeHttp } from "../../examples/lib/http1.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const S = 1_000_000_000n;

describe("examples/lib", () => {
  test("durations parse and print as Go's", () => {
    const cases: Array<[string, bigint]> = [
      ["0", 0n], ["1s", S], ["-5m", -300n * S], ["1h30m", 5400n * S], ["-1h30m", -5400n * S], ["1.5s", 1_500_000_000n],
      ["250ms", 250_000_000n], ["10us", 10_000n], ["10µs", 10_000n], ["7ns", 7n], ["2d", 172_800n * S], [".5m", 30n * S],
    ];
    for (const [text, ns] of cases) assert.equal(parseDuration(text), ns, text);
    for (const bad of ["", "-", "5", "1x", "m", "1h-5m", "now", "1 s"]) assert.equal(parseDuration(bad), undefined, bad);
    const printed: Array<[bigint, string]> = [
      [0n, "0s"], [168n * 3600n * S, "168h0m0s"], [S, "1s"], [1_500_000_000n, "1.5s"], [90n * S, "1m30s"],
      [250_000_000n, "250ms"], [1_500n, "1.5µs"], [7n, "7ns"], [-300n * S, "-5m0s"], [7200n * S, "2h0m0s"],
    ];
    for (const [ns, text] of printed) assert.equal(formatDuration(ns), text, String(ns));
  });

  test("kvdb data: expiry by machine time and the binary snapshot round trip", () => {
    const db = emptyKv();
    setKey(db, "a", bytes("1"), 0n);
    setKey(db, "b", new Uint8Array([0, 128, 255]), 100n);
    setKey(db, "ü", bytes("unicode key ✓"), 200n);
    assert.equal(liveCount(db, 99n), 3);
    assert.deepEqual([...getLive(db, "b", 99n) ?? []], [0, 128, 255], "bytes kept exactly");
    assert.equal(getLive(db, "b", 100n), undefined, "expired at its expiry time, even before the sweep");
    assert.equal(liveCount(db, 100n), 2);

    const copy = decodeKv(encodeKv(db));
    assert.deepEqual([...copy.keys], [...db.keys]);
    assert.equal(new TextDecoder().decode(getLive(copy, "ü", 0n)), "unicode key ✓");
    assert.deepEqual([...copy.expiring], [...db.expiring]);
    assert.equal(copy.nextExpiry, 100n);

    assert.equal(sweepExpired(db, 99n), 0);
    assert.equal(sweepExpired(db, 150n), 1);
    assert.deepEqual([...db.keys.keys()], ["a", "ü"]);
    assert.equal(db.nextExpiry, 200n);
    setKey(db, "ü", bytes("no expiry now"), 0n);
    assert.equal(db.expiring.size, 0, "SET without EX clears the expiry");
    assert.equal(deleteKey(db, "a", 0n), true);
    assert.equal(deleteKey(db, "a", 0n), false);

    assert.throws(() => decodeKv(bytes("nope")), /not a kvdb snapshot: bad magic/);
    assert.throws(() => decodeKv(encodeKv(copy).subarray(0, 20)), /truncated/);
    assert.equal(decodeKv(encodeKv(emptyKv())).keys.size, 0);
  });

  test("MONITOR lines quote like Redis", () => {
    assert.equal(quoteArg(bytes('a"b\\c\n\r\t')), '"a\\"b\\\\c\\n\\r\\t"');
    assert.equal(quoteArg(new Uint8Array([0, 0x7f, 0xc3, 0xbc])), '"\\x00\\x7f\\xc3\\xbc"');
    assert.equal(unixSeconds6(1700000000123.4567), "1700000000.123457");
    assert.equal(unixSeconds6(1700000000000), "1700000000.000000");
    assert.equal(
      monitorLine({ timeMs: 1700000000000.5, remoteAddress: "127.0.0.1:5000", args: [bytes("SET"), bytes("k"), bytes("v v")] }),
      '1700000000.000500 [0 127.0.0.1:5000] "SET" "k" "v v"',
    );
  });

  test("time-series points: ordered, deduplicated, ranged, dropped by age", () => {
    const db: SeriesData = { retainNs: "0", totalSets: 0, totalDels: 0, measurements: {} };
    const cpu = pointsOf(db, "cpu", true)!;
    assert.equal(insertPoint(cpu, pointKey(30n, "a=3")), true);
    assert.equal(insertPoint(cpu, pointKey(10n, "a=1")), true);
    assert.equal(insertPoint(cpu, pointKey(20n, "a=2")), true);
    assert.equal(insertPoint(cpu, pointKey(20n, "a=2")), false);
    assert.equal(insertPoint(cpu, pointKey(9n, "a=0")), true, "9 sorts before 10 (zero-padded)");
    assert.deepEqual(queryPoints(cpu, "cpu", 10n, 20n, Infinity), ["cpu 10 a=1", "cpu 20 a=2"]);
    assert.deepEqual(queryPoints(cpu, "cpu", 0n, 100n, 2), ["cpu 9 a=0", "cpu 10 a=1"]);
    pointsOf(db, "__proto__", true)!.push(pointKey(1n, "x=1"));
    assert.equal(Object.getPrototypeOf(db.measurements), Object.prototype, "any measurement name is safe");
    assert.equal(dropBefore(db, 20n), 3);
    assert.deepEqual(Object.keys(db.measurements), ["cpu"]);
    assert.deepEqual(queryPoints(cpu, "cpu", 0n, 100n, Infinity), ["cpu 20 a=2", "cpu 30 a=3"]);
    const restored = JSON.parse(JSON.stringify(db)) as SeriesData;
    assert.deepEqual(restored, db, "JSON snapshots round-trip");
  });

  test("HTTP sniffing leaves inline RESP alone", () => {
    const methods = ["GET", "PUT", "DELETE", "HEAD"];
    assert.equal(looksLikeHttp(bytes("GET /key HTTP/1.1\r\nHost: x\r\n\r\n"), methods), true);
    assert.equal(looksLikeHttp(bytes("DELETE /k HTTP/1.0\r\n\r\n"), methods), true);
    assert.equal(looksLikeHttp(bytes("PUT /k"), methods), true, "a first chunk without a line end");
    assert.equal(looksLikeHttp(bytes("GET /key\r\n"), methods), false, "inline RESP");
    assert.equal(looksLikeHttp(bytes("GET key\r\n"), methods), false);
    assert.equal(looksLikeHttp(bytes("*2\r\n$3\r\nGET\r\n"), methods), false);
    assert.equal(looksLikeHttp(bytes("POST / HTTP/1.1\r\n"), methods), false);
  });
});

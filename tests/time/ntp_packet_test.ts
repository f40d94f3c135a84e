import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bestSample,
  decodeReply,
  encodeRequest,
  medianOffset,
  type NtpReply,
  ntpToUnixNs,
  RejectedReply,
  sampleFromReply,
  unixNsToNtp,
} from "../../time/ntp_packet.ts";
import { parseNtpServers } from "../../time/sntp_client.ts";

const S = 1_000_000_000n;
const MS = 1_000_000n;

test("NTP timestamps round-trip unix ns within a nanosecond, across the 2036 era wrap", () => {
  for (const ns of [0n, 1_764_000_000_123_456_789n, 2_085_978_495n * S + 999_999_999n, 2_085_978_496n * S + 5n, 3_000_000_000n * S]) {
    const back = ntpToUnixNs(unixNsToNtp(ns));
    assert.ok(back - ns <= 1n && ns - back <= 1n, `${ns} came back as ${back}`);
  }
  // 1970-01-01 is 2208988800 s after 1900.
  assert.equal(unixNsToNtp(0n), 2_208_988_800n << 32n);
});

test("a request is 48 bytes: LI 0, version 4, mode 3, the nonce as transmit timestamp", () => {
  const packet = encodeRequest(0x0102030405060708n);
  assert.equal(packet.length, 48);
  assert.equal(packet[0], 0x23);
  assert.deepEqual([...packet.subarray(40)], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.ok(packet.subarray(1, 40).every((byte) => byte === 0));
});

test("decodeReply reads the fields and refuses short packets", () => {
  const bytes = new Uint8Array(48);
  bytes[0] = (3 << 6) | (4 << 3) | 4;
  bytes[1] = 0;
  bytes.set(new TextEncoder().encode("RATE"), 12);
  new DataView(bytes.buffer).setBigUint64(24, 42n);
  const reply = decodeReply(bytes) as NtpReply;
  assert.deepEqual([reply.leap, reply.version, reply.mode, reply.stratum, reply.referenceId, reply.origin], [3, 4, 4, 0, "RATE", 42n]);
  assert.match(String(decodeReply(new Uint8Array(20))), /short packet: 20 bytes/);
});

/** A reply whose server clock is `offset` ahead, with `delay` of round trip around a server that takes 1 ms. */
function exchange(offset: bigint, delay: bigint, change: Partial<NtpReply> = {}) {
  const t1 = 1_764_000_000n * S;
  const t2 = t1 + delay / 2n + offset;
  const t3 = t2 + MS;
  const t4 = t1 + delay + MS;
  const reply: NtpReply = {
    leap: 0, version: 4, mode: 4, stratum: 2, referenceId: "GPS", origin: 77n,
    receive: unixNsToNtp(t2), transmit: unixNsToNtp(t3), ...change,
  };
  return sampleFromReply(reply, { nonce: 77n, sentNs: t1, receivedNs: t4 }, 1_000n * MS);
}

test("offset and delay come from the four timestamps (RFC 5905 §8)", () => {
  const sample = exchange(3_600n * S, 20n * MS);
  assert.ok(!(sample instanceof RejectedReply));
  assert.ok(sample.offsetNs - 3_600n * S <= 1n && 3_600n * S - sample.offsetNs <= 1n);
  assert.ok(sample.delayNs - 20n * MS <= 1n && 20n * MS - sample.delayNs <= 1n);
  const behind = exchange(-250n * MS, 4n * MS);
  assert.ok(!(behind instanceof RejectedReply) && behind.offsetNs < -249n * MS && behind.offsetNs > -251n * MS);
});

test("bad replies are rejected with the reason", () => {
  const cases: [Partial<NtpReply>, RegExp][] = [
    [{ stratum: 0, referenceId: "RATE" }, /kiss-o'-death "RATE"/],
    [{ stratum: 16 }, /stratum 16/],
    [{ leap: 3 }, /leap indicator 3/],
    [{ origin: 78n }, /origin timestamp does not match/],
    [{ mode: 3 }, /not a server reply/],
    [{ version: 0 }, /unknown NTP version/],
    [{ transmit: 0n }, /zero server timestamp/],
  ];
  for (const [change, reason] of cases) {
    const result = exchange(0n, MS, change);
    assert.ok(result instanceof RejectedReply, JSON.stringify(change, (_k, v) => typeof v === "bigint" ? String(v) : v));
    assert.match(result.message, reason);
  }
  const slow = exchange(0n, 1_500n * MS);
  assert.ok(slow instanceof RejectedReply && /round trip 1500 ms over the 1000 ms bound/.test(slow.message));
});

test("the best sample is the one with the shortest round trip; servers combine by median", () => {
  const samples = [{ offsetNs: 5n, delayNs: 30n, stratum: 2 }, { offsetNs: 7n, delayNs: 10n, stratum: 2 }, { offsetNs: 9n, delayNs: 20n, stratum: 2 }];
  assert.equal(bestSample(samples)?.offsetNs, 7n);
  assert.equal(bestSample([]), undefined);
  assert.equal(medianOffset([]), undefined);
  assert.equal(medianOffset([5n]), 5n);
  // One liar by hours among three: the median is an honest one.
  assert.equal(medianOffset([3_600n * S, 2n * MS, 1n * MS]), 2n * MS);
  assert.equal(medianOffset([10n, -10n, 4n, 6n]), 5n);
});

test("--ntp server lists: host, host:port, IPv6, default port 123", () => {
  assert.deepEqual(parseNtpServers("a.example, b.example:1234,[::1]:5,::1,[fe80::1]"), [
    { host: "a.example", port: 123 },
    { host: "b.example", port: 1234 },
    { host: "::1", port: 5 },
    { host: "::1", port: 123 },
    { host: "fe80::1", port: 123 },
  ]);
  assert.match(String(parseNtpServers("a,,b")), /needs servers/);
  assert.match(String(parseNtpServers("a:0")), /port from 1 to 65535/);
  assert.match(String(parseNtpServers(":123")), /needs a host/);
});

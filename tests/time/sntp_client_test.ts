import { after, test } from "node:test";
import assert from "node:assert/strict";
import { queryRound, queryServer } from "../../time/sntp_client.ts";
import { medianOffset } from "../../time/ntp_packet.ts";
import { type SntpBehaviour, startSntpServer, type SntpTestServer } from "../helpers/sntp_server.ts";

const MS = 1_000_000n;
const HOUR_NS = 3_600_000n * MS;
/** The host's wall clock with sub-ms steps: the offsets below are relative to it. */
const wallAtStart = BigInt(Date.now()) * MS;
const monotonicAtStart = process.hrtime.bigint();
const options = {
  clock: () => wallAtStart + (process.hrtime.bigint() - monotonicAtStart),
  timeoutMs: 300,
  maxDelayNs: 1_000n * MS,
};
const servers: SntpTestServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});
async function server(offsetMs: number, behaviour: SntpBehaviour = "ok"): Promise<SntpTestServer> {
  const started = await startSntpServer(offsetMs, behaviour);
  servers.push(started);
  return started;
}
const show = (value: unknown) => JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? String(v) : v));
const near = (actual: bigint, expected: bigint, withinMs: bigint) =>
  assert.ok(actual - expected <= withinMs * MS && expected - actual <= withinMs * MS, `${actual} is not within ${withinMs} ms of ${expected}`);

test("the client measures a server one hour ahead within a few ms", async () => {
  const ahead = await server(3_600_000);
  const result = await queryServer({ host: "127.0.0.1", port: ahead.port }, options);
  assert.equal(result.kind, "sample", show(result));
  if (result.kind !== "sample") return;
  near(result.sample.offsetNs, HOUR_NS, 5n);
  assert.ok(result.sample.delayNs >= 0n && result.sample.delayNs < 100n * MS);
  const behind = await server(-1_500);
  const late = await queryServer({ host: "127.0.0.1", port: behind.port }, options);
  assert.equal(late.kind, "sample", show(late));
  if (late.kind === "sample") near(late.sample.offsetNs, -1_500n * MS, 5n);
});

test("bad answers are rejected; no answer is a timeout; an unknown host is unreachable at once", async () => {
  const expected: [SntpBehaviour, string, RegExp][] = [
    ["kiss", "rejected", /kiss-o'-death "RATE"/],
    ["garbage", "rejected", /short packet/],
    ["wrong-origin", "rejected", /origin timestamp does not match/],
    ["stratum16", "rejected", /stratum 16/],
    ["leap3", "rejected", /leap indicator 3/],
    ["silent", "timeout", /^$/],
  ];
  for (const [behaviour, kind, reason] of expected) {
    const bad = await server(0, behaviour);
    const result = await queryServer({ host: "127.0.0.1", port: bad.port }, options);
    assert.equal(result.kind, kind, `${behaviour}: ${show(result)}`);
    assert.match("reason" in result ? result.reason : "", reason, behaviour);
    assert.equal(bad.requests, 1);
  }
  const started = Date.now();
  const unknown = await queryServer({ host: "no-such-host.invalid", port: 123 }, options);
  assert.equal(unknown.kind, "unreachable");
  assert.match("reason" in unknown ? unknown.reason : "", /cannot resolve no-such-host\.invalid/);
  assert.ok(Date.now() - started < 5_000);
});

test("three servers, one lying by hours: the median of their best samples wins; dead ones do not block the round", async () => {
  const honest = [await server(1_000), await server(1_002)];
  const liar = await server(5 * 3_600_000);
  const silent = await server(0, "silent");
  const started = Date.now();
  const results = await queryRound(
    [...honest, liar, silent].map((s) => ({ host: "127.0.0.1", port: s.port })).concat([{ host: "no-such-host.invalid", port: 123 }]),
    3,
    options,
  );
  assert.deepEqual(results.map((r) => r.kind), ["sample", "sample", "sample", "timeout", "unreachable"]);
  // Three samples from each live server, one request to the silent one (a timeout ends its round).
  assert.deepEqual([honest[0].requests, honest[1].requests, liar.requests, silent.requests], [3, 3, 3, 1]);
  assert.ok(Date.now() - started < 2_000, "servers are asked in parallel");
  const offset = medianOffset(results.flatMap((r) => (r.kind === "sample" ? [r.sample.offsetNs] : [])));
  near(offset!, 1_002n * MS, 5n);
});

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_TIME_TIMINGS, TimeSource, type TimeSourceOptions } from "../../time/time_source.ts";
import { type SntpBehaviour, startSntpServer, type SntpTestServer } from "../helpers/sntp_server.ts";
import { waitFor } from "../helpers/process.ts";
import type { Logger } from "../../raft/logger.ts";

const MS = 1_000_000n;
const timings = { ...DEFAULT_TIME_TIMINGS, resyncMs: 2_000, requestTimeoutMs: 200, samplesPerServer: 2, waitLogMs: 100, firstRetryMs: 100 };
const servers: SntpTestServer[] = [];
const sources: TimeSource[] = [];
after(async () => {
  sources.forEach((source) => source.stop());
  for (const server of servers) await server.close();
});

function recordingLogger() {
  const lines: string[] = [];
  const logger: Logger = {
    debug: (m) => void lines.push(`debug ${m}`),
    verb: (m) => void lines.push(`verb ${m}`),
    info: (m) => void lines.push(`info ${m}`),
    warn: (m) => void lines.push(`warn ${m}`),
  };
  return { logger, lines };
}

async function server(offsetMs: number, behaviour: SntpBehaviour = "ok") {
  const started = await startSntpServer(offsetMs, behaviour);
  servers.push(started);
  return started;
}

function source(options: TimeSourceOptions) {
  const { logger, lines } = recordingLogger();
  const time = new TimeSource(options, logger, timings);
  sources.push(time);
  time.start();
  return { time, lines };
}

const ntp = (addresses: SntpTestServer[], extra: Partial<Extract<TimeSourceOptions, { kind: "ntp" }>> = {}): TimeSourceOptions => ({
  kind: "ntp",
  servers: addresses.map((s) => ({ host: "127.0.0.1", port: s.port })),
  strict: false,
  graceMs: 5_000,
  ...extra,
});

test("synchronizes to a server one hour ahead: now() is an hour ahead, info says so", async () => {
  const ahead = await server(3_600_000);
  const { time, lines } = source(ntp([ahead]));
  assert.equal(time.ready, false);
  await waitFor("sync", () => time.state === "synced", 5_000);
  assert.equal(time.ready, true);
  const skew = time.now() - BigInt(Date.now()) * MS - 3_600_000n * MS;
  assert.ok(skew < 20n * MS && skew > -20n * MS, `skew ${skew} ns`);
  assert.ok(lines.some((l) => /^info synchronized time \(offset (59m59\.99\d*s|1h0m0(\.00\d*)?s) from the host clock, 1 of 1 servers answered\)/.test(l)), lines.join("\n"));
  const info = time.info();
  assert.equal(info.time_source, `ntp ${ahead.address}`);
  assert.match(info.time_offset, /^(59m59\.99\d*s|1h0m0(\.00\d*)?s)$/);
  assert.match(info.time_last_sync, /^\d{4}-\d\d-\d\dT/);
  assert.equal(time.writeRefusal(), undefined);
});

test("no answer: waits (saying so), falls back to the host clock after the grace with a warning, then syncs when a server answers", async () => {
  const silent = await server(3_600_000, "silent");
  const started = Date.now();
  const { time, lines } = source(ntp([silent], { graceMs: 600 }));
  await waitFor("fallback", () => time.state === "fallback", 5_000);
  assert.ok(Date.now() - started >= 590, "not before the grace");
  assert.ok(lines.filter((l) => l.startsWith("info waiting for a time source")).length >= 2, lines.join("\n"));
  const warning = lines.find((l) => l.startsWith("warn "));
  assert.match(warning!, /no time source reachable \(no time source answered within 600 ms\): falling back to the host clock/);
  assert.equal(time.ready, true);
  assert.match(time.info().time_source, /^host clock \(fallback/);
  const hostSkew = time.now() - BigInt(Date.now()) * MS;
  assert.ok(hostSkew < 20n * MS && hostSkew > -20n * MS);
  silent.behaviour = "ok";
  await waitFor("sync in the background", () => time.state === "synced", 10_000);
  assert.ok(time.now() - BigInt(Date.now()) * MS > 3_599_000n * MS);
});

test("when no server's name resolves, the fallback is at once, not after the grace", async () => {
  const started = Date.now();
  const { time, lines } = source({ kind: "ntp", servers: [{ host: "no-such-host.invalid", port: 123 }], strict: false, graceMs: 60_000 });
  await waitFor("fallback", () => time.state === "fallback", 10_000);
  assert.ok(Date.now() - started < 10_000);
  assert.ok(lines.some((l) => /^warn no time source reachable \(no-such-host\.invalid:123: cannot resolve/.test(l)), lines.join("\n"));
});

test("strict: no fallback; writes are refused with a clear error until a server answers", async () => {
  const kiss = await server(0, "kiss");
  const { time, lines } = source(ntp([kiss], { strict: true, graceMs: 300 }));
  await waitFor("the strict warning", () => lines.some((l) => l.startsWith("warn ")), 5_000);
  assert.match(lines.find((l) => l.startsWith("warn "))!, /--strict-time: writes are refused until one answers/);
  assert.equal(time.state, "waiting");
  assert.equal(time.ready, false);
  assert.match(String(time.writeRefusal()), /TRYAGAIN machine time is not synchronized: --strict-time refuses writes until an NTP server answers/);
  kiss.behaviour = "ok";
  await waitFor("sync", () => time.state === "synced", 10_000);
  assert.equal(time.writeRefusal(), undefined);
});

test("--localtime: the host clock at once, no NTP", () => {
  const { time, lines } = source({ kind: "local" });
  assert.equal(time.ready, true);
  assert.equal(time.state, "local");
  assert.deepEqual(lines, ["info using the host clock for machine time (--localtime)"]);
  assert.equal(time.info().time_source, "host clock (--localtime)");
});

/**
 * Machine time of real nodes (cli.ts processes) synced with test SNTP
 * servers on loopback: an hour ahead, a leader change to a node whose
 * source is behind, the fallback after the grace, and --strict-time.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { leaderAmong } from "../helpers/cluster.ts";
import {
  cleanup,
  freePort,
  makeTempDir,
  REPO_ROOT,
  type Spawned,
  spawnCli,
  unlessExited,
  waitFor,
  waitForPong,
} from "../helpers/process.ts";
import { askPort, errorText, pairs, raftInfo, serverList } from "../helpers/resp.ts";
import { untilAccepted } from "../helpers/until_accepted.ts";
import { startSntpServer, type SntpTestServer } from "../helpers/sntp_server.ts";
import { encodeTick } from "../../machine/log_payload.ts";
import { ReplicatedMachine } from "../../machine/machine.ts";

const CLOCK_APP = `${REPO_ROOT}tests/cluster/clock_app.ts`;
const MS = 1_000_000n;
const HOUR_NS = 3_600_000n * MS;
const sntpServers: SntpTestServer[] = [];
after(async () => {
  await cleanup();
  for (const server of sntpServers) await server.close();
});

async function sntp(offsetMs: number, behaviour: "ok" | "silent" = "ok"): Promise<SntpTestServer> {
  const server = await startSntpServer(offsetMs, behaviour);
  sntpServers.push(server);
  return server;
}

interface Node {
  readonly id: number;
  readonly port: number;
  readonly address: string;
  process: Spawned;
}

async function startNode(id: number, dataDir: string, args: string[], port?: number): Promise<Node> {
  port ??= await freePort();
  const process = spawnCli([CLOCK_APP, "-n", String(id), "-a", `127.0.0.1:${port}`, "-d", dataDir, ...args]);
  await unlessExited(process, waitForPong(port), `node ${id}`);
  return { id, port, address: `127.0.0.1:${port}`, process };
}

/** CLOCK's machine time (a write), once the node takes writes. */
async function clockWrite(port: number): Promise<bigint> {
  const reply = await untilAccepted(() => askPort(port, "CLOCK"), { what: "CLOCK", timeoutMs: 20_000 });
  assert.ok(Array.isArray(reply), `CLOCK replied ${String(reply)}`);
  return BigInt(reply[1] as string);
}

const hostNs = () => BigInt(Date.now()) * MS;

test("a TICK from a clock behind the machine's time continues from last+1", () => {
  const machine = new ReplicatedMachine({ name: "t", initialData: () => null, jsonSnapshots: true, commands: {} });
  machine.apply(encodeTick(10n * HOUR_NS, 1n));
  machine.apply(encodeTick(9n * HOUR_NS, 2n));
  assert.equal(machine.timeNs, 10n * HOUR_NS + 1n);
  machine.apply(encodeTick(11n * HOUR_NS, 3n));
  assert.equal(machine.timeNs, 11n * HOUR_NS);
});

test("a node synced with a server one hour ahead: MACHINE and writes are an hour ahead of the host", async () => {
  const ahead = await sntp(3_600_000);
  const node = await startNode(1, makeTempDir(), ["--ntp", ahead.address]);
  const written = await clockWrite(node.port);
  const machine = pairs(await askPort(node.port, "MACHINE"));
  const skew = BigInt(machine.now) - hostNs() - HOUR_NS;
  assert.ok(skew > -2_000n * MS && skew < 2_000n * MS, `MACHINE now ${machine.now} is not an hour ahead of the host (${skew} ns off)`);
  assert.ok(written - hostNs() > HOUR_NS - 2_000n * MS);
  assert.match(node.process.stderr(), / \* synchronized time \(offset (59m59\.99\d*s|1h0m0(\.00\d*)?s) from the host clock, 1 of 1 servers answered\)/);
  const info = pairs(await askPort(node.port, "RAFT", "INFO", "time_*"));
  assert.deepEqual(Object.keys(info), ["time_last_sync", "time_offset", "time_source"]);
  assert.equal(info.time_source, `ntp ${ahead.address}`);
  assert.match(info.time_offset, /^(59m59\.99\d*s|1h0m0(\.00\d*)?s)$/);
  // The default RAFT INFO stays uhaha's 22 keys.
  assert.equal(Object.keys(await raftInfo(node.port)).length, 22);
  console.log(`MACHINE under the +1 h server: ${JSON.stringify(machine)} (host ${hostNs()}); RAFT INFO time_*: ${JSON.stringify(info)}`);
});

test("3 nodes: m.now() strictly increases across a leader change to a node whose source is an hour behind", async () => {
  const twoHoursAhead = await sntp(7_200_000);
  const oneHourAhead = await sntp(3_600_000);
  const dataDir = makeTempDir("uhaha-time-cluster-");
  const first = await startNode(1, dataDir, ["--ntp", twoHoursAhead.address]);
  const nodes = [first];
  for (const id of [2, 3]) nodes.push(await startNode(id, dataDir, ["-j", first.address, "--ntp", oneHourAhead.address]));
  await waitFor("3 members", async () => (await serverList(first.port)).length === 3, 30_000);
  assert.equal((await leaderAmong(nodes)).id, 1);
  const times: bigint[] = [];
  for (let i = 0; i < 5; i++) times.push(await clockWrite(first.port));
  assert.ok(times[0] - hostNs() > 2n * HOUR_NS - 2_000n * MS, "the first leader stamps its +2 h time");
  await first.process.kill("SIGKILL");
  const next = await leaderAmong(nodes.slice(1), 30_000);
  const lastBefore = times[times.length - 1];
  for (let i = 0; i < 5; i++) times.push(await clockWrite(next.port));
  for (let i = 1; i < times.length; i++) assert.ok(times[i] > times[i - 1], `m.now() went from ${times[i - 1]} to ${times[i]}`);
  // The new leader's TICKs are an hour behind: the machine continues from the last time + 1 per step, not from its clock.
  assert.ok(times[5] - lastBefore < 1_000n * MS, `the new leader jumped ${times[5] - lastBefore} ns`);
  assert.match((await askPort(next.port, "RAFT", "INFO", "time_source")) as unknown as string[] + "", /ntp 127\.0\.0\.1/);
});

test("no source answers: the node waits, then falls back to the host clock after the grace with a warning", async () => {
  const silent = await sntp(0, "silent");
  const started = Date.now();
  const node = await startNode(1, makeTempDir(), ["--ntp", silent.address, "--time-grace", "1.5"]);
  const written = await clockWrite(node.port);
  assert.ok(Date.now() - started >= 1_400, "the first write waited for the grace");
  assert.ok(written - hostNs() < 2_000n * MS && hostNs() - written < 2_000n * MS, "machine time is the host's");
  const log = node.process.stderr();
  assert.match(log, / \* waiting for a time source \(ntp: 127\.0\.0\.1:\d+\)/);
  const warning = log.split("\n").find((line) => line.includes(" # no time source reachable"));
  assert.match(warning ?? log, /no time source reachable \(no time source answered within 1500 ms\): falling back to the host clock for machine time; still trying ntp 127\.0\.0\.1:\d+ in the background/);
  assert.match(pairs(await askPort(node.port, "RAFT", "INFO", "time_source")).time_source, /^host clock \(fallback/);
  console.log(`fallback log:\n${log.split("\n").filter((line) => /time source|synchronized/.test(line)).join("\n")}`);
});

test("--strict-time: writes are refused with a clear error until a source answers", async () => {
  const silent = await sntp(3_600_000, "silent");
  const node = await startNode(1, makeTempDir(), ["--ntp", silent.address, "--strict-time", "--time-grace", "0.5"]);
  await waitFor("the strict warning", () => node.process.stderr().includes("--strict-time: writes are refused until one answers"), 10_000);
  const refused = errorText(await askPort(node.port, "CLOCK"));
  assert.match(refused, /^TRYAGAIN machine time is not synchronized: --strict-time refuses writes until an NTP server answers \(ntp: 127\.0\.0\.1:\d+\)$/);
  silent.behaviour = "ok";
  const written = await clockWrite(node.port);
  assert.ok(written - hostNs() > HOUR_NS - 2_000n * MS);
  console.log(`strict refusal: -${refused}`);
});

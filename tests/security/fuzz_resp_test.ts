/**
 * RESP fuzzing against a running 3-node cluster: ≥ 100,000 random and
 * mutated inputs (FUZZ_SCALE multiplies it) on many connections to every
 * node, while a well-behaved client writes. Afterwards every node still
 * serves correct reads and writes, no acknowledged write is lost, and the
 * nodes' memory stayed bounded. FUZZ_SEED replays a run.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { cleanup } from "../helpers/process.ts";
import type { Rng } from "../sim/rng.ts";
import {
  AckedWriter,
  assertClusterIntact,
  assertNoClientsLeft,
  formatKiBs,
  fuzzCount,
  fuzzRng,
  openFds,
  residentKiBs,
  startFuzzCluster,
} from "./_fuzz_support.ts";
import { type MutantKind, respMutant } from "./_resp_mutants.ts";

after(() => cleanup());

const WORKERS = 16;
/** How long a connection may take to answer and close after the fuzzer's end of input. */
const CLOSE_TIMEOUT_MS = 3_000;

interface Tally {
  inputs: number;
  connections: number;
  /** Connections the node had not closed CLOSE_TIMEOUT_MS after our end of input (then cut by us). */
  lingering: number;
  replyBytes: number;
  readonly kinds: Map<MutantKind, number>;
}

/** Sends `inputs` on one connection, half-closes, and waits for the node to close it. */
function sendBatch(port: number, inputs: readonly Uint8Array[], tally: Tally): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => {
      tally.lingering++;
      socket.destroy();
    }, CLOSE_TIMEOUT_MS);
    socket.on("connect", () => {
      for (const input of inputs) socket.write(input);
      socket.end();
    });
    socket.on("data", (chunk: Uint8Array) => (tally.replyBytes += chunk.length));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function fuzzWorker(rng: Rng, ports: readonly number[], quota: number, tally: Tally): Promise<void> {
  let sent = 0;
  while (sent < quota) {
    const batch: Uint8Array[] = [];
    for (let n = Math.min(rng.int(1, 40), quota - sent); n > 0; n--) {
      const { kind, bytes } = respMutant(rng);
      tally.kinds.set(kind, (tally.kinds.get(kind) ?? 0) + 1);
      batch.push(bytes);
    }
    sent += batch.length;
    tally.inputs += batch.length;
    tally.connections++;
    await sendBatch(rng.pick(ports), batch, tally);
  }
}

test("100,000 hostile RESP inputs leave a 3-node cluster serving, with every acknowledged write", async () => {
  const rng = fuzzRng("tests/security/fuzz_resp_test.ts");
  const total = fuzzCount(100_000);
  const cluster = await startFuzzCluster();
  const beforeKiB = await residentKiBs(cluster);
  const beforeFds = openFds(cluster);
  const writer = new AckedWriter(cluster);
  await writer.started();
  const tally: Tally = { inputs: 0, connections: 0, lingering: 0, replyBytes: 0, kinds: new Map() };
  const started = Date.now();
  const ports = cluster.nodes.map((node) => node.port);
  // Each worker has its own generator forked from the seed: the inputs replay exactly.
  const workers = Array.from({ length: WORKERS }, () => rng.fork());
  await Promise.all(workers.map((workerRng) => fuzzWorker(workerRng, ports, Math.ceil(total / WORKERS), tally)));
  const seconds = (Date.now() - started) / 1000;
  await writer.stop();
  const afterKiB = await residentKiBs(cluster);
  console.log(`RESP fuzz: ${tally.inputs} inputs on ${tally.connections} connections in ${seconds.toFixed(1)} s, ${tally.replyBytes} reply bytes; ${tally.lingering} connections not closed by the node within ${CLOSE_TIMEOUT_MS} ms`);
  console.log(`RESP fuzz inputs by kind: ${[...tally.kinds].map(([kind, n]) => `${kind} ${n}`).join(", ")}`);
  console.log(`RESP fuzz: ${writer.acked.length} acknowledged writes during the fuzzing (${writer.errors} errors)`);
  console.log(`RESP fuzz RSS before: ${formatKiBs(beforeKiB)}; after: ${formatKiBs(afterKiB)}`);
  console.log(`RESP fuzz open descriptors before: ${beforeFds.join(", ")}; after: ${openFds(cluster).join(", ")}`);
  assert.ok(tally.inputs >= total);
  assert.ok(writer.acked.length > 0, "the well-behaved writer got writes through during the fuzzing");
  await assertNoClientsLeft(cluster);
  await assertClusterIntact(cluster, writer.acked);
  afterKiB.forEach((kib, i) => assert.ok(kib - beforeKiB[i] < 200 * 1024, `node ${i + 1}'s RSS grew from ${beforeKiB[i]} to ${kib} KiB`));
});

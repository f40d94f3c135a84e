/**
 * What the fuzz tests share: the seed and scale (replayable from the
 * environment), a 3-node cluster, a well-behaved writer that records every
 * acknowledged write while the fuzzing runs, and the checks afterwards:
 * every node serves correct reads and writes and holds every acknowledged
 * write, and the nodes' memory stayed bounded.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { type Cluster, type ClusterNode, startCluster, waitApplied } from "../helpers/cluster.ts";
import { isRunning, residentKiB, waitFor } from "../helpers/process.ts";
import { RawClient } from "../helpers/raw_client.ts";
import { replyToJs } from "../../server/resp_reply_parser.ts";
import { Rng } from "../sim/rng.ts";

/** One seed per test process, so that FUZZ_SEED replays every test of a file. */
const given = process.env.FUZZ_SEED;
const seed = given === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(given);

/** FUZZ_SEED replays a run; otherwise a fresh seed, printed with the command that replays it. */
export function fuzzRng(testFile: string): Rng {
  assert.ok(Number.isSafeInteger(seed), `FUZZ_SEED must be an integer, got '${given}'`);
  console.log(`fuzz seed ${seed}; replay: FUZZ_SEED=${seed} node --import tsx --test ${testFile} (or deno test -A)`);
  return new Rng(seed);
}

/** FUZZ_SCALE multiplies every count (default 1: CI-sized). */
export function fuzzCount(base: number): number {
  const scale = Number(process.env.FUZZ_SCALE ?? 1);
  assert.ok(scale > 0, `FUZZ_SCALE must be a positive number, got '${process.env.FUZZ_SCALE}'`);
  return Math.ceil(base * scale);
}

/** Three kvdb nodes; followers answer reads from their own state, so each node's data can be checked. */
export function startFuzzCluster(): Promise<Cluster> {
  return startCluster("kvdb", 3, ["--localtime", "--openreads", "-l", "warn"]);
}

export async function residentKiBs(cluster: Cluster): Promise<number[]> {
  return await Promise.all(cluster.nodes.map((node) => residentKiB(node.process.pid)));
}

/** Open file descriptors of each node: sockets a node failed to close show here. */
export function openFds(cluster: Cluster): number[] {
  return cluster.nodes.map((node) => readdirSync(`/proc/${node.process.pid}/fd`).length);
}

/** Waits until every node counts no client but the one asking: none of the fuzzer's connections stayed open. */
export async function assertNoClientsLeft(cluster: Cluster): Promise<void> {
  for (const node of cluster.nodes) {
    const client = await RawClient.connect(node.port);
    let last = "";
    await waitFor(`node ${node.id} to close every fuzzing connection`, async () => {
      last = String(replyToJs(await client.call("INFO", "clients")));
      return last.includes("connected_clients:1\r\n");
    }, 15_000).catch((error) => {
      throw new Error(`${error.message}; INFO clients: ${last.trim()}`);
    });
    client.close();
  }
}

export function formatKiBs(kibs: readonly number[]): string {
  return kibs.map((kib, i) => `node ${i + 1} ${(kib / 1024).toFixed(1)} MiB`).join(", ");
}

/** The port of the node that leads now. */
async function leaderPort(cluster: Cluster): Promise<number> {
  return (await cluster.leader()).port;
}

/**
 * Writes `acked:<n>` = `<n>` through the leader, one after another, until
 * stopped, following leader changes; remembers each write the cluster
 * acknowledged (+OK). Errors (redirects, TRYAGAIN, a closed connection) are
 * not acknowledgements: the write is retried under a new number.
 */
export class AckedWriter {
  readonly acked: number[] = [];
  errors = 0;
  #stopped = false;
  readonly #done: Promise<void>;

  constructor(cluster: Cluster) {
    this.#done = this.#run(cluster);
  }

  async #run(cluster: Cluster): Promise<void> {
    let next = 0;
    while (!this.#stopped) {
      let client: RawClient | undefined;
      try {
        client = await RawClient.connect(await leaderPort(cluster));
        while (!this.#stopped) {
          const n = next++;
          const reply = replyToJs(await client.call("SET", `acked:${n}`, String(n)));
          if (reply !== "OK") {
            this.errors++;
            break;
          }
          this.acked.push(n);
        }
      } catch {
        this.errors++;
      } finally {
        client?.close();
      }
      if (!this.#stopped) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Resolves once the first write is acknowledged (the writer is under way before the fuzzing starts). */
  async started(): Promise<void> {
    await waitFor("the writer's first acknowledged write", () => this.acked.length > 0, 30_000);
  }

  /** Stops after the write in flight; resolves when it has. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }
}

/** Every node runs, holds every acknowledged write, and serves a new write and its read. */
export async function assertClusterIntact(cluster: Cluster, acked: readonly number[]): Promise<void> {
  for (const node of cluster.nodes) assert.ok(isRunning(node.process), `node ${node.id} exited:\n${node.process.stderr()}`);
  const leader = await cluster.leader();
  const probe = `after-fuzz:${Date.now()}`;
  await writeThrough(leader, probe);
  await waitApplied(leader, cluster.nodes);
  for (const node of cluster.nodes) {
    const client = await RawClient.connect(node.port);
    assert.equal(replyToJs(await client.call("GET", probe)), probe, `node ${node.id} reads the new write`);
    for (let start = 0; start < acked.length; start += 1000) {
      const batch = acked.slice(start, start + 1000);
      for (const n of batch) client.send("GET", `acked:${n}`);
      const values = (await client.read(batch.length)).map(replyToJs);
      assert.deepEqual(values, batch.map(String), `node ${node.id} holds every acknowledged write`);
    }
    client.close();
  }
}

async function writeThrough(leader: ClusterNode, key: string): Promise<void> {
  await waitFor(`a write through node ${leader.id}`, async () => {
    const client = await RawClient.connect(leader.port);
    const reply = await client.call("SET", key, key).catch(() => undefined);
    client.close();
    return reply !== undefined && replyToJs(reply) === "OK";
  });
}

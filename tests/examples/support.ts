/**
 * Helpers shared by the example tests: redis-cli, RAFT INFO as a record,
 * waiting for a first write (the leader's first TICK), and stopping a node
 * by PID with SIGTERM.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { signalProcess, waitFor } from "../helpers/process.ts";
import { ask, type Cluster, type ClusterNode } from "../helpers/cluster.ts";
export { firstWrite } from "../helpers/cluster.ts";

/** Runs redis-cli; resolves with stdout+stderr, trimmed, even when it exits non-zero. */
export function redisCli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("redis-cli", ["-p", String(port), ...args], { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") reject(new Error("redis-cli is not installed"));
      else resolve((stdout + stderr).trim());
    });
  });
}

/** A flat key/value array as a record. */
export function pairs(reply: unknown): Record<string, string> {
  assert.ok(Array.isArray(reply), `expected a flat map, got ${String(reply)}`);
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

/** One command on a fresh connection to `node`. */
export async function askNode(cluster: Cluster, node: ClusterNode, ...args: string[]): Promise<unknown> {
  const redis = cluster.client(node);
  try {
    return await ask(redis, ...args);
  } finally {
    redis.disconnect();
  }
}

/** RAFT INFO of `node` (waiting out `LOADING`: a restarted node listens before it can answer). */
export function raftInfo(cluster: Cluster, node: ClusterNode): Promise<Record<string, string>> {
  return waitFor(`RAFT INFO from node ${node.id}`, async () => {
    const reply = await askNode(cluster, node, "RAFT", "INFO");
    return reply instanceof Error && /^LOADING/.test(reply.message) ? undefined : pairs(reply);
  });
}

/** Waits until every running node has applied at least the leader's commit index. */
export async function waitApplied(cluster: Cluster, leader: ClusterNode): Promise<void> {
  const target = Number((await raftInfo(cluster, leader)).commit_index);
  await waitFor(`every node applied index ${target}`, async () => {
    for (const node of cluster.nodes) {
      if (node.process.child.exitCode !== null) continue;
      if (Number((await raftInfo(cluster, node)).applied_index) < target) return false;
    }
    return true;
  }, 20_000);
}

/** SIGTERMs a node by PID and waits (up to `timeoutMs`) for a clean exit (code 0). */
export async function stopNode(node: ClusterNode, timeoutMs = 20_000): Promise<void> {
  signalProcess(node.process.pid, "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const code = await Promise.race([
    node.process.exited,
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no exit within ${timeoutMs} ms`), timeoutMs))),
  ]);
  clearTimeout(timer);
  assert.equal(code, 0, `node ${node.id} exited with ${code}:\n${node.process.stderr()}`);
}

const open = new Set<{ disconnect(): void } | { close(): void }>();

/** Remembers a client or socket so that `closeAll` closes it, even when a test fails half-way. */
export function track<T extends { disconnect(): void } | { close(): void }>(resource: T): T {
  open.add(resource);
  return resource;
}

/** Closes every tracked client and socket (an open one would keep the test process alive). */
export function closeAll(): void {
  for (const resource of open) {
    if ("disconnect" in resource) resource.disconnect();
    else resource.close();
  }
  open.clear();
}

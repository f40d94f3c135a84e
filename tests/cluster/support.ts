/**
 * Shared pieces of the multi-process cluster tests: the test app's path,
 * RESP one-shots by port, RAFT INFO as a record, starting a lone node, a
 * client that follows the leader through failovers, and a TCP proxy that
 * can be frozen to cut a node off from its peers.
 */
import { Redis } from "ioredis";
import { execFile } from "node:child_process";
import * as net from "node:net";
import { type Spawned, spawnCli, waitForPort } from "../helpers/process.ts";
import { ask, type ClusterNode } from "../helpers/cluster.ts";

/** The clock test app, as `startCluster` wants it (a path relative to examples/). */
export const CLOCK_EXAMPLE = "../tests/cluster/clock_app";
export const CLOCK_APP = new URL("./clock_app.ts", import.meta.url).pathname;
export const TICKET_APP = new URL("../../examples/ticket.ts", import.meta.url).pathname;

/** A plain ioredis client to a port that never retries or queues while disconnected. */
export function connect(port: number): Redis {
  const redis = new Redis({
    host: "127.0.0.1",
    port,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    autoResendUnfulfilledCommands: false,
    retryStrategy: () => 100,
  });
  redis.on("error", () => {});
  return redis;
}

/** One command on a fresh connection; errors come back as Error values. */
export async function askPort(port: number, ...args: string[]): Promise<unknown> {
  const redis = connect(port);
  try {
    return await ask(redis, ...args);
  } finally {
    redis.disconnect();
  }
}

/** A flat key/value array (RESP map as uhaha sends it) as a record. */
export function pairs(reply: unknown): Record<string, string> {
  if (!Array.isArray(reply)) throw new Error(`expected a flat map, got ${String(reply)}`);
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

export async function raftInfo(port: number): Promise<Record<string, string>> {
  return pairs(await askPort(port, "RAFT", "INFO"));
}

/** RAFT SERVER LIST as records. */
export async function serverList(port: number): Promise<Array<Record<string, string>>> {
  const reply = await askPort(port, "RAFT", "SERVER", "LIST");
  if (!Array.isArray(reply)) throw new Error(`RAFT SERVER LIST: ${String(reply)}`);
  return reply.map(pairs);
}

/** Is the node's process still running? */
export function alive(node: ClusterNode): boolean {
  return node.process.child.exitCode === null && node.process.child.signalCode === null;
}

/** Starts cli.ts with `args` and waits until it listens on `port` (or fails with its stderr). */
export async function startNode(port: number, args: string[]): Promise<Spawned> {
  const child = spawnCli(args);
  await Promise.race([
    waitForPort(port, 30_000),
    child.exited.then((code) => {
      throw new Error(`node on ${port} exited with ${code}:\n${child.stderr()}`);
    }),
  ]);
  return child;
}

/** Runs redis-cli with `args`; resolves with its stdout (trimmed) even when it exits non-zero. */
export function redisCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("redis-cli", args, { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") reject(new Error("redis-cli is not installed"));
      else resolve((stdout + stderr).trim());
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A client that sends each command to the node it believes leads, follows
 * MOVED, and on any other error (CLUSTERDOWN, TRYAGAIN, a dead connection,
 * an unknown outcome, a timeout) moves on to the next node and retries.
 * Only replies that arrived count as acknowledged.
 */
export class LeaderFollowingClient {
  readonly #conns = new Map<string, Redis>();
  readonly #addresses: string[];
  #target: string;
  #closed = false;
  /** Error replies by their first word (MOVED, CLUSTERDOWN, …); client-side failures count as "connection". */
  readonly errors = new Map<string, number>();
  /** One message of each kind in `errors`. */
  readonly errorSamples = new Map<string, string>();

  constructor(addresses: string[]) {
    this.#addresses = addresses;
    this.#target = addresses[Math.floor(Math.random() * addresses.length)];
  }

  #conn(address: string): Redis {
    let redis = this.#conns.get(address);
    if (!redis) {
      const [host, port] = address.split(":");
      redis = new Redis({
        host,
        port: Number(port),
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        autoResendUnfulfilledCommands: false,
        connectTimeout: 1_000,
        retryStrategy: () => 100,
      });
      redis.on("error", () => {});
      this.#conns.set(address, redis);
    }
    return redis;
  }

  /**
   * Sends one command, retrying until a non-error reply or `deadline`
   * (Date.now() ms); returns undefined if none was acknowledged in time.
   */
  async send(args: string[], deadline: number, perTryTimeoutMs = 2_000): Promise<unknown> {
    while (!this.#closed && Date.now() < deadline) {
      const redis = this.#conn(this.#target);
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const reply = await Promise.race([
          redis.call(args[0], ...args.slice(1)),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error("client timeout")), perTryTimeoutMs);
          }),
        ]);
        return reply;
      } catch (error) {
        const kind = (error as Error).name === "ReplyError" ? (error as Error).message.split(" ")[0] : "connection";
        this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
        if (!this.errorSamples.has(kind)) this.errorSamples.set(kind, (error as Error).message);
        const moved = /^MOVED \d+ (\S+)/.exec((error as Error).message);
        if (moved && this.#addresses.includes(moved[1])) {
          this.#target = moved[1];
        } else {
          this.#target = this.#addresses[(this.#addresses.indexOf(this.#target) + 1) % this.#addresses.length];
          await sleep(20 + Math.random() * 30);
        }
      } finally {
        clearTimeout(timer);
      }
    }
    return undefined;
  }

  close(): void {
    this.#closed = true;
    for (const redis of this.#conns.values()) redis.disconnect();
    this.#conns.clear();
  }
}

/**
 * A TCP proxy to a local port that can be frozen: while frozen it forwards
 * nothing either way (bytes wait in the kernel). Put in front of a node's
 * advertised address, it cuts every message its peers send it (the peer
 * transport writes only on connections it dialed), while clients still
 * reach the node's own port directly.
 */
export class FreezableProxy {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #frozen = false;

  private constructor(server: net.Server) {
    this.#server = server;
  }

  static start(targetPort: number): Promise<FreezableProxy> {
    const server = net.createServer();
    const proxy = new FreezableProxy(server);
    server.on("connection", (inbound) => {
      const upstream = net.connect({ host: "127.0.0.1", port: targetPort });
      for (const [from, to] of [[inbound, upstream], [upstream, inbound]]) {
        proxy.#sockets.add(from);
        from.on("data", (chunk: Uint8Array) => to.write(chunk));
        from.on("error", () => {});
        from.on("close", () => {
          proxy.#sockets.delete(from);
          to.destroy();
        });
        if (proxy.#frozen) from.pause();
      }
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve(proxy));
    });
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  freeze(): void {
    this.#frozen = true;
    for (const socket of this.#sockets) socket.pause();
  }

  thaw(): void {
    this.#frozen = false;
    for (const socket of this.#sockets) socket.resume();
  }

  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

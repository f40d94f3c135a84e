/**
 * Pieces of the multi-process cluster tests: the test apps' paths, starting
 * a lone node, a client that follows the leader through failovers, and a
 * TCP proxy that can be frozen to cut a node off from its peers. RESP
 * one-shots, RAFT INFO and the like are in tests/helpers/resp.ts.
 */
import { Redis } from "ioredis";
import * as net from "node:net";
import { ensureExecutable } from "../helpers/executable.ts";
import { type Spawned, spawnCli, spawnProcess, unlessExited, waitForPort } from "../helpers/process.ts";

/** The clock test app, as `startCluster` wants it (a path relative to examples/). */
export const CLOCK_EXAMPLE = "../tests/cluster/clock_app";
export const CLOCK_APP = new URL("./clock_app.ts", import.meta.url).pathname;
export const TICKET_APP = new URL("../../examples/ticket.ts", import.meta.url).pathname;

/** Starts cli.ts with `args` and waits until it listens on `port` (or fails with its stderr). */
export function startNode(port: number, args: string[]): Promise<Spawned> {
  const child = spawnCli(args);
  return unlessExited(child, waitForPort(port, 30_000), `node on ${port}`).then(() => child);
}

/** As startNode, but the node is `dist/uhaha` (built first if stale) with `args`. */
export function startExecutableNode(port: number, args: string[]): Promise<Spawned> {
  const child = spawnProcess(ensureExecutable(), args);
  return unlessExited(child, waitForPort(port, 30_000), `node on ${port}`).then(() => child);
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

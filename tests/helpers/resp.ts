/**
 * Talking to a node as a Redis client in tests: an ioredis connection to a
 * port, one command with errors as values, a first write that waits out
 * TRYAGAIN, flat maps as records, RAFT INFO and RAFT SERVER LIST by port,
 * and redis-cli (with the reason to skip when it is not installed).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import process from "node:process";
import { inspect } from "node:util";
import { Redis, type RedisOptions } from "ioredis";
import { waitFor } from "./process.ts";
import { untilAccepted } from "./until_accepted.ts";

/** A plain ioredis client to a port that never retries or queues while disconnected (disconnect it when done). */
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

/** Connects an ioredis client with `options` (to 127.0.0.1 unless given; a failed connection rejects), runs `use` with it, and disconnects it. */
export async function withRedis<T>(options: RedisOptions, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({ host: "127.0.0.1", ...options, lazyConnect: true });
  await redis.connect();
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** Sends one command and returns its reply (error replies, and client-side failures, as Error values). */
export async function ask(redis: Redis, ...args: string[]): Promise<unknown> {
  try {
    return await redis.call(args[0], ...args.slice(1));
  } catch (error) {
    return error;
  }
}

/** One command on a fresh connection to `port`; errors come back as Error values. */
export async function askPort(port: number, ...args: string[]): Promise<unknown> {
  const redis = connect(port);
  try {
    return await ask(redis, ...args);
  } finally {
    redis.disconnect();
  }
}

/** Sends a write until it is not refused with TRYAGAIN or LOADING (no TICK applied yet, data not loaded yet). */
export function firstWrite(redis: Redis, ...args: string[]): Promise<unknown> {
  return untilAccepted(() => ask(redis, ...args), { what: args[0] });
}

/** The message of an error reply; fails the test for any other reply. */
export function errorText(reply: unknown): string {
  assert.ok(reply instanceof Error, `expected an error reply, got ${inspect(reply)}`);
  return reply.message;
}

/** A flat key/value array (a RESP map as uhaha sends it) as a record; throws for any other reply. */
export function pairs(reply: unknown): Record<string, string> {
  if (!Array.isArray(reply)) throw new Error(`expected a flat map, got ${String(reply)}`);
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

/** RAFT INFO of the node at `port` as a record; throws if it does not answer with one (LOADING, not listening). */
export async function raftInfo(port: number): Promise<Record<string, string>> {
  return pairs(await askPort(port, "RAFT", "INFO"));
}

/** RAFT INFO of the node at `port`, waiting out `LOADING` (a restarted node listens before it can answer). */
export function loadedRaftInfo(port: number, timeoutMs = 15_000): Promise<Record<string, string>> {
  return waitFor(`RAFT INFO from port ${port}`, () => raftInfo(port), timeoutMs);
}

/** RAFT SERVER LIST as records. */
export async function serverList(port: number): Promise<Array<Record<string, string>>> {
  const reply = await askPort(port, "RAFT", "SERVER", "LIST");
  if (!Array.isArray(reply)) throw new Error(`RAFT SERVER LIST: ${String(reply)}`);
  return reply.map(pairs);
}

let redisCliProbe: string | undefined | null = null;

/**
 * Why tests that run redis-cli cannot run here (it is not on PATH), or
 * undefined when they can: for `test(name, { skip: redisCliSkip() })`, which
 * Node prints as "# SKIP <reason>" and Deno as "ignored" (after a warning
 * with the reason, once per test file). CI installs
 * redis-tools, so there they always run.
 */
export function redisCliSkip(): string | undefined {
  if (redisCliProbe === null) {
    const dirs = (process.env.PATH ?? "").split(delimiter).filter((dir) => dir !== "");
    const found = dirs.some((dir) => {
      try {
        accessSync(join(dir, "redis-cli"), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    redisCliProbe = found ? undefined : "needs redis-cli on PATH (Debian's redis-tools: apt-get install redis-tools)";
    // Deno reports a skipped node:test as "ignored" without the reason: say it once.
    if (redisCliProbe && "Deno" in globalThis) console.warn(`redis-cli tests are ignored: ${redisCliProbe}`);
  }
  return redisCliProbe;
}

/**
 * Runs `redis-cli -p port …args`; resolves with its stdout and stderr,
 * trimmed, also when it exits non-zero (so an error it prints is the
 * value to assert on).
 */
export function redisCli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const options = { timeout: 10_000, maxBuffer: 64 << 20 };
    execFile("redis-cli", ["-p", String(port), ...args], options, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT") reject(new Error("redis-cli is not installed"));
      else resolve((stdout + stderr).trim());
    });
  });
}

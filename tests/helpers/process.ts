/**
 * Test helpers for real processes on the runtime the test runs on: spawn a
 * TypeScript entry point, pick free ports, wait for conditions with a
 * deadline, and clean up by PID.
 */
import { type ChildProcess, spawn, type SpawnOptions } from "node:child_process";
import * as net from "node:net";
import * as tls from "node:tls";
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const IS_DENO = "Deno" in globalThis;

/** The command and leading arguments that run a .ts file on this runtime. */
export function tsRunner(): { command: string; args: string[] } {
  return IS_DENO
    ? { command: process.execPath, args: ["run", "-A", "--quiet"] }
    // An absolute loader path, so the child may run in any directory.
    : { command: process.execPath, args: ["--import", `${REPO_ROOT}node_modules/tsx/dist/loader.mjs`] };
}

export interface Spawned {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  readonly exited: Promise<number | string>;
  /** SIGKILLs the process if it still runs and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const running = new Set<Spawned>();

/** Spawns `command`; every process spawned here is killed by `killAll`. */
export function spawnProcess(command: string, args: string[], options: SpawnOptions = {}): Spawned {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk) => (out += chunk));
  child.stderr?.on("data", (chunk) => (err += chunk));
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? signal ?? -1));
  });
  const spawned: Spawned = {
    child,
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    exited,
    kill: async (signal = "SIGKILL") => {
      if (child.exitCode === null && child.signalCode === null) signalProcess(child.pid!, signal);
      await exited;
      running.delete(spawned);
    },
  };
  running.add(spawned);
  return spawned;
}

/**
 * Sends a signal by PID. Deno's `ChildProcess.kill()` reports the child as
 * killed by the signal at once, even when the child handles it and exits 0,
 * so tests signal by PID and read the real exit status.
 */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/** Whether the process still runs (it has neither exited nor been ended by a signal). */
export function isRunning(spawned: Spawned): boolean {
  return spawned.child.exitCode === null && spawned.child.signalCode === null;
}

/**
 * Resolves as `ready` does, unless `spawned` exits first: then rejects
 * with its exit code and everything it wrote to stderr.
 */
export function unlessExited<T>(spawned: Spawned, ready: Promise<T>, name = `process ${spawned.pid}`): Promise<T> {
  return Promise.race([
    ready,
    spawned.exited.then((code): never => {
      throw new Error(`${name} exited with ${code}:\n${spawned.stderr()}`);
    }),
  ]);
}

/** Resolves with the exit code once `spawned` has exited; fails if it still runs after `timeoutMs`. */
export function exitWithin(spawned: Spawned, timeoutMs: number, what: string): Promise<number | string> {
  return waitFor(`${what} to exit`, () => !isRunning(spawned), timeoutMs).then(() => spawned.exited);
}

/** Runs `cli.ts` with `args` on this runtime. */
export function spawnCli(args: string[], options: SpawnOptions = {}): Spawned {
  const runner = tsRunner();
  return spawnProcess(runner.command, [...runner.args, `${REPO_ROOT}cli.ts`, ...args], {
    cwd: REPO_ROOT,
    ...options,
  });
}

/** Kills every process these helpers started that still runs. */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill()));
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` + (lastError ? `: ${lastError}` : ""));
}

/** Resolves when something accepts TCP connections on the port. */
export function waitForPort(port: number, timeoutMs = 20_000): Promise<true> {
  return waitFor(`port ${port} to accept connections`, () =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    }), timeoutMs);
}

/**
 * Resolves once the node at `port` answers PING (PONG, or NOAUTH): it listens
 * before it has loaded its data, and answers `-LOADING` until then.
 */
export function waitForPong(port: number, timeoutMs = 30_000, useTls = false): Promise<true> {
  return waitFor(`a PONG from port ${port}`, () =>
    new Promise<boolean>((resolve) => {
      const socket = useTls
        ? tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => socket.write("PING\r\n"))
        : net.connect({ host: "127.0.0.1", port }, () => socket.write("PING\r\n"));
      let reply = "";
      socket.on("data", (chunk) => {
        reply += chunk;
        if (reply.includes("\r\n")) {
          socket.destroy();
          // NOAUTH: a node with --auth, ready but wanting a password.
          resolve(reply.startsWith("+PONG") || reply.startsWith("-NOAUTH"));
        }
      });
      socket.on("error", () => resolve(false));
      socket.on("close", () => resolve(false));
    }), timeoutMs);
}

/** Resident memory of a process in KiB, from /proc. */
export async function residentKiB(pid: number): Promise<number> {
  const { readFile } = await import("node:fs/promises");
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
}

const tempDirs = new Set<string>();

/** A new empty directory under the OS temp dir, removed by `removeTempDirs`. */
export function makeTempDir(prefix = "uhaha-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Removes every directory `makeTempDir` made. */
export function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

const cleanupHooks = new Set<() => void | Promise<void>>();

/** Registers something `cleanup` must also undo (e.g. disconnect clients). */
export function onCleanup(hook: () => void | Promise<void>): void {
  cleanupHooks.add(hook);
}

/** Kills every process and removes every temp dir these helpers made. */
export async function cleanup(): Promise<void> {
  for (const hook of cleanupHooks) await hook();
  cleanupHooks.clear();
  await killAll();
  removeTempDirs();
}

/**
 * Starts a node from cli.ts on a free port (data in a new temp dir unless
 * `-d` is given) and waits until it listens.
 */
export async function startCliNode(extraArgs: string[] = []): Promise<{ node: Spawned; port: number }> {
  const port = await freePort();
  const dataArgs = extraArgs.includes("-d") ? [] : ["-d", makeTempDir()];
  const node = spawnCli(["-a", `127.0.0.1:${port}`, ...dataArgs, ...extraArgs]);
  await unlessExited(node, waitForPong(port, 30_000, extraArgs.includes("--tls-cert")), `the node on port ${port}`);
  return { node, port };
}

/**
 * The processes and temp dirs of a benchmark run: every server it spawns is
 * tracked by PID and stopped (SIGTERM, then SIGKILL) when the run ends, fails
 * or is interrupted; every temp dir is removed. Ports come from below the
 * ephemeral range, where redis-benchmark's own connections cannot take them.
 * Written for bench/ (which does not import tests/).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { processTree } from "./proc_stats.ts";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Most output kept per process, for the message when it fails. */
const OUTPUT_TAIL_CHARS = 4_000;
/** How long a process gets to exit on SIGTERM before it is killed. */
const STOP_GRACE_MS = 3_000;

export interface RunningProcess {
  readonly label: string;
  readonly pid: number;
  /** The last few KB of stdout and stderr, interleaved. */
  output(): string;
  /** Undefined while it runs; its exit code or signal name once it has exited. */
  exitStatus(): number | string | undefined;
  readonly exited: Promise<number | string>;
  /** SIGTERM to it and its descendants, SIGKILL after a grace period; resolves once it has exited. */
  stop(): Promise<void>;
}

const live = new Set<RunningProcess>();
const tempDirs = new Set<string>();

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/** Spawns `command` (no shell), tracked until it exits or `stopAll` stops it. */
export function spawnTracked(label: string, command: string, args: readonly string[], cwd = REPO_ROOT): RunningProcess {
  const child: ChildProcess = spawn(command, [...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  if (child.pid === undefined) {
    // Not started (e.g. ENOENT): the 'error' event follows; without a listener it would throw.
    child.on("error", () => {});
    throw new Error(`${label}: could not start ${command}`);
  }
  const pid = child.pid;
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let status: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.on("error", (error) => {
      keep(Buffer.from(`${error.message}\n`));
      status ??= -1;
      resolve(status);
    });
    child.on("exit", (code, signal) => {
      status = code ?? signal ?? -1;
      resolve(status);
    });
  });
  const running: RunningProcess = {
    label,
    pid,
    output: () => tail,
    exitStatus: () => status,
    exited,
    stop: async () => {
      if (status === undefined) {
        // The whole tree, by PID: a wrapper shell does not pass signals on.
        const tree = processTree(pid);
        for (const member of tree) signalPid(member, "SIGTERM");
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), STOP_GRACE_MS)));
        if (await Promise.race([exited, late]) === "late") {
          for (const member of [...tree, ...processTree(pid)]) signalPid(member, "SIGKILL");
        }
        clearTimeout(timer);
        await exited;
      }
      live.delete(running);
    },
  };
  live.add(running);
  void exited.then(() => live.delete(running));
  return running;
}

/** Stops every process `spawnTracked` started that still runs. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
}

/** A new empty directory under `parent`, removed by `removeTempDirs`. */
export function makeTempDir(parent: string = tmpdir(), prefix = "uhaha-bench-"): string {
  const dir = mkdtempSync(join(parent, prefix));
  tempDirs.add(dir);
  return dir;
}

/** Removes every directory `makeTempDir` made. */
export function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/**
 * On SIGINT/SIGTERM/SIGHUP: stop every process, remove every temp dir, exit
 * 130/143/129. Returns a function that removes the handlers again.
 */
export function cleanUpOnSignals(): () => void {
  const codes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
  const handlers = (Object.keys(codes) as Array<keyof typeof codes>).map((signal) => {
    const handler = () => {
      process.stderr.write(`\n${signal}: stopping ${live.size} process(es), removing temp dirs\n`);
      stopAll().finally(() => {
        removeTempDirs();
        process.exit(codes[signal]);
      });
    };
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  return () => handlers.forEach((remove) => remove());
}

/** Lowest and highest port handed out: below Linux's ephemeral range (32768–60999). */
const PORT_RANGE = { low: 20_000, high: 32_000 } as const;
const portsGiven = new Set<number>();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A port in 20000–32000 that was free a moment ago and not handed out before in this run. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PORT_RANGE.low + Math.floor(Math.random() * (PORT_RANGE.high - PORT_RANGE.low));
    if (portsGiven.has(port) || !(await canBind(port))) continue;
    portsGiven.add(port);
    return port;
  }
  throw new Error(`no free port found in ${PORT_RANGE.low}-${PORT_RANGE.high}`);
}

/**
 * Polls `check` every 50 ms until it returns a value other than
 * undefined/false; throws after `timeoutMs`, or at once when `watched` has
 * a process that exited (with the end of its output).
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
  watched: readonly RunningProcess[] = [],
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const dead = watched.find((p) => p.exitStatus() !== undefined);
    if (dead) {
      throw new Error(`${dead.label} exited (${dead.exitStatus()}) while waiting for ${what}:\n${dead.output().trim()}`);
    }
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const why = lastError instanceof Error ? `: ${lastError.message}` : "";
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
}

/** Whether `command` is on PATH. */
export function onPath(command: string): boolean {
  try {
    execFileSync("/bin/sh", ["-c", 'command -v "$1"', "sh", command], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * `main(app, argv)`: the whole uhaha command line for one application —
 * parse flags, handle -h/-v, run a node until SIGINT/SIGTERM or SHUTDOWN.
 * Returns the process exit code (the caller exits). A signal is honoured
 * in every phase: a start-up that does not finish within a second of it is
 * abandoned, and the process ends by that signal (see exitAtOnce).
 */
import type { App } from "../api/app.ts";
import { validateApp } from "../api/validate_app.ts";
import { startClusterNode } from "../cluster/start_node.ts";
import { parseFlags } from "./flags.ts";
import { helpText } from "./help.ts";
import { createLogger } from "../cluster/logger.ts";

/** Exit code for a command line the user must fix. */
export const USAGE_ERROR = 2;

export async function runNode(input: App<unknown>, argv: readonly string[], program = "uhaha"): Promise<number> {
  const problem = validateApp(input);
  if (problem) {
    process.stderr.write(`${program}: invalid app: ${problem}\n`);
    return USAGE_ERROR;
  }
  const app = withLowerCaseCommandNames(input);
  const result = parseFlags(argv);
  if (!result.ok) {
    process.stderr.write(`${program}: ${result.error}\nRun '${program} -h' for help.\n`);
    return USAGE_ERROR;
  }
  const flags = result.flags;
  if (flags.showHelp) {
    process.stdout.write(helpText(program));
    return 0;
  }
  if (flags.showVersion) {
    process.stdout.write(`${app.name} version ${app.version ?? "0.0.0"}\n${runtimeVersion()}\n`);
    return 0;
  }
  const log = createLogger(flags.logLevel);
  // Listen for signals before starting, so a signal during start-up also stops cleanly.
  let requestStop: (signal: NodeJS.Signals) => void = () => {};
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => (requestStop = resolve));
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn(`received ${signal} again, exiting at once`);
      exitAtOnce(signal);
      process.exit(1);
    }
    log.info(`received ${signal}, shutting down`);
    requestStop(signal);
  };
  // `on`, not `once`: Deno re-raises a signal whose last listener was removed.
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  const starting = startClusterNode(app, flags, log).then(
    (node) => ({ node }),
    (error: Error) => ({ error }),
  );
  let started = await Promise.race([starting, stopRequested.then(() => undefined)]);
  if (started === undefined) {
    // A signal during start-up: a start-up about to finish is let finish and
    // then stopped cleanly; one stuck (on a hung disk, say) is abandoned.
    started = await withDeadline(starting, STARTUP_STOP_GRACE_MS);
    if (started === undefined) {
      log.warn(`start-up did not finish within ${STARTUP_STOP_GRACE_MS} ms of the signal; exiting without a clean stop`);
      exitAtOnce(await stopRequested);
      return 1;
    }
  }
  if ("error" in started) {
    log.warn(`cannot start: ${started.error.message}`);
    return 1;
  }
  const node = started.node;
  await Promise.race([stopRequested, node.stopped]);
  await node.stop();
  if (node.failure) {
    log.warn(`stopped: ${node.failure.message}`);
    return 1;
  }
  log.info("bye");
  return 0;
}

/**
 * The runtime this process runs on, as `-v`'s second line prints it: what
 * the single executable embeds, or the Node or Deno that runs cli.ts.
 */
export function runtimeVersion(): string {
  const deno = (globalThis as { Deno?: { version: { deno: string } } }).Deno;
  return deno ? `deno ${deno.version.deno}` : `node ${process.version}`;
}

/** How long a signal received during start-up waits for start-up to finish before the process gives up on it. */
const STARTUP_STOP_GRACE_MS = 1_000;

/**
 * Ends the process at once because of `signal`, even with a file-system call
 * blocked in a worker thread (a FIFO, a hung disk: where a start-up or a
 * stop gets stuck). Not process.exit() alone: Node's exit joins its thread
 * pool and would wait for that call forever. The 'exit' listeners run first
 * (they release the data directory's lock), then the signal is raised again
 * with its default action, which ends a Node process there and then. Deno
 * keeps its handler a little longer; there the caller's process.exit()
 * follows, which does not wait for blocked calls.
 */
function exitAtOnce(signal: NodeJS.Signals): void {
  process.emit("exit", 1);
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}

/** `promise`'s value, or undefined once `ms` have passed. */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The app with its command names in lower case: names are case-insensitive,
 * and the machine looks a command up by its lower-case name (an app's
 * `INCR` answered "unknown command" when applied). validateApp refused
 * names that differ only in case.
 */
function withLowerCaseCommandNames(app: App<unknown>): App<unknown> {
  const commands = Object.fromEntries(Object.entries(app.commands).map(([name, command]) => [name.toLowerCase(), command]));
  return { ...app, commands } as App<unknown>;
}

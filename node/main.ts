/**
 * `main(app, argv)`: the whole uhaha command line for one application —
 * parse flags, handle -h/-v, run a node until SIGINT/SIGTERM or SHUTDOWN.
 * Returns the process exit code (the caller exits).
 */
import type { App } from "../machine/app.ts";
import { startClusterNode } from "./cluster_node.ts";
import { parseFlags } from "./flags.ts";
import { helpText } from "./help.ts";
import { createLogger } from "./logger.ts";

/** Exit code for a command line the user must fix. */
export const USAGE_ERROR = 2;

export async function runNode(app: App<unknown>, argv: readonly string[], program = "uhaha"): Promise<number> {
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
    process.stdout.write(`${app.name} version ${app.version ?? "0.0.0"}\n`);
    return 0;
  }
  const log = createLogger(flags.logLevel);
  // Listen for signals before starting, so a signal during start-up also stops cleanly.
  let requestStop: (signal: string) => void = () => {};
  const stopRequested = new Promise<string>((resolve) => (requestStop = resolve));
  let signals = 0;
  const onSignal = (signal: string) => {
    if (++signals > 1) {
      log.warn(`received ${signal} again, exiting at once`);
      process.exit(1);
    }
    log.info(`received ${signal}, shutting down`);
    requestStop(signal);
  };
  // `on`, not `once`: Deno re-raises a signal whose last listener was removed.
  process.on("SIGINT", () => onSignal("SIGINT"));
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  let node;
  try {
    node = await startClusterNode(app, flags, log);
  } catch (error) {
    log.warn(`cannot start: ${(error as Error).message}`);
    return 1;
  }
  await Promise.race([stopRequested, node.stopped]);
  await node.stop();
  log.info("bye");
  return 0;
}

/**
 * The `uhaha` command: parses uhaha's flags and runs a node.
 * Usage: `uhaha -h`.
 */
import { parseFlags } from "./node/flags.ts";
import { helpText } from "./node/help.ts";
import { createLogger } from "./node/logger.ts";
import { startNode } from "./node/start.ts";
import { UHAHA_VERSION } from "./node/version.ts";

/** Exit code for a command line the user must fix. */
const USAGE_ERROR = 2;

async function main(argv: readonly string[]): Promise<number> {
  const result = parseFlags(argv);
  if (!result.ok) {
    process.stderr.write(`uhaha: ${result.error}\nRun 'uhaha -h' for help.\n`);
    return USAGE_ERROR;
  }
  const flags = result.flags;
  if (flags.showHelp) {
    process.stdout.write(helpText("uhaha"));
    return 0;
  }
  if (flags.showVersion) {
    process.stdout.write(`uhaha version ${UHAHA_VERSION}\n`);
    return 0;
  }
  if (flags.modules.length > 0) {
    process.stderr.write(`uhaha: unexpected argument '${flags.modules[0]}'\nRun 'uhaha -h' for help.\n`);
    return USAGE_ERROR;
  }
  const log = createLogger(flags.logLevel);
  // Listen for signals before starting, so a signal during start-up also stops cleanly.
  const stopRequested = new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        log.warn(`received ${signal} again, exiting at once`);
        process.exit(1);
      }
      stopping = true;
      log.info(`received ${signal}, shutting down`);
      resolve();
    };
    // `on`, not `once`: Deno re-raises a signal whose last listener was removed.
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
  let node;
  try {
    node = await startNode(flags, log);
  } catch (error) {
    log.warn(`cannot start: ${(error as Error).message}`);
    return 1;
  }
  await stopRequested;
  await node.stop();
  log.info("bye");
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`uhaha: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);

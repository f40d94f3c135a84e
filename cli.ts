/**
 * The `uhaha` command: `uhaha [app.ts ... | kvdb | ticket | timeseries]
 * [flags]` loads application modules, or runs a built-in example by name
 * (kvdb when none is given), and runs a node of it. Usage: `uhaha -h`.
 */
import { FRAMEWORK_APP, loadApp } from "./cli/load_app.ts";
import { bundledAppsHelp, DEFAULT_APP } from "./cli/bundled_apps.ts";
import { parseFlags } from "./cli/flags.ts";
import { helpText } from "./cli/help.ts";
import { runNode, USAGE_ERROR } from "./cli/main.ts";

async function cli(argv: readonly string[]): Promise<number> {
  const parsed = parseFlags(argv);
  // A usage error, and -h or -v with no app named, need no app loaded:
  // `uhaha -v` is the framework's version, `uhaha kvdb -v` kvdb's.
  if (!parsed.ok) return runNode(FRAMEWORK_APP, argv);
  const { modules, showHelp, showVersion } = parsed.flags;
  if (showHelp) {
    process.stdout.write(helpText("uhaha") + bundledAppsHelp());
    return 0;
  }
  if (showVersion && modules.length === 0) return runNode(FRAMEWORK_APP, argv);
  const app = await loadApp(modules.length === 0 ? [DEFAULT_APP] : modules);
  if (app instanceof Error) {
    process.stderr.write(`uhaha: ${app.message}\n`);
    return USAGE_ERROR;
  }
  return runNode(app, argv.filter((arg) => !modules.includes(arg)));
}

cli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`uhaha: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);

/**
 * The `uhaha` command: `uhaha [flags] [app.ts ...]` loads application
 * modules and runs a node of them. Usage: `uhaha -h`.
 */
import { loadApp } from "./cli/load_app.ts";
import { parseFlags } from "./cli/flags.ts";
import { runNode, USAGE_ERROR } from "./cli/main.ts";

async function cli(argv: readonly string[]): Promise<number> {
  const parsed = parseFlags(argv);
  const modules = parsed.ok ? parsed.flags.modules : [];
  const app = await loadApp(modules);
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

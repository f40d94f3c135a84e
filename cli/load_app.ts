/**
 * Loads the apps named on the command line (module files, or the names of
 * built-in apps: see bundled_apps.ts) and merges them into one App.
 */
import { importPlugin } from "./plugin_loader.ts";
import { isAppName, loadBundledApp } from "./bundled_apps.ts";
import type { App, Command } from "../api/app.ts";
import { validateApp } from "../api/validate_app.ts";
import { UHAHA_VERSION } from "../api/version.ts";

/**
 * The framework with no commands of an app: what `uhaha -v` and `uhaha -h`
 * describe, and what a usage error is reported against.
 */
export const FRAMEWORK_APP: App<unknown> = { name: "uhaha", version: UHAHA_VERSION, initialData: () => null, jsonSnapshots: true, commands: {} };

/** Loads `files` (module paths or built-in app names, at least one) as one App; an Error says what is wrong, in one line. */
export async function loadApp(files: readonly string[]): Promise<App<unknown> | Error> {
  const apps: Array<{ file: string; app: App<unknown> }> = [];
  for (const file of files) {
    let module: { default?: unknown };
    if (isAppName(file)) {
      const bundled = await loadBundledApp(file);
      if (bundled instanceof Error) return bundled;
      module = bundled;
    } else {
      try {
        module = await importPlugin(file);
      } catch (error) {
        return new Error(`cannot load ${file}: ${(error as Error).message}`);
      }
    }
    const problem = validateApp(module.default);
    if (problem) return new Error(`${file}: ${problem}`);
    apps.push({ file, app: module.default as App<unknown> });
  }
  if (apps.length === 1) return apps[0].app;
  // Several modules: one app whose commands are the union (names must not clash).
  const owner = new Map<string, string>();
  const commands: Record<string, Command<unknown>> = {};
  for (const { file, app } of apps) {
    for (const [name, command] of Object.entries(app.commands)) {
      const key = name.toLowerCase();
      if (owner.has(key)) return new Error(`command '${key}' is defined in both ${owner.get(key)} and ${file}`);
      owner.set(key, file);
      commands[key] = command;
    }
  }
  return { ...apps[0].app, commands };
}

/**
 * Loads the apps named on the command line (module files, or the names of
 * built-in apps: see bundled_apps.ts) and merges them into one App (each
 * module with its own part of the data: see merge_apps.ts).
 */
import { importPlugin } from "./plugin_loader.ts";
import { isAppName, loadBundledApp } from "./bundled_apps.ts";
import type { App } from "../api/app.ts";
import { type LoadedModule, mergeApps, singleModuleApp } from "./merge_apps.ts";
import { validateApp } from "../api/validate_app.ts";
import { UHAHA_VERSION } from "../api/version.ts";

/**
 * The framework with no commands of an app: what `uhaha -v` and `uhaha -h`
 * describe, and what a usage error is reported against.
 */
export const FRAMEWORK_APP: App<unknown> = { name: "uhaha", version: UHAHA_VERSION, initialData: () => null, jsonSnapshots: true, commands: {} };

/** Loads `files` (module paths or built-in app names, at least one) as one App; an Error says what is wrong, in one line. */
export async function loadApp(files: readonly string[]): Promise<App<unknown> | Error> {
  const apps: LoadedModule[] = [];
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
  return apps.length === 1 ? singleModuleApp(apps[0].app) : mergeApps(apps);
}

/**
 * Loads application modules named on the command line and merges them into
 * one App. With none, the node runs the bare "uhaha" app: only built-in
 * commands.
 */
import { importPlugin } from "./plugin_loader.ts";
import type { App, Command } from "../api/app.ts";
import { validateApp } from "../api/validate_app.ts";
import { UHAHA_VERSION } from "../api/version.ts";

const BARE_APP: App<null> = { name: "uhaha", version: UHAHA_VERSION, initialData: () => null, jsonSnapshots: true, commands: {} };

export async function loadApp(files: readonly string[]): Promise<App<unknown> | Error> {
  if (files.length === 0) return BARE_APP as App<unknown>;
  const apps: Array<{ file: string; app: App<unknown> }> = [];
  for (const file of files) {
    let module: { default?: unknown };
    try {
      module = await importPlugin(file);
    } catch (error) {
      return new Error(`cannot load ${file}: ${(error as Error).message}`);
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

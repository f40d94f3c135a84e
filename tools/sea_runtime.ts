/**
 * Gives the plugin loader (cli/plugin_loader.ts) the framework's exports,
 * which plugins run by the single executable import as `uhaha`. Imported by
 * sea_entry.ts before the CLI, so this runs first.
 */
import * as framework from "../mod.ts";

Object.assign(globalThis, { __uhahaMod: { ...framework } });

/**
 * The examples built into the `uhaha` command: `uhaha kvdb`, `uhaha kv`,
 * `uhaha ticket` and `uhaha timeseries` run examples/<name>.ts with no file present (the
 * executable carries them in its bundle, as it carries the framework), and
 * `uhaha` with no app runs kvdb, as `npm start` does. An argument with no
 * "." and no "/" is an app's name; anything else is a module file.
 */

/** A built-in app: how to load it, and one line for `-h`. */
interface BundledApp {
  readonly load: () => Promise<{ default?: unknown }>;
  readonly summary: string;
}

/** The built-in apps by name. */
export const BUNDLED_APPS: Readonly<Record<string, BundledApp>> = {
  kvdb: {
    load: () => import("../examples/kvdb.ts"),
    summary: "a Redis-like key-value store with expiry and HTTP (the default)",
  },
  kv: {
    load: () => import("../examples/kv.ts"),
    summary: "a replicated Deno KV: KV.SET/GET/DELETE/LIST/ATOMIC with JSON keys and values",
  },
  ticket: {
    load: () => import("../examples/ticket.ts"),
    summary: "unique, increasing numbers across the cluster",
  },
  timeseries: {
    load: () => import("../examples/timeseries.ts"),
    summary: "points by measurement and time, with retention",
  },
};

/** What `uhaha` runs when no app is named. */
export const DEFAULT_APP = "kvdb";

/** True for an argument that names a built-in app rather than a file: no "." and no "/". */
export function isAppName(arg: string): boolean {
  return !/[./\\]/.test(arg);
}

/** The built-in app `name`'s module, or an Error in one line that lists the names. */
export async function loadBundledApp(name: string): Promise<{ default?: unknown } | Error> {
  const app = Object.hasOwn(BUNDLED_APPS, name) ? BUNDLED_APPS[name] : undefined;
  if (app) return await app.load();
  const names = Object.keys(BUNDLED_APPS).join(", ");
  return new Error(`unknown app '${name}': the built-in apps are ${names} (or give a module file, such as app.ts)`);
}

/** The `-h` lines that list the apps `uhaha` can run. */
export function bundledAppsHelp(): string {
  const lines = Object.entries(BUNDLED_APPS).map(([name, app]) => `  ${name.padEnd(17)}: ${app.summary}`);
  return `\nApps (uhaha [app ...] [options]):\n  app.ts ...       : application modules, merged into one app\n${lines.join("\n")}\n`;
}

/**
 * Several modules make one app (`uhaha a.ts b.ts`), each keeping all of
 * itself. The rule: **each module owns a namespace of the data**, keyed by
 * its App name, and everything it defines runs against its own part:
 *
 * - data: `{ [name]: module.initialData() }`; a module's commands and its
 *   `tick` see only `m.data` of their module (and may replace it);
 * - snapshots: each module's part is snapshotted its own way (JSON or its
 *   snapshot/restore) into one container (see encodeParts); a module that
 *   is new since the snapshot starts from its initialData;
 * - commands: the union; a name defined by two modules is an error naming both;
 * - connection contexts: each module's connOpened gives its own context,
 *   which its intermediate commands, connClosed and responseFilter see; any
 *   module refusing a connection refuses it;
 * - responseFilter: every module's, in command-line order; stateChange: every
 *   module's; services: all, tried in command-line order;
 * - name and version (data directory, VERSION): the first module's.
 */
import type { App, Args, Command, ConnectionInfo, Intermediate, Machine, Service } from "../api/app.ts";
import type { ReplyValue } from "../api/reply.ts";

/** A module loaded from `file`, and its App. */
export interface LoadedModule {
  readonly file: string;
  readonly app: App<unknown>;
}

type Parts = Record<string, unknown>;
type Contexts = Record<string, unknown>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One App of `modules` (two or more, each already validated); an Error for names that clash. */
export function mergeApps(modules: readonly LoadedModule[]): App<unknown> | Error {
  const byName = new Map<string, string>();
  for (const { file, app } of modules) {
    if (byName.has(app.name)) return new Error(`two modules are named '${app.name}' (${byName.get(app.name)} and ${file}): each module's data is kept under its name`);
    byName.set(app.name, file);
  }
  const owner = new Map<string, string>();
  const commands: Record<string, Command<unknown>> = {};
  for (const { file, app } of modules) {
    for (const [name, command] of Object.entries(app.commands)) {
      const key = name.toLowerCase();
      if (owner.has(key)) return new Error(`command '${key}' is defined in both ${owner.get(key)} and ${file}`);
      owner.set(key, file);
      commands[key] = scoped(app.name, command);
    }
  }
  const apps = modules.map((module) => module.app);
  const hooks = (pick: (app: App<unknown>) => unknown) => apps.filter((app) => pick(app) !== undefined);
  const services: Service[] = apps.flatMap((app) => app.services ?? []);
  return {
    name: apps[0].name,
    version: apps[0].version,
    // One store, shared: modules that use it keep to their own key prefixes.
    kv: apps.some((app) => app.kv),
    initialData: () => Object.fromEntries(apps.map((app) => [app.name, app.initialData()])),
    snapshot: (data) => encodeParts(apps.map((app) => [app.name, snapshotPart(app, (data as Parts)[app.name])])),
    restore: (bytes) => {
      const parts = decodeParts(bytes);
      for (const name of parts.keys()) {
        if (!byName.has(name)) throw new Error(`the snapshot holds module '${name}', which is not loaded: load it, or start from a new data directory`);
      }
      return Object.fromEntries(apps.map((app) => {
        const part = parts.get(app.name);
        return [app.name, part === undefined ? app.initialData() : restorePart(app, part)];
      }));
    },
    commands,
    tick: hooks((app) => app.tick).length === 0 ? undefined : (m) => {
      for (const app of apps) app.tick?.(partView(m, app.name));
    },
    connOpened: hooks((app) => app.connOpened).length === 0 ? undefined : (conn) => {
      const contexts: Contexts = {};
      for (const app of apps) {
        const verdict = app.connOpened?.(conn);
        if (verdict === false) return false;
        if (typeof verdict === "object" && verdict !== null) contexts[app.name] = verdict.context;
      }
      return { context: contexts };
    },
    connClosed: hooks((app) => app.connClosed).length === 0 ? undefined : (conn) => {
      for (const app of apps) app.connClosed?.(withContext(conn, app.name));
    },
    responseFilter: hooks((app) => app.responseFilter).length === 0 ? undefined : (args, reply, conn) => {
      let filtered: ReplyValue = reply;
      for (const app of apps) if (app.responseFilter) filtered = app.responseFilter(args, filtered, withContext(conn, app.name));
      return filtered;
    },
    stateChange: hooks((app) => app.stateChange).length === 0 ? undefined : (state) => {
      for (const app of apps) app.stateChange?.(state);
    },
    services: services.length === 0 ? undefined : services,
  };
}

/**
 * One module alone: its app, unchanged but for a snapshot written by several
 * modules, which its restore refuses naming the modules to load (instead of
 * failing to parse it).
 */
export function singleModuleApp(app: App<unknown>): App<unknown> {
  const { jsonSnapshots: _json, snapshot: _snapshot, restore: _restore, ...definition } = app;
  return {
    ...definition,
    snapshot: (data) => snapshotPart(app, data),
    restore: (bytes) => {
      const modules = severalModuleNames(bytes);
      if (modules) throw new Error(`the snapshot holds several modules (${modules.join(", ")}): start the node with all of them`);
      return restorePart(app, bytes);
    },
  };
}

/** `command` running against its module's part of the data (or its module's context). */
function scoped(name: string, command: Command<unknown>): Command<unknown> {
  switch (command.kind) {
    case "write":
    case "read":
      return { ...command, run: (m: Machine<unknown>, args: Args) => command.run(partView(m, name), args) };
    case "intermediate":
      return { ...command, run: (c: Intermediate, args: Args) => command.run(intermediateView(c, name), args) };
  }
}

/** The machine as one module sees it: `data` is its part. */
function partView(m: Machine<unknown>, name: string): Machine<unknown> {
  return {
    get data() {
      return (m.data as Parts)[name];
    },
    set data(value: unknown) {
      (m.data as Parts)[name] = value;
    },
    now: () => m.now(),
    rand: m.rand,
    rawArgs: m.rawArgs,
    get kv() {
      return m.kv;
    },
  };
}

/** The connection's context of one module: its part of the merged context. */
function contextsOf(context: unknown): Contexts {
  return typeof context === "object" && context !== null ? context as Contexts : {};
}

function intermediateView(c: Intermediate, name: string): Intermediate {
  return {
    get context() {
      return contextsOf(c.context)[name];
    },
    set context(value: unknown) {
      c.context = { ...contextsOf(c.context), [name]: value };
    },
    remoteAddress: c.remoteAddress,
    rawArgs: c.rawArgs,
    rewrite: (args) => c.rewrite(args),
    takeOver: () => c.takeOver(),
    observeCommands: (listener) => c.observeCommands(listener),
  };
}

function withContext<C extends ConnectionInfo & { readonly context: unknown }>(conn: C, name: string): C {
  return { ...conn, context: contextsOf(conn.context)[name] };
}

function snapshotPart(app: App<unknown>, data: unknown): Uint8Array {
  return app.jsonSnapshots ? encoder.encode(JSON.stringify(data)) : app.snapshot!(data);
}

function restorePart(app: App<unknown>, bytes: Uint8Array): unknown {
  return app.jsonSnapshots ? JSON.parse(decoder.decode(bytes)) : app.restore!(bytes);
}

const CONTAINER_MAGIC = "uhaha-modules-1\n";

/**
 * Parts as bytes: the magic line, one JSON line listing each part's name
 * and byte length, then the parts' bytes in that order.
 */
export function encodeParts(parts: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array {
  const header = encoder.encode(CONTAINER_MAGIC + JSON.stringify(parts.map(([name, bytes]) => [name, bytes.length])) + "\n");
  const out = new Uint8Array(header.length + parts.reduce((sum, [, bytes]) => sum + bytes.length, 0));
  out.set(header, 0);
  let offset = header.length;
  for (const [, bytes] of parts) {
    out.set(bytes, offset);
    offset += bytes.length;
  }
  return out;
}

/** The module names of encodeParts' bytes, or undefined for other bytes. */
function severalModuleNames(bytes: Uint8Array): string[] | undefined {
  const magic = encoder.encode(CONTAINER_MAGIC);
  if (bytes.length < magic.length || decoder.decode(bytes.subarray(0, magic.length)) !== CONTAINER_MAGIC) return undefined;
  return [...decodeParts(bytes).keys()];
}

/** encodeParts' bytes back to parts by name; throws a clear error for anything else. */
export function decodeParts(bytes: Uint8Array): Map<string, Uint8Array> {
  const magic = encoder.encode(CONTAINER_MAGIC);
  const newline = bytes.indexOf(10, magic.length);
  if (decoder.decode(bytes.subarray(0, magic.length)) !== CONTAINER_MAGIC || newline < 0) {
    throw new Error("not a several-module snapshot: the app was started with other modules");
  }
  const index = JSON.parse(decoder.decode(bytes.subarray(magic.length, newline))) as Array<[string, number]>;
  const parts = new Map<string, Uint8Array>();
  let offset = newline + 1;
  for (const [name, length] of index) {
    if (offset + length > bytes.length) throw new Error(`several-module snapshot cut short in module '${name}'`);
    parts.set(name, bytes.subarray(offset, offset + length));
    offset += length;
  }
  return parts;
}

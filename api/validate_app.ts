/**
 * The one check of an App, for both ways a node gets one: `main(app)` and a
 * module loaded by the command line. TypeScript checks apps written in it;
 * this catches what reaches us unchecked (JavaScript, `as any`, a plugin
 * built against another version) before it can fail later, e.g. at the
 * first snapshot.
 */
import type { App, Command, CommandFlag } from "./app.ts";

const COMMAND_KINDS: readonly string[] = ["write", "read", "intermediate"];

/** Every CommandFlag (a Record, so that a flag added to the type must be added here). */
const COMMAND_FLAGS: Readonly<Record<CommandFlag, true>> = {
  write: true,
  readonly: true,
  denyoom: true,
  admin: true,
  pubsub: true,
  noscript: true,
  random: true,
  loading: true,
  stale: true,
  fast: true,
  blocking: true,
};

/** What is wrong with `value` (a module's default export, or `main`'s argument) as an App, or undefined when nothing is. */
export function validateApp(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return "its default export is not an App object";
  const app = value as Partial<Record<keyof App, unknown>>;
  if (typeof app.name !== "string" || !/^[A-Za-z0-9._-]+$/.test(app.name)) return "App.name must be a string of letters, digits, '.', '_' or '-'";
  if (typeof app.initialData !== "function") return "App.initialData must be a function";
  if (typeof app.commands !== "object" || app.commands === null) return "App.commands must be an object";
  if (app.kv !== undefined && typeof app.kv !== "boolean") return "App.kv must be true or false (true gives commands m.kv, the replicated store)";
  const customSnapshots = typeof app.snapshot === "function" && typeof app.restore === "function";
  if (app.jsonSnapshots === true && (app.snapshot !== undefined || app.restore !== undefined)) {
    return "App has jsonSnapshots: true and its own snapshot/restore: choose one";
  }
  if (app.jsonSnapshots !== true && !customSnapshots) return "App needs jsonSnapshots: true, or both snapshot and restore functions";
  const lowerCase = new Map<string, string>();
  for (const name of Object.keys(app.commands as object)) {
    const other = lowerCase.get(name.toLowerCase());
    if (other !== undefined) return `commands '${other}' and '${name}' differ only in case: command names are case-insensitive`;
    lowerCase.set(name.toLowerCase(), name);
  }
  for (const [name, command] of Object.entries(app.commands as Record<string, Partial<Command<unknown>> | undefined>)) {
    if (!COMMAND_KINDS.includes(command?.kind as string)) {
      return `command '${name}' has unknown kind '${command?.kind}': use write, read or intermediate`;
    }
    if (typeof command?.run !== "function") return `command '${name}': run is not a function`;
    const problem = commandInfoProblem(command as Command<unknown>);
    if (problem) return `command '${name}': ${problem}`;
  }
  return undefined;
}

/** What is wrong with a command's arity and flags, or undefined. */
function commandInfoProblem(command: Command<unknown>): string | undefined {
  const { arity, flags, kind } = command;
  if (arity !== undefined && (!Number.isSafeInteger(arity) || arity === 0)) {
    return `arity must be a non-zero integer (n: exactly n arguments counting the name, -n: at least n), got ${String(arity)}`;
  }
  if (flags === undefined) return undefined;
  if (!Array.isArray(flags)) return "flags must be an array of COMMAND INFO flags";
  for (const flag of flags) {
    if (!Object.hasOwn(COMMAND_FLAGS, flag)) {
      return `unknown flag '${String(flag)}': use ${Object.keys(COMMAND_FLAGS).join(", ")}`;
    }
  }
  if (kind === "write" && flags.includes("readonly")) return "a write command cannot be flagged readonly";
  if (kind === "read" && flags.includes("write")) return "a read command cannot be flagged write";
  if (flags.includes("write") && flags.includes("readonly")) return "flags write and readonly exclude each other";
  return undefined;
}

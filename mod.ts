/**
 * uhaha for TypeScript: Raft-replicated data applications served over the
 * Redis protocol.
 *
 * This module is what applications import (by URL in Deno, or by path). Its
 * import graph holds only relative `.ts` files and `node:` built-ins, so it
 * needs no import map and no npm.
 *
 * @example A replicated ticket counter: a main file that runs a node with `main`
 * ```ts
 * // ticket_main.ts: `deno run -A ticket_main.ts -n 1 -a 127.0.0.1:11001`, or on Node
 * // `node --import tsx ticket_main.ts …` (in a package.json "type": "module" folder);
 * // then `redis-cli -p 11001 TICKET` answers "1".
 * import { type App, main } from "./mod.ts";
 *
 * const app: App<{ ticket: number }> = {
 *   name: "ticket",
 *   initialData: () => ({ ticket: 0 }),
 *   jsonSnapshots: true,
 *   commands: { ticket: { kind: "write", run: (m) => ++m.data.ticket } },
 * };
 * await main(app); // takes uhaha's flags; runs until SIGINT, SIGTERM or SHUTDOWN
 * ```
 *
 * @example A replicated Deno KV: an app with `kv: true` gets `m.kv`
 * ```ts
 * // Deno.Kv's methods, synchronous: get, getMany, list, set, delete, atomic().
 * // Writes belong in write commands (a read command that writes gets an
 * // error); versionstamps derive from the Raft log position and expireIn
 * // from machine time, so every replica holds the same entries. The store
 * // is snapshotted with the app's data (examples/kv.ts serves it over RESP).
 * import { type App, KvU64 } from "./mod.ts";
 *
 * const visits: App<null> = {
 *   name: "visits",
 *   kv: true,
 *   initialData: () => null,
 *   jsonSnapshots: true,
 *   commands: {
 *     visit: { kind: "write", run: (m, args) => m.kv.atomic().sum(["visits", args[1]], 1n).commit().ok ? "OK" : null },
 *     visits: { kind: "read", run: (m, args) => String((m.kv.get<KvU64>(["visits", args[1]]).value ?? new KvU64(0n)).value) },
 *   },
 * };
 * ```
 * @module
 */
import type { App } from "./api/app.ts";
import { runNode } from "./cli/main.ts";

export type {
  App,
  Args,
  Command,
  CommandEvent,
  CommandFlag,
  CommandInfo,
  ConnectionInfo,
  ConnectionStream,
  Intermediate,
  Machine,
  NodeState,
  Rand,
  Service,
  ServiceApi,
  ServiceConnection,
  SnapshotOptions,
  AppDefinition,
} from "./api/app.ts";
export { Rewrite } from "./api/app.ts";
export {
  type ReplyValue,
  resp,
  RespInteger,
  RespNullArray,
  RespOrderedMap,
  RespSimple,
} from "./api/reply.ts";
export { NotLeaderError, OutcomeUnknownError, WriteDroppedError } from "./raft/errors.ts";
export { UHAHA_VERSION } from "./api/version.ts";
/** The store's value type for sum/min/max counters (Deno.KvU64's twin), and its API types. */
export { KvU64 } from "./store/kv_u64.ts";
export type { SyncKv as MachineKv } from "./store/sync_kv.ts";
/** What `m.kv.atomic()` and `m.kv.list()` return. */
export type { AtomicOperation } from "./store/atomic_operation.ts";
export type { KvListIterator } from "./store/list_iterator.ts";
export type {
  AtomicCheck,
  KvCommitError,
  KvCommitResult,
  KvEntry,
  KvEntryMaybe,
  KvKey,
  KvKeyPart,
  KvConsistencyLevel,
  KvListOptions,
  KvListSelector,
  KvReadOptions,
  KvSetKey,
  Mutation as KvMutation,
} from "./store/types.ts";
/** The store's key and value codecs and read limits, byte for byte: for serving the store over another protocol, as the kv example's KV Connect endpoint does. */
export * as kvWire from "./store/wire.ts";
/** Redis-style glob matching (`*`, `?`, `[a-z]`, `\x`), for commands that take patterns, as kvdb's KEYS does. */
export { globMatch } from "./api/glob.ts";

/**
 * Runs a node of `app` with uhaha's command line (`argv`, default the
 * process's arguments) until SIGINT/SIGTERM or SHUTDOWN, then exits the
 * process with the node's exit code.
 *
 * @param app the application
 * @param argv flags such as `["-n", "2", "-j", "127.0.0.1:11001"]`
 */
export async function main<D>(app: App<D>, argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  const code = await runNode(app as App<unknown>, argv, app.name);
  process.exit(code);
}

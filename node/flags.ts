/**
 * The uhaha command line: parsing and validation, pure (no I/O). Returns
 * the flags or an error message for the user; never exits.
 */
import { parseArgs } from "node:util";
import { isLogLevel, type LogLevel } from "./logger.ts";

export interface HostPort {
  /** "" for all interfaces (`-a :11001`). */
  readonly host: string;
  readonly port: number;
}

export interface NodeFlags {
  readonly showVersion: boolean;
  readonly showHelp: boolean;
  /** `-a`: where to listen. */
  readonly listen: HostPort;
  /** `-n`: this node's id (a positive integer; uhaha allows any string). */
  readonly nodeId: string;
  /** `-d`: the data directory. */
  readonly dataDir: string;
  /** `-j`: an address of a cluster member to join. */
  readonly join: string | undefined;
  readonly logLevel: LogLevel;
  readonly tlsCertPath: string | undefined;
  readonly tlsKeyPath: string | undefined;
  /** `--auth`: shared secret for clients and peers. */
  readonly auth: string | undefined;
  /** `--advertise`: the address other nodes and redirected clients use. */
  readonly advertise: HostPort | undefined;
  readonly nosync: boolean;
  readonly openReads: boolean;
  readonly localTime: boolean;
  readonly restorePath: string | undefined;
  readonly nonVoter: boolean;
  /** `--try-errors`: redirect with `-TRY addr` instead of `-MOVED 0 addr`. */
  readonly tryErrors: boolean;
  /** Positional arguments: application modules to load. */
  readonly modules: readonly string[];
}

export const DEFAULT_LISTEN = "127.0.0.1:11001";

const OPTIONS = {
  version: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
  addr: { type: "string", short: "a" },
  id: { type: "string", short: "n" },
  dir: { type: "string", short: "d" },
  join: { type: "string", short: "j" },
  level: { type: "string", short: "l" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  auth: { type: "string" },
  advertise: { type: "string" },
  nosync: { type: "boolean" },
  openreads: { type: "boolean" },
  localtime: { type: "boolean" },
  restore: { type: "string" },
  nonvoter: { type: "boolean" },
  "try-errors": { type: "boolean" },
} as const;

export type FlagsResult =
  | { readonly ok: true; readonly flags: NodeFlags }
  | { readonly ok: false; readonly error: string };

/**
 * Go's flag package (which uhaha uses) also accepts `-nosync` and
 * `-tls-cert=x`; rewrite those to the double-dash form parseArgs knows.
 */
function normalizeGoStyle(argv: readonly string[]): string[] {
  const out: string[] = [];
  let afterTerminator = false;
  for (const arg of argv) {
    if (arg === "--") afterTerminator = true;
    const name = /^-([a-z][a-z-]+)(=.*)?$/.exec(arg)?.[1];
    out.push(!afterTerminator && name !== undefined && name in OPTIONS ? `-${arg}` : arg);
  }
  return out;
}

/** Parses "host:port", ":port" or "[ipv6]:port". */
export function parseHostPort(text: string, flag: string): HostPort | string {
  const match = /^(\[[^\]]*\]|[^:]*):([^:]*)$/.exec(text);
  if (!match) return `invalid address '${text}' for ${flag}: expected host:port`;
  const host = match[1].replace(/^\[(.*)\]$/, "$1");
  const port = Number(match[2]);
  if (!/^\d+$/.test(match[2]) || port < 1 || port > 65535) {
    return `invalid port '${match[2]}' in ${flag} '${text}': must be 1-65535`;
  }
  return { host, port };
}

export function parseFlags(argv: readonly string[]): FlagsResult {
  let parsed;
  try {
    parsed = parseArgs({ args: normalizeGoStyle(argv), options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return { ok: false, error: describeParseError(error) };
  }
  const v = parsed.values;
  const fail = (error: string): FlagsResult => ({ ok: false, error });

  const listen = parseHostPort(v.addr ?? DEFAULT_LISTEN, "-a");
  if (typeof listen === "string") return fail(listen);

  let advertise: HostPort | undefined;
  if (v.advertise !== undefined) {
    if (!/:\d*$/.test(v.advertise)) {
      return fail(`--advertise '${v.advertise}' has no port: expected host:port`);
    }
    const parsedAdvertise = parseHostPort(v.advertise, "--advertise");
    if (typeof parsedAdvertise === "string") return fail(parsedAdvertise);
    if (parsedAdvertise.host === "") return fail(`--advertise '${v.advertise}' has no host: expected host:port`);
    advertise = parsedAdvertise;
  }

  if (v.join !== undefined) {
    const join = parseHostPort(v.join, "-j");
    if (typeof join === "string") return fail(join);
  }

  const nodeId = v.id ?? "1";
  if (!/^[1-9][0-9]{0,9}$/.test(nodeId) || Number(nodeId) > 2 ** 31 - 1) {
    return fail(`invalid node id '${nodeId}' for -n: must be an integer from 1 to 2147483647`);
  }

  const level = v.level ?? "info";
  if (!isLogLevel(level)) {
    return fail(`invalid log level '${level}' for -l: expected debug, verb, info, warn or silent`);
  }

  if ((v["tls-cert"] === undefined) !== (v["tls-key"] === undefined)) {
    return fail(v["tls-cert"] === undefined
      ? "--tls-key requires --tls-cert"
      : "--tls-cert requires --tls-key");
  }
  if (v.restore !== undefined && v.join !== undefined) {
    return fail("--restore cannot be used with -j: a restore starts a new single-node cluster");
  }
  if (v.auth === "") return fail("--auth must not be empty");
  if (v.dir === "") return fail("-d must not be empty");

  return {
    ok: true,
    flags: {
      showVersion: v.version ?? false,
      showHelp: v.help ?? false,
      listen,
      nodeId,
      dataDir: v.dir ?? "data",
      join: v.join,
      logLevel: level,
      tlsCertPath: v["tls-cert"],
      tlsKeyPath: v["tls-key"],
      auth: v.auth,
      advertise,
      nosync: v.nosync ?? false,
      openReads: v.openreads ?? false,
      localTime: v.localtime ?? false,
      restorePath: v.restore,
      nonVoter: v.nonvoter ?? false,
      tryErrors: v["try-errors"] ?? false,
      modules: parsed.positionals,
    },
  };
}

/** Turns parseArgs' errors into one short sentence. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const option = /'([^']+)'/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) return `unknown flag '${option}'`;
  return message.charAt(0).toLowerCase() + message.slice(1);
}

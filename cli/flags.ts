/**
 * The uhaha command line: parsing and validation, pure (no I/O). Returns
 * the flags or an error message for the user; never exits.
 */
import { parseArgs } from "node:util";
import { isLogLevel, type LogLevel } from "../cluster/logger.ts";
import { type HostPort, parseHostPort } from "../api/host_port.ts";
import { MAX_NODE_ID, parseNodeId } from "../api/node_id.ts";
import { parseGoDuration } from "../api/go_duration.ts";
import { DEFAULT_NTP_SERVERS, parseNtpServers } from "../time/sntp_client.ts";
import { DEFAULT_TIME_GRACE_MS, type TimeSourceOptions } from "../time/time_source.ts";
import type { NodeLimits } from "../cluster/node_limits.ts";
import { LIMIT_NEEDS, parseLimitFlags } from "./limit_flags.ts";

export interface NodeFlags {
  readonly showVersion: boolean;
  readonly showHelp: boolean;
  /** `-a`: where to listen. */
  readonly listen: HostPort;
  /** `-n`: this node's id (a positive integer; uhaha allows any string). */
  readonly nodeId: number;
  /** `-d`: the data directory. */
  readonly dataDir: string;
  /** `-j`: an address of a cluster member to join. */
  readonly join: string | undefined;
  readonly logLevel: LogLevel;
  readonly tlsCertPath: string | undefined;
  readonly tlsKeyPath: string | undefined;
  /** `--tls-ca`: certificates peers verify each other with (needs --tls-cert). */
  readonly tlsCaPath: string | undefined;
  /** `--auth`: shared secret for clients and peers. */
  readonly auth: string | undefined;
  /** `--advertise`: the address other nodes and redirected clients use. */
  readonly advertise: HostPort | undefined;
  readonly nosync: boolean;
  readonly openReads: boolean;
  readonly localTime: boolean;
  /** Where machine time comes from: `--localtime`, or `--ntp` servers (default public pools) with `--strict-time` and `--time-grace`. */
  readonly time: TimeSourceOptions;
  readonly restorePath: string | undefined;
  readonly nonVoter: boolean;
  /** `--try-errors`: redirect with `-TRY addr` instead of `-MOVED 0 addr`. */
  readonly tryErrors: boolean;
  /** `--proxy`: a follower forwards commands that need the leader to it instead of redirecting. */
  readonly proxy: boolean;
  /** `--snapshot-threshold`: take a snapshot after this many applied entries (undefined: the driver's default). */
  readonly snapshotThresholdEntries: number | undefined;
  /** `--leave-on-exit`: remove this node from the configuration before it exits (it goes away for good). */
  readonly leaveOnExit: boolean;
  /** `--reset`: wipe this node's data before starting (a removed node rejoining as new). */
  readonly reset: boolean;
  /** `--evict-nonvoter-after`: the leader removes a non-voter unreachable this long, in ms (undefined: never). */
  readonly evictNonVoterAfterMs: number | undefined;
  /** `--max-clients`, `--auth-timeout`, `--max-reply-buffer`, `--max-queued-writes`. */
  readonly limits: NodeLimits;
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
  "tls-ca": { type: "string" },
  auth: { type: "string" },
  advertise: { type: "string" },
  nosync: { type: "boolean" },
  openreads: { type: "boolean" },
  localtime: { type: "boolean" },
  restore: { type: "string" },
  nonvoter: { type: "boolean" },
  "try-errors": { type: "boolean" },
  proxy: { type: "boolean" },
  "snapshot-threshold": { type: "string" },
  ntp: { type: "string" },
  "strict-time": { type: "boolean" },
  "time-grace": { type: "string" },
  "leave-on-exit": { type: "boolean" },
  reset: { type: "boolean" },
  "evict-nonvoter-after": { type: "string" },
  "max-clients": { type: "string" },
  "auth-timeout": { type: "string" },
  "max-reply-buffer": { type: "string" },
  "max-queued-writes": { type: "string" },
} as const;

type OptionName = keyof typeof OPTIONS;
type ValueOption = { [K in OptionName]: (typeof OPTIONS)[K]["type"] extends "string" ? K : never }[OptionName];
type SwitchOption = Exclude<OptionName, ValueOption>;

/** What each flag that takes a value needs, as usage errors say it: "-n needs <this>". */
const NEEDS: Record<ValueOption, string> = {
  addr: "an address host:port",
  id: "a positive integer node id",
  dir: "a directory",
  join: "an address host:port",
  level: "a log level (debug, verb, info, warn or silent)",
  "tls-cert": "a certificate file",
  "tls-key": "a private key file",
  "tls-ca": "a CA certificate file",
  auth: "a secret",
  advertise: "an address host:port",
  restore: "a snapshot file",
  "snapshot-threshold": "a positive number of log entries",
  ntp: "NTP servers host[:port],…",
  "time-grace": "a number of seconds (0 to 3600)",
  "evict-nonvoter-after": "a duration such as 10m, 1h or 90s (at least 1s)",
  ...LIMIT_NEEDS,
};

/** Flags whose value may itself start with '-' (written `-d=-x`); the others' never can. */
const FREE_TEXT: ReadonlySet<ValueOption> = new Set(["dir", "tls-cert", "tls-key", "tls-ca", "auth", "restore"]);

/** The words Go's flag package takes for a boolean flag's `=value` (strconv.ParseBool). */
const GO_BOOLEANS: Readonly<Record<string, boolean>> = Object.fromEntries([
  ...["1", "t", "T", "TRUE", "true", "True"].map((word) => [word, true]),
  ...["0", "f", "F", "FALSE", "false", "False"].map((word) => [word, false]),
]);


export type FlagsResult =
  | { readonly ok: true; readonly flags: NodeFlags }
  | { readonly ok: false; readonly error: string };

function isOption(name: string): name is OptionName {
  return Object.hasOwn(OPTIONS, name);
}

const LONG_OF_SHORT: ReadonlyMap<string, OptionName> = new Map(
  (Object.entries(OPTIONS) as [OptionName, { short?: string }][]).flatMap(([name, o]) => o.short ? [[o.short, name]] : []),
);

/**
 * Go's flag package (which uhaha uses) also accepts `-nosync`,
 * `-tls-cert=x` and `-d=x`; rewrite those, one argument for one, to forms
 * parseArgs knows (`--nosync`, `--tls-cert=x`, `-dx`).
 */
function normalizeGoStyle(argv: readonly string[]): string[] {
  const out: string[] = [];
  let afterTerminator = false;
  for (const arg of argv) {
    if (arg === "--") afterTerminator = true;
    const [, name, value] = /^-([a-z][a-z-]*)(?:=([^]*))?$/.exec(arg) ?? [];
    if (afterTerminator || name === undefined) out.push(arg);
    else if (name.length > 1) out.push(isOption(name) ? `-${arg}` : arg);
    else if (value === undefined) out.push(arg);
    else {
      const long = LONG_OF_SHORT.get(name);
      out.push(long === undefined ? arg : OPTIONS[long].type === "string" ? `-${name}${value}` : `--${long}=${value}`);
    }
  }
  return out;
}

/** The flags given, by name, and the positionals; or the first usage error. */
interface GivenFlags {
  readonly values: Partial<Record<ValueOption, string>>;
  readonly switches: Partial<Record<SwitchOption, boolean>>;
  /** How the user wrote each flag (`-n`, `--id`, `-tls-cert`), for messages. */
  readonly spelled: Partial<Record<OptionName, string>>;
  readonly positionals: string[];
}

/**
 * Splits argv into flags with parseArgs' tokens (non-strict, so that no
 * parseArgs wording reaches the user) and checks each flag here: unknown
 * flags, a missing value, a value that is another flag, a value given to
 * a switch.
 */
function readFlags(argv: readonly string[]): GivenFlags | string {
  const { tokens } = parseArgs({ args: normalizeGoStyle(argv), options: OPTIONS, allowPositionals: true, strict: false, tokens: true });
  const given: GivenFlags = { values: {}, switches: {}, spelled: {}, positionals: [] };
  for (const token of tokens) {
    if (token.kind === "positional") given.positionals.push(token.value);
    if (token.kind !== "option") continue;
    // As written: `-nosync=1` was rewritten to `--nosync=1`, `-d=x` to `-dx`.
    const original = argv[token.index];
    const flag = token.rawName.startsWith("--") && !original.startsWith("--") ? original.replace(/=[^]*$/, "") : token.rawName;
    const name = token.name;
    // Named whole, as Go's flag package would (`-bogus`, not its first letter).
    if (!isOption(name)) return `unknown flag '${original.replace(/=[^]*$/, "")}'`;
    given.spelled[name] = flag;
    if (OPTIONS[name].type === "boolean") {
      const switchName = name as SwitchOption;
      if (token.value === undefined) given.switches[switchName] = true;
      else if (Object.hasOwn(GO_BOOLEANS, token.value)) given.switches[switchName] = GO_BOOLEANS[token.value];
      else return `${flag} takes no value, got '${token.value}'`;
      continue;
    }
    const valueName = name as ValueOption;
    const value = token.value;
    if (value === undefined) return `${flag} needs ${NEEDS[valueName]}`;
    if (!token.inlineValue && value.startsWith("-")) {
      const hint = FREE_TEXT.has(valueName) ? ` (write ${flag}=${value} if that is the value)` : "";
      return `${flag} needs ${NEEDS[valueName]}, got '${value}'${hint}`;
    }
    given.values[valueName] = value;
  }
  return given;
}

export function parseFlags(argv: readonly string[]): FlagsResult {
  const fail = (error: string): FlagsResult => ({ ok: false, error });
  const given = readFlags(argv);
  if (typeof given === "string") return fail(given);
  const v = given.values;
  const spelled = (name: OptionName, fallback: string) => given.spelled[name] ?? fallback;

  const listen = parseHostPort(v.addr ?? DEFAULT_LISTEN);
  if (typeof listen === "string") return fail(`${spelled("addr", "-a")} ${listen}`);

  let advertise: HostPort | undefined;
  if (v.advertise !== undefined) {
    const flag = spelled("advertise", "--advertise");
    const parsedAdvertise = parseHostPort(v.advertise);
    if (typeof parsedAdvertise === "string") return fail(`${flag} ${parsedAdvertise}`);
    if (parsedAdvertise.host === "") return fail(`${flag} needs a host in host:port, got '${v.advertise}'`);
    advertise = parsedAdvertise;
  }

  if (v.join !== undefined) {
    const join = parseHostPort(v.join);
    if (typeof join === "string") return fail(`${spelled("join", "-j")} ${join}`);
  }

  const nodeId = v.id ?? "1";
  const parsedId = parseNodeId(nodeId);
  if (parsedId === "malformed") return fail(`${spelled("id", "-n")} needs ${NEEDS.id}, got '${nodeId}'`);
  if (parsedId === "out of range") {
    return fail(`${spelled("id", "-n")} needs a node id from 1 to ${MAX_NODE_ID}, got '${nodeId}'`);
  }


  const level = v.level ?? "info";
  if (!isLogLevel(level)) return fail(`${spelled("level", "-l")} needs ${NEEDS.level}, got '${level}'`);

  if ((v["tls-cert"] === undefined) !== (v["tls-key"] === undefined)) {
    return fail(v["tls-cert"] === undefined
      ? `${spelled("tls-key", "--tls-key")} requires --tls-cert`
      : `${spelled("tls-cert", "--tls-cert")} requires --tls-key`);
  }
  if (v["tls-ca"] !== undefined && v["tls-cert"] === undefined) {
    return fail(`${spelled("tls-ca", "--tls-ca")} requires --tls-cert and --tls-key`);
  }
  if (v.restore !== undefined && v.join !== undefined) {
    return fail(`${spelled("restore", "--restore")} cannot be used with -j: a restore starts a new single-node cluster`);
  }
  for (const name of ["auth", "dir", "tls-cert", "tls-key", "tls-ca", "restore"] as const) {
    if (v[name] === "") return fail(`${spelled(name, name)} needs ${NEEDS[name]}, got ''`);
  }

  let snapshotThresholdEntries: number | undefined;
  const threshold = v["snapshot-threshold"];
  if (threshold !== undefined) {
    if (!/^[1-9][0-9]{0,9}$/.test(threshold) || Number(threshold) > 2 ** 31 - 1) {
      return fail(`${spelled("snapshot-threshold", "--snapshot-threshold")} needs ${NEEDS["snapshot-threshold"]}, got '${threshold}'`);
    }
    snapshotThresholdEntries = Number(threshold);
  }

  let evictNonVoterAfterMs: number | undefined;
  const evict = v["evict-nonvoter-after"];
  if (evict !== undefined) {
    const ms = parseGoDuration(evict);
    // At least a second: shorter is a blip on the network, not a dead node; at most what a timer can wait.
    if (typeof ms === "string" || ms < 1000 || ms > 2 ** 31 - 1) {
      return fail(`${spelled("evict-nonvoter-after", "--evict-nonvoter-after")} needs ${NEEDS["evict-nonvoter-after"]}, got '${evict}'`);
    }
    evictNonVoterAfterMs = Math.round(ms);
  }

  const on = given.switches;
  if (on.reset && v.restore !== undefined) {
    return fail(`${spelled("reset", "--reset")} cannot be used with --restore: --restore needs a node directory that does not exist`);
  }
  const time = timeOptions(given);
  if (typeof time === "string") return fail(time);
  const limits = parseLimitFlags(v, (name) => spelled(name, `--${name}`));
  if (typeof limits === "string") return fail(limits);
  return {
    ok: true,
    flags: {
      showVersion: on.version ?? false,
      showHelp: on.help ?? false,
      listen,
      nodeId: parsedId,
      dataDir: v.dir ?? "data",
      join: v.join,
      logLevel: level,
      tlsCertPath: v["tls-cert"],
      tlsKeyPath: v["tls-key"],
      tlsCaPath: v["tls-ca"],
      auth: v.auth,
      advertise,
      nosync: on.nosync ?? false,
      openReads: on.openreads ?? false,
      localTime: on.localtime ?? false,
      time,
      restorePath: v.restore,
      nonVoter: on.nonvoter ?? false,
      tryErrors: on["try-errors"] ?? false,
      proxy: on.proxy ?? false,
      snapshotThresholdEntries,
      leaveOnExit: on["leave-on-exit"] ?? false,
      reset: on.reset ?? false,
      evictNonVoterAfterMs,
      limits,
      modules: given.positionals,
    },
  };
}

/** Machine time's source from --localtime, --ntp, --strict-time and --time-grace, or a usage error. */
function timeOptions(given: GivenFlags): TimeSourceOptions | string {
  const { values: v, switches: on } = given;
  const spelled = (name: OptionName, fallback: string) => given.spelled[name] ?? fallback;
  if (on.localtime) {
    for (const name of ["ntp", "strict-time", "time-grace"] as const) {
      if (given.spelled[name] !== undefined && (name !== "strict-time" || on[name])) {
        return `${spelled(name, `--${name}`)} cannot be used with ${spelled("localtime", "--localtime")}: --localtime uses no time server`;
      }
    }
    return { kind: "local" };
  }
  let servers = DEFAULT_NTP_SERVERS;
  if (v.ntp !== undefined) {
    const parsed = parseNtpServers(v.ntp);
    if (typeof parsed === "string") return `${spelled("ntp", "--ntp")} ${parsed}`;
    servers = parsed;
  }
  let graceMs = DEFAULT_TIME_GRACE_MS;
  const grace = v["time-grace"];
  if (grace !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(grace) || Number(grace) > 3600) {
      return `${spelled("time-grace", "--time-grace")} needs ${NEEDS["time-grace"]}, got '${grace}'`;
    }
    graceMs = Math.round(Number(grace) * 1000);
  }
  return { kind: "ntp", servers, strict: on["strict-time"] ?? false, graceMs };
}

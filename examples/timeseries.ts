// timeseries.ts — a replicated time-series store: WRITE points, QUERY a
// time range, RETAIN (points older than the retention are dropped on tick,
// deterministically, by machine time), STATS. JSON snapshots.
import { type App, type Args, type Machine, resp } from "../mod.ts";
import { formatDuration, parseDuration } from "./lib/duration.ts";
import { dropBefore, insertPoint, MAX_TIMESTAMP, pointKey, pointsOf, queryPoints, type SeriesData } from "./lib/series.ts";

const DEFAULT_RETAIN_NS = 7n * 24n * 3_600_000_000_000n;
const syntaxError = () => new Error("syntax error");

/** `now`, unix ns, or a duration relative to now (`-5m`, `-1h30m`). */
function parseTimestamp(now: bigint, text: string): bigint | Error {
  let ns: bigint | undefined;
  if (text.toLowerCase() === "now") ns = now;
  else if (/^\d+$/.test(text)) ns = BigInt(text);
  else {
    const offset = parseDuration(text);
    if (offset !== undefined) ns = now + offset;
  }
  if (ns === undefined || ns < 0n || ns > MAX_TIMESTAMP) {
    return new Error(`invalid timestamp '${text}': use now, unix nanoseconds, or a duration such as -5m`);
  }
  return ns;
}

/** Non-empty, without spaces, control characters or any of `banned`. */
function plain(text: string, banned = ""): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f || banned.includes(text[i])) return false;
  }
  return true;
}
/** A measurement name: no spaces or control characters. */
const validName = (name: string) => plain(name);
/** One `field=value` (several may be joined by commas in one argument). */
function validField(field: string): boolean {
  const eq = field.indexOf("=");
  return eq > 0 && plain(field.slice(0, eq), "=,") && plain(field.slice(eq + 1), ",");
}

// WRITE measurement timestamp field=value [field=value …]
function write(m: Machine<SeriesData>, args: Args) {
  const fields = args.slice(3).flatMap((arg) => arg.split(","));
  if (!validName(args[1]) || !fields.every(validField)) return syntaxError();
  const ns = parseTimestamp(m.now(), args[2]);
  if (ns instanceof Error) return ns;
  if (insertPoint(pointsOf(m.data, args[1], true)!, pointKey(ns, fields.join(",")))) m.data.totalSets++;
  return resp.ok;
}

// QUERY measurement start end limit — points with start ≤ time ≤ end, oldest first; limit may be "all".
function query(m: Machine<SeriesData>, args: Args) {
  if (!validName(args[1])) return syntaxError();
  const start = parseTimestamp(m.now(), args[2]);
  if (start instanceof Error) return start;
  const end = parseTimestamp(m.now(), args[3]);
  if (end instanceof Error) return end;
  const limit = args[4].toLowerCase() === "all" ? Infinity : /^\d+$/.test(args[4]) ? Number(args[4]) : NaN;
  if (Number.isNaN(limit)) return new Error("limit must be a non-negative integer or 'all'");
  return queryPoints(pointsOf(m.data, args[1], false) ?? [], args[1], start, end, limit);
}

// RETAIN [duration] — one or two arguments, which an arity cannot say: -1, and more is checked here.
function retain(m: Machine<SeriesData>, args: Args) {
  if (args.length === 1) return formatDuration(BigInt(m.data.retainNs));
  if (args.length !== 2) return new Error("wrong number of arguments for 'retain' command");
  const ns = parseDuration(args[1]);
  if (ns === undefined || ns < 0n) return syntaxError();
  m.data.retainNs = String(ns);
  return resp.ok;
}

export default {
  name: "timeseries",
  version: "0.1.0",
  initialData: () => ({ retainNs: String(DEFAULT_RETAIN_NS), totalSets: 0, totalDels: 0, measurements: {} }),
  jsonSnapshots: true,
  tick: (m) => {
    m.data.totalDels += dropBefore(m.data, m.now() - BigInt(m.data.retainNs));
  },
  // Each arity counts the name, as Redis's: n is exactly n arguments, -n at
  // least n. The node answers a wrong count before the handler runs.
  commands: {
    write: { kind: "write", arity: -4, run: write },
    query: { kind: "read", arity: 5, run: query },
    retain: { kind: "write", arity: -1, run: retain },
    stats: {
      kind: "read",
      arity: 1,
      run: (m) => {
        const db = m.data;
        const points = Object.values(db.measurements).reduce((sum, list) => sum + list.length, 0);
        return {
          num_points: String(points),
          num_measurements: String(Object.keys(db.measurements).length),
          retain: formatDuration(BigInt(db.retainNs)),
          total_sets: String(db.totalSets),
          total_dels: String(db.totalDels),
        };
      },
    },
  },
} satisfies App<SeriesData>;

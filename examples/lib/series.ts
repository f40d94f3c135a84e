/**
 * The timeseries example's data, kept JSON-friendly for `jsonSnapshots`:
 * per measurement, a sorted array of points `"<ns, 20 digits> <fields>"`,
 * so string order is time order (as the Go example keys its B-tree).
 */

export interface SeriesData {
  /** Retention in ns, as a decimal string (JSON has no bigint). */
  retainNs: string;
  totalSets: number;
  totalDels: number;
  measurements: { [measurement: string]: string[] };
}

/** Largest timestamp: unix ns that fit an unsigned 64-bit integer. */
export const MAX_TIMESTAMP = 2n ** 64n - 1n;

export function pointKey(ns: bigint, fields: string): string {
  return `${String(ns).padStart(20, "0")} ${fields}`;
}

/** The points of `measurement`; with `create`, an empty list is added when it has none. */
export function pointsOf(db: SeriesData, measurement: string, create: boolean): string[] | undefined {
  if (Object.hasOwn(db.measurements, measurement)) return db.measurements[measurement];
  if (!create) return undefined;
  const points: string[] = [];
  // defineProperty: safe for any name, even "__proto__".
  Object.defineProperty(db.measurements, measurement, { value: points, enumerable: true, writable: true, configurable: true });
  return points;
}

/** First index whose point is not less than `key`. */
export function lowerBound(points: readonly string[], key: string): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inserts a point in order; false if the very same point was there already. */
export function insertPoint(points: string[], key: string): boolean {
  const at = lowerBound(points, key);
  if (points[at] === key) return false;
  points.splice(at, 0, key);
  return true;
}

/** Drops points older than `cutoff` ns from every measurement; returns how many. */
export function dropBefore(db: SeriesData, cutoff: bigint): number {
  if (cutoff <= 0n) return 0;
  const bound = String(cutoff).padStart(20, "0");
  let dropped = 0;
  for (const measurement of Object.keys(db.measurements)) {
    const points = db.measurements[measurement];
    const count = lowerBound(points, bound);
    if (count === 0) continue;
    points.splice(0, count);
    dropped += count;
    if (points.length === 0) delete db.measurements[measurement];
  }
  return dropped;
}

/** `"<measurement> <ns> <fields>"` for each point in [start, end], at most `limit`. */
export function queryPoints(points: readonly string[], measurement: string, start: bigint, end: bigint, limit: number): string[] {
  const out: string[] = [];
  const endKey = String(end).padStart(20, "0");
  for (let i = lowerBound(points, String(start).padStart(20, "0")); i < points.length && out.length < limit; i++) {
    const point = points[i];
    if (point.slice(0, 20) > endKey) break;
    out.push(`${measurement} ${BigInt(point.slice(0, 20))} ${point.slice(21)}`);
  }
  return out;
}

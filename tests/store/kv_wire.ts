/**
 * Values and keys as tagged JSON, so a Deno KV child process and this
 * process can exchange them losslessly (bigint, bytes, KvU64, -0, NaN,
 * Date, RegExp, Map, Set, holes, undefined; object key order kept).
 */
// deno-lint-ignore-file no-explicit-any
export type Wire = null | boolean | number | string | Wire[] | { [tag: string]: any };

export function toWire(value: unknown): Wire {
  switch (typeof value) {
    case "undefined":
      return { $undefined: 1 };
    case "number":
      if (Number.isNaN(value)) return { $num: "NaN" };
      if (!Number.isFinite(value)) return { $num: String(value) };
      if (Object.is(value, -0)) return { $num: "-0" };
      return value;
    case "bigint":
      return { $bigint: value.toString() };
    case "string":
    case "boolean":
      return value;
  }
  if (value === null) return null;
  if (value instanceof Uint8Array) return { $bytes: Array.from(value) };
  if (Object.prototype.toString.call(value) === "[object Deno.KvU64]") return { $u64: String((value as { value: bigint }).value) };
  if (value instanceof Date) return { $date: toWire(value.getTime()) };
  if (value instanceof RegExp) return { $re: [value.source, value.flags] };
  if (value instanceof Map) return { $map: [...value].map(([k, v]) => [toWire(k), toWire(v)]) };
  if (value instanceof Set) return { $set: [...value].map(toWire) };
  if (Array.isArray(value)) return { $arr: Array.from({ length: value.length }, (_, i) => i in value ? toWire(value[i]) : { $hole: 1 }) };
  if (typeof value === "object") return { $obj: Object.entries(value).map(([k, v]) => [k, toWire(v)]) };
  throw new TypeError(`no wire form for ${typeof value}`);
}

export function fromWire(wire: Wire, u64: (n: bigint) => unknown): any {
  if (wire === null || typeof wire !== "object") return wire;
  if (Array.isArray(wire)) throw new TypeError("bare arrays are not wire values");
  const back = (w: Wire) => fromWire(w, u64);
  if ("$undefined" in wire) return undefined;
  if ("$num" in wire) return wire.$num === "-0" ? -0 : Number(wire.$num);
  if ("$bigint" in wire) return BigInt(wire.$bigint);
  if ("$bytes" in wire) return Uint8Array.from(wire.$bytes);
  if ("$u64" in wire) return u64(BigInt(wire.$u64));
  if ("$date" in wire) return new Date(back(wire.$date));
  if ("$re" in wire) return new RegExp(wire.$re[0], wire.$re[1]);
  if ("$map" in wire) return new Map(wire.$map.map(([k, v]: [Wire, Wire]) => [back(k), back(v)]));
  if ("$set" in wire) return new Set(wire.$set.map(back));
  if ("$arr" in wire) {
    const out = new Array(wire.$arr.length);
    wire.$arr.forEach((w: Wire, i: number) => {
      if (!(w && typeof w === "object" && "$hole" in w)) out[i] = back(w);
    });
    return out;
  }
  if ("$obj" in wire) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of wire.$obj) Object.defineProperty(out, k, { value: back(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  throw new TypeError(`unknown wire tag in ${JSON.stringify(wire)}`);
}

/** A key in wire form: its parts' wire forms. */
export function keyToWire(key: readonly unknown[]): Wire[] {
  return key.map(toWire);
}

export function keyFromWire(key: Wire[], u64: (n: bigint) => unknown): any[] {
  return key.map((part) => fromWire(part, u64));
}

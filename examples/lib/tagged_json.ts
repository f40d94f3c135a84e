/**
 * Keys and values of the kv example as JSON with tagged types:
 * `{"$bigint":"12"}`, `{"$bytes":"<base64>"}`, `{"$u64":"5"}`,
 * `{"$date":"<ISO>"}`; other JSON as is. Keys are JSON arrays of parts.
 */
import { KvU64, type KvKey, type KvKeyPart } from "../../mod.ts";

function base64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

function unbase64(text: string): Uint8Array {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new Error(`bad $bytes: ${JSON.stringify(text)}`);
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function tagged(value: Record<string, unknown>): unknown {
  const keys = Object.keys(value);
  if (keys.length !== 1 || !keys[0].startsWith("$")) return undefined;
  const inner = value[keys[0]];
  switch (keys[0]) {
    case "$bigint":
      if (typeof inner !== "string" || !/^-?\d+$/.test(inner)) throw new Error(`bad $bigint: ${JSON.stringify(inner)}`);
      return BigInt(inner);
    case "$u64":
      if (typeof inner !== "string" || !/^\d+$/.test(inner)) throw new Error(`bad $u64: ${JSON.stringify(inner)}`);
      return new KvU64(BigInt(inner));
    case "$bytes":
      return unbase64(inner as string);
    case "$date": {
      const date = new Date(inner as string);
      if (typeof inner !== "string" || Number.isNaN(date.getTime())) throw new Error(`bad $date: ${JSON.stringify(inner)}`);
      return date;
    }
  }
  return undefined;
}

function fromJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJson);
  if (value !== null && typeof value === "object") {
    const special = tagged(value as Record<string, unknown>);
    if (special !== undefined) return special;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, { value: fromJson(v), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

function parse(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`the ${what} is not JSON: ${text.length > 60 ? text.slice(0, 60) + "…" : text}`);
  }
}

/** A value from its tagged JSON; throws a clear Error on bad input. */
export function parseValue(text: string): unknown {
  return fromJson(parse(text, "value"));
}

/** A key (a JSON array of parts) from its tagged JSON. */
export function parseKey(text: string): KvKey {
  return keyFromJson(parse(text, "key"), text);
}

/** The JSON of a selector: its fields' keys are read with keyFromJson. */
export function parseSelector(text: string): Record<string, unknown> {
  const selector = parse(text, "selector");
  if (selector === null || typeof selector !== "object" || Array.isArray(selector)) {
    throw new Error(`a selector is {"prefix":…}, {"start":…,"end":…}, {"prefix":…,"start":…} or {"prefix":…,"end":…}`);
  }
  return selector as Record<string, unknown>;
}

/** A key from parsed JSON (`text` is for the message). */
export function keyFromJson(json: unknown, text = JSON.stringify(json)): KvKey {
  const key = fromJson(json);
  if (!Array.isArray(key)) throw new Error(`a key is a JSON array of parts, such as ["users",1]: got ${text}`);
  for (const part of key) {
    const ok = typeof part === "string" || typeof part === "number" || typeof part === "bigint" || typeof part === "boolean" ||
      part instanceof Uint8Array;
    if (!ok) throw new Error(`a key part is a string, number, boolean, {"$bigint"} or {"$bytes"}: got ${JSON.stringify(part)}`);
  }
  return key as KvKeyPart[];
}

function toJson(value: unknown): unknown {
  if (typeof value === "bigint") return { $bigint: value.toString() };
  if (value instanceof KvU64) return { $u64: value.value.toString() };
  if (value instanceof Uint8Array) return { $bytes: base64(value) };
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Map || value instanceof Set) return [...value].map(toJson);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
}

/** Tagged JSON text of a key or value. */
export function stringify(value: unknown): string {
  return JSON.stringify(toJson(value)) ?? "null";
}

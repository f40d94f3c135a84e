/**
 * Reply values a command handler may return, beyond plain JS values.
 *
 * Plain values map as the Go uhaha maps them: string, number, bigint and
 * bytes become bulk strings; boolean becomes "1"/"0"; null/undefined the
 * null bulk; arrays arrays; Map and plain objects flat key/value arrays
 * (keys sorted); Error an error reply. The wrappers here choose the other
 * RESP types explicitly, or keep a flat map's keys in a given order.
 */

/**
 * Marks reply wrappers. A registered symbol, not `instanceof`, because an
 * application module may load its own copy of this file (a plugin importing
 * mod.ts by another URL) and its wrappers must still be recognised.
 */
const REPLY_KIND = Symbol.for("uhaha.replyKind");

/** The wrapper kind of `value`, if it is one of the classes below. */
export function replyKind(value: unknown): ReplyKind | undefined {
  return typeof value === "object" && value !== null ? (value as { [REPLY_KIND]?: ReplyKind })[REPLY_KIND] : undefined;
}

type ReplyKind = "integer" | "simple" | "nullArray" | "orderedMap";

/** A RESP integer (`:n`), e.g. for DEL and DBSIZE. Made by `resp.int(n)`. */
export class RespInteger {
  /** Marks this object as a reply wrapper (see `replyKind`). */
  readonly [REPLY_KIND] = "integer" as const;
  /** The integer sent after the `:`. */
  readonly value: number | bigint;
  /**
   * Wraps `value`; `resp.int(value)` does the same.
   *
   * @param value the integer to send
   */
  constructor(value: number | bigint) {
    this.value = value;
  }
}

/** A RESP simple string (`+OK`). Line breaks are replaced by spaces. Made by `resp.simple(text)`; `resp.ok` is `+OK`. */
export class RespSimple {
  /** Marks this object as a reply wrapper (see `replyKind`). */
  readonly [REPLY_KIND] = "simple" as const;
  /** The text sent after the `+`. */
  readonly text: string;
  /**
   * Wraps `text`; `resp.simple(text)` does the same.
   *
   * @param text the text to send (line breaks become spaces)
   */
  constructor(text: string) {
    this.text = text;
  }
}

/** The RESP null array (`*-1`); `resp.nullArray` is one. */
export class RespNullArray {
  /** Marks this object as a reply wrapper (see `replyKind`). */
  readonly [REPLY_KIND] = "nullArray" as const;
}

/**
 * A flat key/value array (`k1 v1 k2 v2 …`) in the order given, where a Map
 * or an object would be sorted by key: for replies whose field order is
 * part of the protocol (uhaha's `RAFT SERVER LIST`: id, address, leader, voter).
 * Made by `resp.orderedMap(entries)`.
 */
export class RespOrderedMap {
  /** Marks this object as a reply wrapper (see `replyKind`). */
  readonly [REPLY_KIND] = "orderedMap" as const;
  /** The key/value pairs, sent in this order. */
  readonly entries: readonly (readonly [string, ReplyValue])[];
  /**
   * Copies `entries`; `resp.orderedMap(entries)` does the same.
   *
   * @param entries key/value pairs in the order to send them
   */
  constructor(entries: Iterable<readonly [string, ReplyValue]>) {
    this.entries = [...entries];
  }
}

/** Anything a handler may return. */
export type ReplyValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | undefined
  | Uint8Array
  | Error
  | RespInteger
  | RespSimple
  | RespNullArray
  | RespOrderedMap
  | readonly ReplyValue[]
  | ReadonlyMap<string, ReplyValue>
  | { readonly [key: string]: ReplyValue };

/**
 * Constructors for explicit reply types: `resp.int(3)`, `resp.ok`,
 * `resp.orderedMap([["id", "1"], ["address", "127.0.0.1:11001"]])`.
 *
 * @example Replies of a small counter app
 * ```ts
 * import { type App, resp } from "../mod.ts";
 *
 * export default {
 *   name: "counter",
 *   initialData: () => ({ n: 0 }),
 *   jsonSnapshots: true,
 *   commands: {
 *     incr: { kind: "write", run: (m) => resp.int(++m.data.n) },         // :1
 *     reset: { kind: "write", run: (m) => ((m.data.n = 0), resp.ok) },   // +OK
 *     info: { kind: "read", run: (m) => resp.orderedMap([["n", m.data.n], ["name", "counter"]]) },
 *   },
 * } satisfies App<{ n: number }>;
 * ```
 */
export const resp = {
  int: (value: number | bigint): RespInteger => new RespInteger(value),
  simple: (text: string): RespSimple => new RespSimple(text),
  ok: new RespSimple("OK"),
  nullArray: new RespNullArray(),
  orderedMap: (entries: Iterable<readonly [string, ReplyValue]>): RespOrderedMap => new RespOrderedMap(entries),
} as const;

/**
 * An error whose message is sent as is, because it starts with an upper-case
 * code clients understand (`MOVED 0 host:port`, `NOAUTH …`, `WRONGTYPE …`).
 * Any other message gets the `ERR ` prefix.
 */
const ERROR_CODE = /^[A-Z][A-Z_]+(?: |$)/;

/** The text of an error reply, without the leading '-'. */
export function errorReplyText(message: string): string {
  return ERROR_CODE.test(message) ? message : `ERR ${message}`;
}

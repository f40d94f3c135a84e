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

/** A RESP integer (`:n`), e.g. for DEL and DBSIZE. */
export class RespInteger {
  readonly [REPLY_KIND] = "integer" as const;
  readonly value: number | bigint;
  constructor(value: number | bigint) {
    this.value = value;
  }
}

/** A RESP simple string (`+OK`). Line breaks are replaced by spaces. */
export class RespSimple {
  readonly [REPLY_KIND] = "simple" as const;
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** The RESP null array (`*-1`). */
export class RespNullArray {
  readonly [REPLY_KIND] = "nullArray" as const;
}

/**
 * A flat key/value array (`k1 v1 k2 v2 …`) in the order given, where a Map
 * or an object would be sorted by key: for replies whose field order is
 * part of the protocol (uhaha's `RAFT SERVER LIST`: id, address, leader, voter).
 */
export class RespOrderedMap {
  readonly [REPLY_KIND] = "orderedMap" as const;
  readonly entries: readonly (readonly [string, ReplyValue])[];
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

const MAX_U64 = 0xffffffffffffffffn;

/** An unsigned 64-bit integer value (Deno.KvU64's twin), the operand and result of sum/min/max. */
export class KvU64 {
  /** The integer, 0 to 2^64 - 1. */
  readonly value: bigint;

  /** Throws a TypeError or RangeError, as Deno's, unless `value` is a bigint in range. */
  constructor(value: bigint) {
    if (typeof value !== "bigint") {
      throw new TypeError(`Value must be a bigint: received ${typeof value}`);
    }
    if (value < 0n) throw new RangeError(`Value must be a positive bigint: received ${value}`);
    if (value > MAX_U64) throw new RangeError("Value must fit in a 64-bit unsigned integer");
    this.value = value;
    Object.freeze(this);
  }

  /** The integer, so a KvU64 compares and adds as a bigint. */
  valueOf(): bigint {
    return this.value;
  }

  /** The integer in decimal. */
  toString(): string {
    return this.value.toString();
  }

  /** "Deno.KvU64", as Deno's own reports. */
  get [Symbol.toStringTag](): string {
    return "Deno.KvU64";
  }
}

/** True for our KvU64 and for Deno's own (a Deno.KvU64 passed in by an app running on Deno). */
export function isKvU64(value: unknown): value is KvU64 {
  return value instanceof KvU64 ||
    (typeof value === "object" && value !== null &&
      (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === "Deno.KvU64" &&
      typeof (value as { value?: unknown }).value === "bigint");
}

/** 2^64 - 1: sums wrap around modulo 2^64, as Deno KV's do. */
export const U64_MASK = MAX_U64;

/** An unsigned 64-bit integer value, the operand and result of sum/min/max (Deno.KvU64). */
const MAX_U64 = 0xffffffffffffffffn;

export class KvU64 {
  readonly value: bigint;

  constructor(value: bigint) {
    if (typeof value !== "bigint") {
      throw new TypeError(`Value must be a bigint: received ${typeof value}`);
    }
    if (value < 0n) throw new RangeError(`Value must be a positive bigint: received ${value}`);
    if (value > MAX_U64) throw new RangeError("Value must fit in a 64-bit unsigned integer");
    this.value = value;
    Object.freeze(this);
  }

  valueOf(): bigint {
    return this.value;
  }

  toString(): string {
    return this.value.toString();
  }

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

export const U64_MASK = MAX_U64;

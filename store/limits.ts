/** Deno KV's limits (its KvConfig defaults), with its error messages. */
export const MAX_WRITE_KEY_BYTES = 2048;
/** Range ends may carry one more byte (a 0x00 or 0xff suffix). */
export const MAX_READ_KEY_BYTES = MAX_WRITE_KEY_BYTES + 1;
export const MAX_VALUE_BYTES = 65536;
export const MAX_READ_RANGES = 10;
export const MAX_READ_ENTRIES = 1000;
export const MAX_CHECKS = 100;
export const MAX_MUTATIONS = 1000;
export const MAX_TOTAL_MUTATION_BYTES = 800 * 1024;
export const MAX_TOTAL_KEY_BYTES = 80 * 1024;

/** Checks a read's range end (an encoded key, or its length). */
export function checkReadKey(encoded: string | number): void {
  if ((typeof encoded === "number" ? encoded : encoded.length) > MAX_READ_KEY_BYTES) {
    throw new TypeError(`Key too large for read (max ${MAX_READ_KEY_BYTES} bytes)`);
  }
}

export function checkWriteKey(encoded: string): number {
  if (encoded.length > MAX_WRITE_KEY_BYTES) {
    throw new TypeError(`Key too large for write (max ${MAX_WRITE_KEY_BYTES} bytes)`);
  }
  return encoded.length;
}

export function checkValueSize(size: number): number {
  if (size > MAX_VALUE_BYTES) throw new TypeError(`Value too large (max ${MAX_VALUE_BYTES} bytes)`);
  return size;
}

/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table driven,
 * slicing-by-8. Pure: no I/O. Used for every log record, segment header,
 * stable-state file and snapshot file.
 */

const POLY = 0x82f63b78;

/** 8 tables of 256 entries: TABLES[k][b] is the CRC of byte b followed by k zero bytes. */
const TABLES: Uint32Array[] = buildTables();

function buildTables(): Uint32Array[] {
  const tables: Uint32Array[] = [];
  const t0 = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[i] = c >>> 0;
  }
  tables.push(t0);
  for (let k = 1; k < 8; k++) {
    const prev = tables[k - 1];
    const t = new Uint32Array(256);
    for (let i = 0; i < 256; i++) t[i] = (prev[i] >>> 8) ^ t0[prev[i] & 0xff];
    tables.push(t);
  }
  return tables;
}

/**
 * Extends a running CRC-32C with more bytes.
 * @param crc the CRC so far (0 to start)
 * @param bytes the bytes to add
 * @param start first byte to include (default 0)
 * @param end one past the last byte to include (default bytes.length)
 * @returns the updated CRC as an unsigned 32-bit number
 * @example crc32c(0, new TextEncoder().encode("123456789")) === 0xe3069283
 */
export function crc32c(crc: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let c = ~crc >>> 0;
  let i = start;
  const end8 = end - ((end - start) & 7);
  while (i < end8) {
    const a = (c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0;
    c = t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
      t3[bytes[i + 4]] ^ t2[bytes[i + 5]] ^ t1[bytes[i + 6]] ^ t0[bytes[i + 7]];
    i += 8;
  }
  while (i < end) c = t0[(c ^ bytes[i++]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * What the machine puts in the data of a Raft Command entry (pure):
 * a batch of client commands, or a TICK carrying the leader's time and a
 * fresh random seed. Little-endian, length-prefixed, binary-safe.
 *
 *   batch: 0x01, u32 count, count × (u32 argc, argc × (u32 length, bytes))
 *   tick:  0x02, i64 unix nanoseconds, u64 seed
 */

export type LogPayload =
  | { readonly type: "batch"; readonly commands: readonly (readonly Uint8Array[])[] }
  | { readonly type: "tick"; readonly timeNs: bigint; readonly seed: bigint };

const BATCH = 1;
const TICK = 2;

export function encodeBatch(commands: readonly (readonly Uint8Array[])[]): Uint8Array {
  let size = 5;
  for (const args of commands) {
    size += 4;
    for (const arg of args) size += 4 + arg.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = BATCH;
  view.setUint32(1, commands.length, true);
  let at = 5;
  for (const args of commands) {
    view.setUint32(at, args.length, true);
    at += 4;
    for (const arg of args) {
      view.setUint32(at, arg.length, true);
      out.set(arg, at + 4);
      at += 4 + arg.length;
    }
  }
  return out;
}

export function encodeTick(timeNs: bigint, seed: bigint): Uint8Array {
  const out = new Uint8Array(17);
  const view = new DataView(out.buffer);
  out[0] = TICK;
  view.setBigInt64(1, timeNs, true);
  view.setBigUint64(9, seed, true);
  return out;
}

/** Decodes an entry's data; a malformed payload is an error value naming what is wrong. */
export function decodePayload(data: Uint8Array): LogPayload | Error {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const need = (at: number, bytes: number) => at + bytes <= data.length;
  if (data.length === 0) return new Error("empty log payload");
  if (data[0] === TICK) {
    if (data.length !== 17) return new Error(`tick payload has ${data.length} bytes, expected 17`);
    return { type: "tick", timeNs: view.getBigInt64(1, true), seed: view.getBigUint64(9, true) };
  }
  if (data[0] !== BATCH) return new Error(`unknown log payload type ${data[0]}`);
  if (!need(1, 4)) return new Error("truncated batch header");
  const count = view.getUint32(1, true);
  const commands: Uint8Array[][] = [];
  let at = 5;
  for (let c = 0; c < count; c++) {
    if (!need(at, 4)) return new Error(`truncated batch at command ${c}`);
    const argc = view.getUint32(at, true);
    at += 4;
    const args: Uint8Array[] = [];
    for (let a = 0; a < argc; a++) {
      if (!need(at, 4)) return new Error(`truncated batch at command ${c} argument ${a}`);
      const length = view.getUint32(at, true);
      if (!need(at + 4, length)) return new Error(`truncated batch at command ${c} argument ${a}`);
      args.push(data.slice(at + 4, at + 4 + length));
      at += 4 + length;
    }
    commands.push(args);
  }
  if (at !== data.length) return new Error(`batch has ${data.length - at} trailing bytes`);
  return { type: "batch", commands };
}

/**
 * Just enough of PNG (RFC 2083) to check a screenshot: the signature, the
 * IHDR's size and format, and the pixels (IDAT inflated and unfiltered), so
 * a test can tell a rendered page from a blank one.
 */
import { inflateSync } from "node:zlib";

export interface PngImage {
  readonly width: number;
  readonly height: number;
  /** Bytes per pixel (8-bit RGB: 3, RGBA: 4). */
  readonly channels: number;
  /** Unfiltered rows, `width * channels` bytes each. */
  readonly pixels: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

export function decodePng(bytes: Uint8Array): PngImage {
  if (!SIGNATURE.every((b, i) => bytes[i] === b)) throw new Error("not a PNG: bad signature");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  while (at + 8 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const [depth, colorType, , , interlace] = data.subarray(8, 13);
      if (depth !== 8 || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, interlace ${interlace}`);
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colorType] ?? 0;
      if (channels === 0) throw new Error(`unsupported PNG colour type ${colorType}`);
    } else if (type === "IDAT") {
      idat.push(data);
    } else if (type === "IEND") {
      break;
    }
    at += 12 + length;
  }
  if (width === 0 || idat.length === 0) throw new Error("not a PNG: no IHDR or IDAT");
  const joined = new Uint8Array(idat.reduce((n, part) => n + part.length, 0));
  idat.reduce((offset, part) => (joined.set(part, offset), offset + part.length), 0);
  const raw = new Uint8Array(inflateSync(joined));
  const stride = width * channels;
  if (raw.length !== height * (stride + 1)) throw new Error(`PNG data is ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[x - channels] : 0;
      const b = up[x];
      const c = x >= channels ? up[x - channels] : 0;
      let predictor: number;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = a; break;
        case 2: predictor = b; break;
        case 3: predictor = (a + b) >> 1; break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`bad PNG filter ${filter} on row ${y}`);
      }
      out[x] = (line[x] + predictor) & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** How many distinct colours, and the share of pixels that differ from the most common one (the background). */
export function colourStats(image: PngImage): { colours: number; foreground: number } {
  const counts = new Map<number, number>();
  for (let i = 0; i < image.pixels.length; i += image.channels) {
    let key = 0;
    for (let k = 0; k < Math.min(3, image.channels); k++) key = key * 256 + image.pixels[i + k];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const total = image.width * image.height;
  return { colours: counts.size, foreground: 1 - Math.max(...counts.values()) / total };
}

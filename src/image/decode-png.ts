/**
 * PNG decoding for `decodeImage` (see the colour table in `decode.ts`): the chunk walk and
 * truncation check, then pngjs. Node only (pngjs and the inflate check use `node:zlib`); installed
 * into the Node host by `src/platform/node.ts`.
 *
 * @module
 */
import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { checkSize, ImageDecodeError } from './decode.js';
import type { RgbImage } from './types.js';

// ------------------------------------------------------------------------------------------ PNG

interface PngHeader { width: number; height: number; depth: number; colorType: number; interlaced: boolean; idat: Uint8Array[] }

const PNG_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/** Walk the chunk list (length, type, data, CRC) up to IEND; parse and check IHDR. */
function pngHeader(b: Uint8Array): PngHeader {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let off = 8;
  let header: PngHeader | undefined;
  for (;;) {
    if (off + 8 > b.length) {
      throw new ImageDecodeError(`decodeImage: PNG is truncated at byte ${b.length} (no IEND chunk; next chunk header at byte ${off})`);
    }
    const len = view.getUint32(off);
    const type = String.fromCharCode(...b.subarray(off + 4, off + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) {
      throw new ImageDecodeError(`decodeImage: corrupted PNG, invalid chunk type at byte ${off + 4}`);
    }
    if (off + 12 + len > b.length) {
      throw new ImageDecodeError(
        `decodeImage: PNG is truncated: chunk '${type}' at byte ${off} needs ${len + 12} bytes, only ${b.length - off} remain`,
      );
    }
    if (header === undefined) {
      if (type !== 'IHDR' || len !== 13) throw new ImageDecodeError(`decodeImage: corrupted PNG, the first chunk is '${type}', not a 13-byte IHDR`);
      header = {
        width: view.getUint32(off + 8), height: view.getUint32(off + 12), depth: b[off + 16], colorType: b[off + 17],
        interlaced: b[off + 20] === 1, idat: [],
      };
      if (!(PNG_DEPTHS[header.colorType] ?? []).includes(header.depth)) {
        throw new ImageDecodeError(`decodeImage: corrupted PNG, bit depth ${header.depth} with colour type ${header.colorType} is invalid`);
      }
    }
    if (type === 'IDAT') header.idat.push(b.subarray(off + 8, off + 8 + len));
    if (type === 'IEND') return header;
    off += 12 + len;
  }
}

/** Bytes of filtered scanlines a PNG of this header must inflate to (Adam7: the sum of the 7 passes). */
function pngDataLength(h: PngHeader): number {
  const bits = h.depth * ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[h.colorType] ?? 1);
  const rows = (w: number, n: number) => (w > 0 && n > 0 ? n * (1 + Math.ceil((w * bits) / 8)) : 0);
  if (!h.interlaced) return rows(h.width, h.height);
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  return passes.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy)), 0);
}

export function decodePng(b: Uint8Array, maxPixels: number, grey16: 'msb' | 'pil-clip'): RgbImage {
  const h = pngHeader(b);
  checkSize('PNG', h.width, h.height, maxPixels);
  // pngjs silently zero-fills missing pixel data; Pillow says "image file is truncated". Check it.
  const want = pngDataLength(h);
  let got: number;
  try {
    got = inflateSync(Buffer.concat(h.idat), { maxOutputLength: want }).length;
  } catch (e) {
    // More data than the image needs is ignored (as libpng and Pillow do); anything else is corrupt.
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') got = want;
    else throw new ImageDecodeError(`decodeImage: corrupted PNG, the compressed pixel data does not inflate (${(e as Error).message})`);
  }
  if (got < want) {
    throw new ImageDecodeError(`decodeImage: corrupted PNG, pixel data inflates to ${got} bytes but a ${h.width}x${h.height} image needs ${want}`);
  }
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(Buffer.from(b.buffer, b.byteOffset, b.byteLength), { skipRescale: true });
  } catch (e) {
    throw new ImageDecodeError(`decodeImage: corrupted PNG data (${(e as Error).message})`);
  }
  const src = png.data as unknown as ArrayLike<number>; // RGBA at the source depth (16-bit: Uint16Array)
  const n = h.width * h.height;
  if (src.length !== n * 4) throw new ImageDecodeError(`decodeImage: corrupted PNG, decoded ${src.length} samples for ${n} RGBA pixels`);
  const trans = (png as { transColor?: number[] }).transColor;
  const scale = pngSampleScale(h, grey16);
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    // pngjs zeroes the pixels matching a tRNS colour (RGB/grey); PIL keeps their colour, so restore it.
    const restore = trans !== undefined && h.colorType !== 3 && src[i * 4 + 3] === 0;
    for (let c = 0; c < 3; c++) {
      const v = restore ? trans[trans.length === 1 ? 0 : c] : src[i * 4 + c];
      out[i * 3 + c] = scale(v);
    }
  }
  return { width: h.width, height: h.height, data: out };
}

/** Map one raw PNG sample to 8 bits with PIL's rules (see the module table). */
function pngSampleScale(h: PngHeader, grey16: 'msb' | 'pil-clip'): (v: number) => number {
  if (h.colorType === 3 || h.depth === 8) return (v) => v; // palette entries are 8-bit already
  if (h.depth === 16) {
    if (h.colorType === 0 && grey16 === 'pil-clip') return (v) => Math.min(v, 255);
    return (v) => v >> 8;
  }
  const max = 2 ** h.depth - 1; // greyscale 1/2/4-bit
  return (v) => (v * 255) / max;
}


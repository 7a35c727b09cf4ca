/**
 * PNG decoding for `decodeImage` (see the colour table in `decode.ts`): the chunk walk and
 * truncation check, then pngjs. Node only (pngjs and the inflate check use `node:zlib`); installed
 * into the Node host by `src/platform/node.ts`.
 *
 * @module
 */
import { deflateSync, inflateSync } from 'node:zlib';
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

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 of PNG chunks (ISO 3309), over `type + data`. */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The PNG `b` (already walked by {@link pngHeader}) with its IDAT chunks replaced by one holding `idat`. */
function withIdat(b: Uint8Array, idat: Uint8Array): Uint8Array {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const parts: Uint8Array[] = [b.subarray(0, 8)];
  let off = 8;
  let placed = false;
  for (;;) {
    const len = view.getUint32(off);
    const type = String.fromCharCode(...b.subarray(off + 4, off + 8));
    if (type !== 'IDAT') parts.push(b.subarray(off, off + 12 + len));
    else if (!placed) {
      const chunk = new Uint8Array(12 + idat.length);
      const cv = new DataView(chunk.buffer);
      cv.setUint32(0, idat.length);
      chunk.set([0x49, 0x44, 0x41, 0x54], 4);
      chunk.set(idat, 8);
      cv.setUint32(8 + idat.length, crc32(chunk.subarray(4, 8 + idat.length)));
      parts.push(chunk);
      placed = true;
    }
    if (type === 'IEND') return Buffer.concat(parts);
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
  // More data than the image needs is ignored (as libpng and Pillow do), up to `cap` inflated bytes
  // (so a deflate bomb stays bounded); pngjs refuses it ("have should not go down"), so the
  // pixel data is then cut to `want` bytes and handed over in one re-deflated IDAT (issue #12 item 12).
  const cap = 2 * want + 2 ** 20;
  let data: Buffer;
  try {
    data = inflateSync(Buffer.concat(h.idat), { maxOutputLength: cap });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ImageDecodeError(`decodeImage: PNG pixel data inflates to more than ${cap} bytes, but a ${h.width}x${h.height} image needs ${want} (trailing data past 2x + 1 MiB is refused)`);
    }
    throw new ImageDecodeError(`decodeImage: corrupted PNG, the compressed pixel data does not inflate (${(e as Error).message})`);
  }
  if (data.length < want) {
    throw new ImageDecodeError(`decodeImage: corrupted PNG, pixel data inflates to ${data.length} bytes but a ${h.width}x${h.height} image needs ${want}`);
  }
  const file = data.length > want ? withIdat(b, deflateSync(data.subarray(0, want), { level: 1 })) : b;
  let png: ReturnType<typeof PNG.sync.read>;
  try {
    png = PNG.sync.read(Buffer.from(file.buffer, file.byteOffset, file.byteLength), { skipRescale: true });
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


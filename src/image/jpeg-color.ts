/**
 * The last two steps of libjpeg-turbo's decoder, applied to jpeg-js's raw components so that decoded
 * JPEG pixels match Pillow (which links libjpeg-turbo) much more closely than jpeg-js's own output:
 *
 * - "fancy" chroma upsampling (libjpeg `jdsample.c`, on by default): a triangle filter with weights
 *   3/4 and 1/4 for h2v1 (4:2:2) and h1v2 (4:4:0), 9/16, 3/16, 3/16, 1/16 for h2v2 (4:2:0), edge
 *   rows and columns replicated, used when the subsampled plane is more than 2 samples wide;
 *   other factors replicate samples (what jpeg-js does for every factor);
 * - YCbCr → RGB in 16-bit fixed point with libjpeg's rounding (`jdcolor.c`).
 *
 * What remains different from Pillow is jpeg-js's inverse DCT (±1–2 levels). This is part of the
 * decoder (I/O), not a computing op, so it has no reference twin.
 *
 * @module
 */

import { ValueError } from '../errors.js';

const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const fix = (x: number) => Math.floor(x * (1 << SCALEBITS) + 0.5);

/** libjpeg's YCbCr → RGB tables (`build_ycc_rgb_table`), indexed by the 8-bit Cb or Cr value. */
const TABLES = (() => {
  const crR = new Int32Array(256);
  const cbB = new Int32Array(256);
  const crG = new Int32Array(256);
  const cbG = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    const x = i - 128;
    crR[i] = (fix(1.402) * x + ONE_HALF) >> SCALEBITS;
    cbB[i] = (fix(1.772) * x + ONE_HALF) >> SCALEBITS;
    crG[i] = -fix(0.71414) * x;
    cbG[i] = -fix(0.34414) * x + ONE_HALF;
  }
  return { crR, cbB, crG, cbG };
})();

const clamp8 = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** One chroma plane at its own resolution: `data[row * w + col]`. */
interface Plane { w: number; h: number; data: Uint8Array }

/**
 * Recover a subsampled plane from jpeg-js's nearest-neighbour output: full-resolution pixel
 * (x, y) holds sample (⌊x / sx⌋, ⌊y / sy⌋), so sample (j, i) sits at pixel (j·sx, i·sy).
 */
function subsampledPlane(ycc: Uint8Array, width: number, height: number, k: number, sx: number, sy: number): Plane {
  const w = Math.ceil(width / sx);
  const h = Math.ceil(height / sy);
  const data = new Uint8Array(w * h);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) data[i * w + j] = ycc[((i * sy) * width + j * sx) * 3 + k];
  return { w, h, data };
}

/** libjpeg `h2v1_fancy_upsample` of one input row (offset `at` in `d`, `w` samples) into `out`. */
function h2v1Row(d: Uint8Array, at: number, w: number, out: Int32Array): void {
  out[0] = d[at];
  out[1] = (d[at] * 3 + d[at + 1] + 2) >> 2;
  for (let j = 1; j < w - 1; j++) {
    const v = d[at + j] * 3;
    out[2 * j] = (v + d[at + j - 1] + 1) >> 2;
    out[2 * j + 1] = (v + d[at + j + 1] + 2) >> 2;
  }
  out[2 * w - 2] = (d[at + w - 1] * 3 + d[at + w - 2] + 1) >> 2;
  out[2 * w - 1] = d[at + w - 1];
}

/** libjpeg `h2v2_fancy_upsample` for one output row from the nearer and farther input rows. */
function h2v2Row(d: Uint8Array, near: number, far: number, w: number, out: Int32Array): void {
  let cur = d[near] * 3 + d[far];
  let next = d[near + 1] * 3 + d[far + 1];
  out[0] = (cur * 4 + 8) >> 4;
  out[1] = (cur * 3 + next + 7) >> 4;
  let last = cur;
  cur = next;
  for (let j = 1; j < w - 1; j++) {
    next = d[near + j + 1] * 3 + d[far + j + 1];
    out[2 * j] = (cur * 3 + last + 8) >> 4;
    out[2 * j + 1] = (cur * 3 + next + 7) >> 4;
    last = cur;
    cur = next;
  }
  out[2 * w - 2] = (cur * 3 + last + 8) >> 4;
  out[2 * w - 1] = (cur * 4 + 7) >> 4;
}

/** libjpeg `h1v2_fancy_upsample`: a vertical 3:1 blend with bias 1 (upper row) or 2 (lower row). */
function h1v2Row(d: Uint8Array, near: number, far: number, w: number, bias: number, out: Int32Array): void {
  for (let j = 0; j < w; j++) out[j] = (d[near + j] * 3 + d[far + j] + bias) >> 2;
}

/** Upsample one chroma plane to full size with libjpeg's rules, writing channel `k` of `ycc` in place. */
function upsampleInto(ycc: Uint8Array, width: number, height: number, k: number, sx: number, sy: number): void {
  const fancy = (sx === 2 && sy === 1) || (sx === 2 && sy === 2) || (sx === 1 && sy === 2);
  if (!fancy) return; // replication: jpeg-js's nearest-neighbour output is already libjpeg's
  const p = subsampledPlane(ycc, width, height, k, sx, sy);
  if (sx === 2 && p.w <= 2) return; // libjpeg falls back to replication for planes ≤ 2 wide
  const rowAt = (i: number) => (i < 0 ? 0 : i >= p.h ? p.h - 1 : i) * p.w; // edge rows replicate
  const line = new Int32Array(p.w * sx);
  for (let y = 0; y < height; y++) {
    const i = Math.floor(y / sy);
    const far = rowAt(y % 2 === 0 ? i - 1 : i + 1);
    if (sy === 1) h2v1Row(p.data, rowAt(i), p.w, line);
    else if (sx === 2) h2v2Row(p.data, rowAt(i), far, p.w, line);
    else h1v2Row(p.data, rowAt(i), far, p.w, y % 2 === 0 ? 1 : 2, line);
    for (let x = 0, o = y * width * 3 + k; x < width; x++, o += 3) ycc[o] = line[x];
  }
}

function checkArguments(ycc: Uint8Array, width: number, height: number, factors: readonly [number, number][]): void {
  const op = 'libjpegYccToRgb';
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    throw new ValueError(`${op}: 'width' and 'height' must be positive integers, got ${width}x${height}`);
  }
  if (!(ycc instanceof Uint8Array) || ycc.length !== width * height * 3) {
    const got = ycc instanceof Uint8Array ? `${ycc.length} bytes` : typeof ycc;
    throw new ValueError(`${op}: 'ycc' must be a Uint8Array of width·height·3 = ${width * height * 3} bytes, got ${got}`);
  }
  const pair = (f: unknown) => Array.isArray(f) && f.length === 2 && f.every((v) => Number.isSafeInteger(v) && v >= 1);
  if (!Array.isArray(factors) || factors.length !== 3 || !factors.every(pair)) {
    throw new ValueError(`${op}: 'factors' must be 3 [sx, sy] pairs of positive integers, got ${JSON.stringify(factors)}`);
  }
}

/**
 * Turn jpeg-js's raw (colour-untransformed, nearest-upsampled) YCbCr output into RGB the way
 * libjpeg-turbo does, in place. `factors[k]` = (maxH / h_k, maxV / v_k) of component k.
 *
 * @throws ValueError when the sizes are not positive integers, `ycc` is not `width·height·3`
 *   bytes, or `factors` is not three pairs of positive integers (the decoder only calls it with
 *   well-formed arguments; the check keeps a direct caller from reading past the buffer).
 */
export function libjpegYccToRgb(ycc: Uint8Array, width: number, height: number, factors: readonly [number, number][]): void {
  checkArguments(ycc, width, height, factors);
  for (let k = 1; k < 3; k++) upsampleInto(ycc, width, height, k, factors[k][0], factors[k][1]);
  const { crR, cbB, crG, cbG } = TABLES;
  for (let i = 0; i < width * height; i++) {
    const y = ycc[i * 3];
    const cb = ycc[i * 3 + 1];
    const cr = ycc[i * 3 + 2];
    ycc[i * 3] = clamp8(y + crR[cr]);
    ycc[i * 3 + 1] = clamp8(y + ((cbG[cb] + crG[cr]) >> SCALEBITS));
    ycc[i * 3 + 2] = clamp8(y + cbB[cb]);
  }
}

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

/** libjpeg `h2v1_fancy_upsample` of one row pair into `out` (length 2·w). */
function h2v1Row(get: (j: number) => number, w: number, out: Int32Array): void {
  out[0] = get(0);
  out[1] = (get(0) * 3 + get(1) + 2) >> 2;
  for (let j = 1; j < w - 1; j++) {
    out[2 * j] = (get(j) * 3 + get(j - 1) + 1) >> 2;
    out[2 * j + 1] = (get(j) * 3 + get(j + 1) + 2) >> 2;
  }
  out[2 * w - 2] = (get(w - 1) * 3 + get(w - 2) + 1) >> 2;
  out[2 * w - 1] = get(w - 1);
}

/** libjpeg `h2v2_fancy_upsample` for one output row given the nearer and farther input rows. */
function h2v2Row(near: Uint8Array, far: Uint8Array, w: number, out: Int32Array): void {
  const col = (j: number) => near[j] * 3 + far[j];
  out[0] = (col(0) * 4 + 8) >> 4;
  out[1] = (col(0) * 3 + col(1) + 7) >> 4;
  for (let j = 1; j < w - 1; j++) {
    out[2 * j] = (col(j) * 3 + col(j - 1) + 8) >> 4;
    out[2 * j + 1] = (col(j) * 3 + col(j + 1) + 7) >> 4;
  }
  out[2 * w - 2] = (col(w - 1) * 3 + col(w - 2) + 8) >> 4;
  out[2 * w - 1] = (col(w - 1) * 4 + 7) >> 4;
}

/** Upsample one chroma plane to full size with libjpeg's rules, writing channel `k` of `ycc` in place. */
function upsampleInto(ycc: Uint8Array, width: number, height: number, k: number, sx: number, sy: number): void {
  const fancy = (sx === 2 && sy === 1) || (sx === 2 && sy === 2) || (sx === 1 && sy === 2);
  if (!fancy) return; // replication: jpeg-js's nearest-neighbour output is already libjpeg's
  const p = subsampledPlane(ycc, width, height, k, sx, sy);
  if (sx === 2 && p.w <= 2) return; // libjpeg falls back to replication for planes ≤ 2 wide
  const row = (i: number) => p.data.subarray(Math.min(Math.max(i, 0), p.h - 1) * p.w, (Math.min(Math.max(i, 0), p.h - 1) + 1) * p.w);
  const line = new Int32Array(p.w * sx);
  for (let y = 0; y < height; y++) {
    const i = Math.floor(y / sy);
    if (sy === 1) {
      const r = row(i);
      h2v1Row((j) => r[j], p.w, line);
    } else if (sx === 2) {
      h2v2Row(row(i), row(y % 2 === 0 ? i - 1 : i + 1), p.w, line);
    } else {
      const near = row(i);
      const far = row(y % 2 === 0 ? i - 1 : i + 1);
      const bias = y % 2 === 0 ? 1 : 2;
      for (let j = 0; j < p.w; j++) line[j] = (near[j] * 3 + far[j] + bias) >> 2;
    }
    for (let x = 0; x < width; x++) ycc[(y * width + x) * 3 + k] = line[x];
  }
}

/**
 * Turn jpeg-js's raw (colour-untransformed, nearest-upsampled) YCbCr output into RGB the way
 * libjpeg-turbo does, in place. `factors[k]` = (maxH / h_k, maxV / v_k) of component k.
 */
export function libjpegYccToRgb(ycc: Uint8Array, width: number, height: number, factors: readonly [number, number][]): void {
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

/**
 * Reference bicubic image resize (spec 6.1.1 step 3, 6.2.1, 10 item 9), float64, one output sample
 * at a time, written to be read next to Pillow's `src/libImaging/Resample.c`.
 *
 * Two flavours, both separable (horizontal pass, then vertical), both with Keys's cubic kernel at
 * a = −0.5 whose support is stretched by the downscale factor (antialiasing):
 *
 * - `'pil'` (default): `PIL.Image.resize(size, Image.BICUBIC)` exactly. Each weight is normalised,
 *   turned into a 22-bit fixed-point integer (round half away from zero), each pass sums integers,
 *   adds 2^21, shifts right by 22 and clamps to 0..255, so the intermediate image is uint8.
 *   This is what InternVL's training pipeline (`dynamic_preprocess`, `T.Resize(BICUBIC)` on PIL
 *   images) and transformers' slow processors compute.
 * - `'torch'`: `F.interpolate(x.float(), size, mode='bicubic', antialias=True)` then
 *   `clamp(0, 255).round()`, torchvision's path for uint8 tensors on GPU. Same weights, no
 *   fixed point, no intermediate rounding.
 *
 * Layout: images are `[3, H, W]` planes (channel, row, column) of values 0..255.
 *
 * @module
 */
import ndarray from 'ndarray';
import { type NDArray, toFlat, zeros } from '../ndarray.js';
import type { ResizeMethod, RgbImage } from '../../src/image/types.js';

// The image type and the method names are shared with the fast path (plain data, no twin).
export type { ResizeMethod, RgbImage } from '../../src/image/types.js';

/** The interpolation method and options of {@link resizeImage}. */
export interface ResizeOptions {
  /** `'pil'` (default) or `'torch'`. */
  readonly method?: ResizeMethod;
}

/** The image as `[3, H, W]` planes: `planes[c][y][x] = data[(y·W + x)·3 + c]`. */
export function imageToPlanes(image: RgbImage): NDArray {
  const out = zeros([3, image.height, image.width]);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      for (let c = 0; c < 3; c++) out.set(c, y, x, image.data[(y * image.width + x) * 3 + c]);
    }
  }
  return out;
}

/** Keys's cubic convolution kernel with a = −0.5 (Pillow `bicubic_filter`, torch `aa_filter`). */
function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/**
 * The input samples that output sample `o` reads and their normalised weights (Pillow
 * `precompute_coeffs`): centre `(o + ½)·scale`, support `2·max(scale, 1)`, taps from
 * `trunc(centre − support + ½)` to `trunc(centre + support + ½)` clipped to the input, each
 * weighted `bicubic((i − centre + ½) / max(scale, 1))`, then divided by their sum.
 */
function taps(inSize: number, outSize: number, o: number): { first: number; weights: number[] } {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const center = (o + 0.5) * scale;
  const first = Math.max(Math.trunc(center - support + 0.5), 0);
  const end = Math.min(Math.trunc(center + support + 0.5), inSize);
  const weights: number[] = [];
  let sum = 0;
  for (let i = first; i < end; i++) {
    const w = bicubic((i - center + 0.5) * (1 / filterScale));
    weights.push(w);
    sum += w;
  }
  return { first, weights: sum === 0 ? weights : weights.map((w) => w / sum) };
}

/** Pillow's 22-bit fixed-point weight (`normalize_coeffs_8bpc`): round half away from zero. */
function fixedPoint(w: number): number {
  return w < 0 ? Math.trunc(-0.5 + w * 2 ** 22) : Math.trunc(0.5 + w * 2 ** 22);
}

/**
 * One separable pass along `axis` (2: horizontal, along a row; 1: vertical, along a column) of
 * `[C, H, W]` planes. `'pil'`: `clamp(⌊(2^21 + Σ v·k_fixed) / 2^22⌋, 0, 255)`; `'torch'`: `Σ v·w`.
 */
function resamplePass(src: NDArray, axis: 1 | 2, outSize: number, method: ResizeMethod): NDArray {
  const [C, H, W] = src.shape;
  const inSize = src.shape[axis];
  const across = axis === 2 ? H : W; // positions along the other axis
  const out = zeros(axis === 2 ? [C, H, outSize] : [C, outSize, W]);
  for (let o = 0; o < outSize; o++) {
    const { first, weights } = taps(inSize, outSize, o);
    for (let c = 0; c < C; c++) {
      for (let p = 0; p < across; p++) {
        let sum = method === 'pil' ? 2 ** 21 : 0;
        for (let t = 0; t < weights.length; t++) {
          const v = axis === 2 ? src.get(c, p, first + t) : src.get(c, first + t, p);
          sum += v * (method === 'pil' ? fixedPoint(weights[t]) : weights[t]);
        }
        const value = method === 'pil' ? Math.min(255, Math.max(0, Math.floor(sum / 2 ** 22))) : sum;
        if (axis === 2) out.set(c, p, o, value);
        else out.set(c, o, p, value);
      }
    }
  }
  return out;
}

/** Round half to even (torch.round). */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Resize `[C, H, W]` planes of 0..255 values (integers for `'pil'`) to `[C, height, width]`:
 * horizontal pass (skipped when the width is unchanged, as Pillow does), then vertical pass.
 * `'torch'` ends with `round(clamp(v, 0, 255))`.
 */
export function resizePlanes(planes: NDArray, width: number, height: number, options: ResizeOptions = {}): NDArray {
  const method = options.method ?? 'pil';
  let x = planes;
  if (width !== planes.shape[2]) x = resamplePass(x, 2, width, method);
  if (height !== planes.shape[1]) x = resamplePass(x, 1, height, method);
  const flat = toFlat(x);
  if (method === 'torch') for (let i = 0; i < flat.length; i++) flat[i] = roundHalfEven(Math.min(255, Math.max(0, flat[i])));
  return ndarray(flat, x.shape.slice());
}

/**
 * Bicubic resize of an RGB image to `width × height`, as `[3, height, width]` planes of 0..255
 * values (see the module comment for the two methods).
 */
export function resizeImage(image: RgbImage, width: number, height: number, options: ResizeOptions = {}): NDArray {
  return resizePlanes(imageToPlanes(image), width, height, options);
}

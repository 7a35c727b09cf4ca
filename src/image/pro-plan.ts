/**
 * The plan of Intern-S1-Pro image and video preprocessing (spec 6.2.1 step 1): the pixel budgets,
 * the options, Python's rounding and smart_resize, i.e. the size the frames are resized to and the
 * patch geometry. Arithmetic on sizes only, no pixels and no tfjs: the fast path
 * (src/image/pro.ts) and the reference (reference/image/pro.ts) both import it, so it has no
 * twin (DESIGN.md). The steps that touch pixels (resize, normalise, flatten) are twinned.
 *
 * @module
 */
import { ValueError } from '../errors.js';
import { checkIntIn } from '../util/check-values.js';
import type { ResizeMethod } from './types.js';

/** Pro image pixel budget: `size.shortest_edge` / `size.longest_edge` of `preprocessor_config.json`. */
export const PRO_IMAGE_MIN_PIXELS = 65536;
/** Pro image pixel budget, the upper bound (see {@link PRO_IMAGE_MIN_PIXELS}). */
export const PRO_IMAGE_MAX_PIXELS = 16777216;
/** Pro video pixel budget per frame (spec 6.2.1). */
export const PRO_VIDEO_MIN_PIXELS = 4096;
/** Pro video pixel budget per frame, the upper bound (see {@link PRO_VIDEO_MIN_PIXELS}). */
export const PRO_VIDEO_MAX_PIXELS = 25165824;

/**
 * Largest patch grid `gh·gw` of one image or video frame the Pro vision tower accepts (issue #12
 * item 1): 16384 patches, e.g. 2048×2048 pixels. The tower attends over all patches of a frame at
 * once; one head's score matrix is (gh·gw)² float32, 1 GiB at this limit (a 3000×3000 image,
 * 35,344 patches, needs 4.9 GB and overruns wasm's 4 GB memory). Project decision: a limit checked
 * before any work, not chunked attention (chunking would fit in memory but take hours per image
 * on a CPU backend). Checked by the preprocessing after smart_resize (before resizing) and by
 * `ProVisionModel` on `gridThw`; raise it with the `maxPatches` option of either, or pass a
 * smaller `maxPixels` to the preprocessing to downscale a large image.
 */
export const PRO_MAX_PATCHES = 16384;

/**
 * Throw a ValueError when a frame of `gh × gw` patches is above `maxPatches`, naming the limit
 * and the `maxPixels` that would fit.
 */
export function checkProPatches(op: string, what: string, gh: number, gw: number, patchSize: number, maxPatches = PRO_MAX_PATCHES): void {
  if (gh * gw <= maxPatches) return;
  throw new ValueError(
    `${op}: ${what} is ${gh}x${gw} = ${gh * gw} patches per frame, above the limit of ${maxPatches} (PRO_MAX_PATCHES: the vision tower attends over ` +
      `all patches of a frame at once); downscale with maxPixels <= ${maxPatches * patchSize * patchSize} (CLI --max-pixels), or raise the limit with the maxPatches option`,
  );
}

/** Options of `preprocessProImage` / `preprocessProVideo`; defaults are the released config's. */
export interface ProOptions {
  /** p, the patch side (16). */
  readonly patchSize?: number;
  /** m, the spatial merge size (2). */
  readonly mergeSize?: number;
  /** Tp, frames per temporal patch (2). */
  readonly temporalPatchSize?: number;
  /** Smallest resized area (images 65536, videos 4096). */
  readonly minPixels?: number;
  /** Largest resized area (images 16777216, videos 25165824). */
  readonly maxPixels?: number;
  /** Per-channel mean (0.5, 0.5, 0.5). */
  readonly imageMean?: readonly number[];
  /** Per-channel std (0.5, 0.5, 0.5). */
  readonly imageStd?: readonly number[];
  /** Resize flavour (default `'pil'`). */
  readonly method?: ResizeMethod;
  /** Largest patch grid gh·gw per frame after smart_resize (default {@link PRO_MAX_PATCHES}). */
  readonly maxPatches?: number;
}

/** The rounding factor and pixel-budget options of {@link smartResize}. */
export interface SmartResizeOptions {
  /** Sides become multiples of this (p·m = 32). */
  readonly factor?: number;
  /** Smallest area (65536). */
  readonly minPixels?: number;
  /** Largest area (16777216). */
  readonly maxPixels?: number;
}

/**
 * Python 3's `round(x)` for a finite double: the nearest integer, ties to the even one
 * (0.5 → 0, 1.5 → 2, 2.5 → 2, −2.5 → −2), unlike `Math.round` (ties towards +∞).
 *
 * @throws ValueError for NaN or ±Infinity (Python raises too).
 * @example
 * ```ts
 * import { pyRound } from 'intern-s1-ts/internals';
 * console.log([0.5, 1.5, 2.5, -2.5].map(pyRound)); // => [0, 2, 2, -2]
 * ```
 */
export function pyRound(x: number): number {
  if (!Number.isFinite(x)) throw new ValueError(`pyRound: cannot round ${x}`);
  const f = Math.floor(x);
  const d = x - f; // exact for every double
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Spec 6.2.1 smart_resize of an H × W image: the size the Pro vision tower sees.
 *
 * @throws ValueError for sizes that are not positive integers, a bad budget, or an aspect ratio
 *   above 200.
 * @example
 * ```ts
 * import { smartResize } from 'intern-s1-ts';
 * console.log(smartResize(1080, 1920)); // => { height: 1088, width: 1920 }
 * console.log(smartResize(48, 80)); // => { height: 224, width: 352 }  -- 80/32 = 2.5 rounds to 2, then scaled up to >= 65536 pixels
 * ```
 */
export function smartResize(height: number, width: number, options: SmartResizeOptions = {}): {
  /** New height in pixels, a multiple of `factor`. */
  height: number;
  /** New width in pixels, a multiple of `factor`. */
  width: number;
} {
  const f = options.factor ?? 32;
  const minPixels = options.minPixels ?? PRO_IMAGE_MIN_PIXELS;
  const maxPixels = options.maxPixels ?? PRO_IMAGE_MAX_PIXELS;
  checkIntIn('smartResize', 'height', height, 1, 2 ** 31);
  checkIntIn('smartResize', 'width', width, 1, 2 ** 31);
  checkIntIn('smartResize', 'factor', f, 1, 2 ** 16);
  checkIntIn('smartResize', 'minPixels', minPixels, 1, 2 ** 40);
  checkIntIn('smartResize', 'maxPixels', maxPixels, minPixels, 2 ** 40);
  const ratio = Math.max(height, width) / Math.min(height, width);
  if (ratio > 200) {
    throw new ValueError(`smartResize: absolute aspect ratio must be at most 200, got ${ratio.toFixed(1)} (${height}x${width})`);
  }
  let h = Math.max(f, pyRound(height / f) * f);
  let w = Math.max(f, pyRound(width / f) * f);
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.max(f, Math.floor(height / beta / f) * f);
    w = Math.max(f, Math.floor(width / beta / f) * f);
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = Math.ceil((height * beta) / f) * f;
    w = Math.ceil((width * beta) / f) * f;
  }
  return { height: h, width: w };
}

/** p, m and Tp of the options, defaults filled in and checked (errors name `op`). */
export function patchGeometry(op: string, o: ProOptions): { p: number; m: number; tp: number } {
  const p = o.patchSize ?? 16;
  const m = o.mergeSize ?? 2;
  const tp = o.temporalPatchSize ?? 2;
  checkIntIn(op, 'patchSize', p, 1, 1024);
  checkIntIn(op, 'mergeSize', m, 1, 64);
  checkIntIn(op, 'temporalPatchSize', tp, 1, 64);
  return { p, m, tp };
}

/**
 * Intern-S1-Pro image and video preprocessing (spec 6.2.1; [V] the Pro `preprocessor_config.json`
 * names transformers' `Qwen2VLImageProcessorFast`):
 *
 * 1. smart_resize: sides rounded to multiples of f = p·m = 32 with **Python's banker's rounding**
 *    ({@link pyRound}), at least f; if the area exceeds `maxPixels` scale down by
 *    β = √(H·W / max) with floor, if below `minPixels` scale up by β = √(min / (H·W)) with ceil.
 *    Aspect ratios above 200 are rejected.
 * 2. Bicubic resize to h̄ × w̄ ({@link resizeImage}; Pillow's by default, what the slow processor
 *    and torchvision's CPU uint8 kernel compute; `method: 'torch'` for the GPU float path).
 * 3. `(v − 255·mean) / (255·std)` in float32, the fast processor's fused rescale + normalise;
 *    with mean = std = 0.5 that maps 0..255 to [−1, 1].
 * 4. An image is a clip of one frame; clips are padded to a multiple of Tp = 2 frames by repeating
 *    the last frame (so an image becomes two identical frames), t = frames / 2.
 * 5. Flatten to `pixel_values [t·gh·gw, C·Tp·p·p = 1536]`, gh = h̄/16, gw = w̄/16: patches in
 *    2×2 merge-window order (windows row-major, then row-major inside a window), features in the
 *    order (channel, frame, py, px): index `c·512 + f·256 + py·16 + px`. This is transformers'
 *    `reshape(t, Tp, C, gh/m, m, p, gw/m, m, p).permute(0, 3, 6, 4, 7, 2, 1, 5, 8)`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError, ValueError } from '../errors.js';
import { checkFloat, checkRank, fmtShape } from '../util/check.js';
import { checkIntIn } from '../util/check-values.js';
import {
  PRO_IMAGE_MAX_PIXELS, PRO_IMAGE_MIN_PIXELS, PRO_VIDEO_MAX_PIXELS, PRO_VIDEO_MIN_PIXELS, type ProOptions, checkProPatches, patchGeometry, smartResize,
} from './pro-plan.js';
import { resizeImage } from './resize.js';
import { checkOutputSize, checkResizeMethod, checkRgbImage, type RgbImage } from './types.js';

// Step 1 (smart_resize, budgets, options) is pure size arithmetic, shared with the reference.
export {
  PRO_IMAGE_MAX_PIXELS, PRO_IMAGE_MIN_PIXELS, PRO_VIDEO_MAX_PIXELS, PRO_VIDEO_MIN_PIXELS,
  PRO_MAX_PATCHES, type ProOptions, type SmartResizeOptions, checkProPatches, pyRound, smartResize,
} from './pro-plan.js';

/** What the Pro preprocessing returns. */
export interface ProPixels {
  /** `[t·gh·gw, C·Tp·p·p]` float32 (`pixel_values`). */
  readonly pixelValues: tf.Tensor2D;
  /** `[t, gh, gw]` (one row of `image_grid_thw` / `video_grid_thw`). */
  readonly gridThw: [number, number, number];
  /** The smart_resize size the frames were resized to. */
  readonly resized: {
    /** Resized height in pixels (a multiple of p·m). */
    readonly height: number;
    /** Resized width in pixels (a multiple of p·m). */
    readonly width: number;
  };
}

/**
 * Spec 6.2.1 step 5: flatten normalised frames `[F, C, H, W]` into `pixel_values`
 * `[t·gh·gw, C·Tp·p·p]` (F padded to a multiple of Tp with copies of the last frame).
 *
 * @throws ShapeError unless H and W are multiples of p·m; DTypeError for non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { flattenProPatches } from 'intern-s1-ts/internals';
 * const frames = tf.zeros([1, 3, 64, 32]);
 * const { pixelValues, gridThw } = flattenProPatches(frames);
 * console.log(pixelValues.shape, gridThw); // => [8, 1536], [1, 4, 2]
 * tf.dispose([frames, pixelValues]);
 * ```
 */
export function flattenProPatches(frames: tf.Tensor, options: ProOptions = {}): {
  /** `[t·gh·gw, C·Tp·p·p]` float32, rows in merge-window order. */
  pixelValues: tf.Tensor2D;
  /** `[t, gh, gw]`: temporal groups `⌈F/Tp⌉` and the patch grid `H/p × W/p`. */
  gridThw: [number, number, number];
} {
  checkFloat('flattenProPatches', 'frames', frames);
  checkRank('flattenProPatches', 'frames', frames, 4);
  const { p, m, tp } = patchGeometry('flattenProPatches', options);
  const [F, C, H, W] = frames.shape;
  if (F < 1 || C < 1 || H % (p * m) !== 0 || W % (p * m) !== 0 || H === 0 || W === 0) {
    throw new ShapeError(`flattenProPatches: 'frames' ${fmtShape(frames.shape)} needs F, C >= 1 and H, W positive multiples of patchSize*mergeSize = ${p * m}`);
  }
  const t = Math.ceil(F / tp);
  const gh = H / p;
  const gw = W / p;
  const D = C * tp * p * p;
  const pixelValues = tf.tidy(() => {
    let x = frames;
    if (F % tp !== 0) x = tf.concat([x, ...Array(t * tp - F).fill(tf.slice(x, [F - 1], [1]))], 0); // [t·Tp, C, H, W]
    const a = tf.transpose(tf.reshape(x, [t, tp, C, H, W]), [0, 2, 1, 3, 4]); // [t, C, Tp, H, W]
    const b = tf.transpose(tf.reshape(a, [t, C * tp, gh, p, W]), [0, 2, 1, 3, 4]); // [t, gh, C·Tp, p, W]
    const c = tf.transpose(tf.reshape(b, [t * gh, C * tp * p, gw, p]), [0, 2, 1, 3]); // [t·gh, gw, C·Tp·p, p]
    const d = tf.reshape(c, [(t * gh) / m, m, gw / m, m, D]); // [t·gh/m, m, gw/m, m, D] raster patches
    return tf.reshape(tf.transpose(d, [0, 2, 1, 3, 4]), [t * gh * gw, D]) as tf.Tensor2D; // [P, D] window order
  });
  return { pixelValues, gridThw: [t, gh, gw] };
}

/** Resize + normalise one frame to `[3, h, w]` float32 (call inside tf.tidy). */
function normalisedFrame(image: RgbImage, size: { height: number; width: number }, o: ProOptions): tf.Tensor3D {
  const mean = (o.imageMean ?? [0.5, 0.5, 0.5]).map((v) => v * 255);
  const std = (o.imageStd ?? [0.5, 0.5, 0.5]).map((v) => v * 255);
  const x = resizeImage(image, size.width, size.height, { method: o.method }); // [3, h, w], 0..255
  return tf.div(tf.sub(x, tf.tensor3d(mean, [3, 1, 1])), tf.tensor3d(std, [3, 1, 1])); // [3, h, w]
}

function checkStats(op: string, o: ProOptions): void {
  for (const [name, v] of [['imageMean', o.imageMean], ['imageStd', o.imageStd]] as const) {
    if (v !== undefined && (v.length !== 3 || !v.every((x) => Number.isFinite(x)) || (name === 'imageStd' && !v.every((x) => x > 0)))) {
      throw new ValueError(`${op}: '${name}' must be 3 finite numbers${name === 'imageStd' ? ' > 0' : ''}, got [${v.join(', ')}]`);
    }
  }
}

/**
 * Intern-S1-Pro preprocessing of a clip of equally sized video frames (spec 6.2.1): every frame
 * is smart-resized with the video budget (4096 .. 25165824 pixels per frame), normalised, and
 * consecutive frames are paired (the last frame repeated when the count is odd).
 *
 * Project decision [I]: the budget applies per frame (Qwen2-VL video processor); Qwen3-VL's video
 * processor, which budgets t·h·w, is not reproduced. Frame sampling (fps) is the caller's.
 *
 * @throws ValueError for an empty clip, frames of different sizes, or bad options.
 * @example
 * ```ts
 * import { preprocessProVideo, rgbImage } from 'intern-s1-ts';
 * const frame = rgbImage(64, 64, new Uint8Array(64 * 64 * 3));
 * const v = preprocessProVideo([frame, frame, frame]);
 * console.log(v.gridThw, v.pixelValues.shape); // => [2, 4, 4], [32, 1536]
 * v.pixelValues.dispose();
 * ```
 */
export function preprocessProVideo(frames: readonly RgbImage[], options: ProOptions = {}): ProPixels {
  return preprocessClip('preprocessProVideo', frames, options, PRO_VIDEO_MIN_PIXELS, PRO_VIDEO_MAX_PIXELS);
}

/**
 * Intern-S1-Pro preprocessing of one image (spec 6.2.1): `pixel_values [gh·gw, 1536]` and its
 * `image_grid_thw` row `[1, gh, gw]`.
 *
 * @throws ValueError for a malformed image, an aspect ratio above 200, or bad options.
 * @example
 * ```ts
 * import { preprocessProImage, readImage } from 'intern-s1-ts';
 * const { pixelValues, gridThw, resized } = preprocessProImage(readImage('test/fixtures/images/src/photo.jpg'));
 * console.log(resized, gridThw, pixelValues.shape); // => { height: 224, width: 320 }, [1, 14, 20], [280, 1536]
 * pixelValues.dispose();
 * ```
 */
export function preprocessProImage(image: RgbImage, options: ProOptions = {}): ProPixels {
  return preprocessClip('preprocessProImage', [image], options, PRO_IMAGE_MIN_PIXELS, PRO_IMAGE_MAX_PIXELS);
}

function preprocessClip(op: string, frames: readonly RgbImage[], o: ProOptions, minPixels: number, maxPixels: number): ProPixels {
  if (!Array.isArray(frames) || frames.length === 0) throw new ValueError(`${op}: needs at least one frame`);
  frames.forEach((f, i) => checkRgbImage(op, `frames[${i}]`, f));
  const { width: W, height: H } = frames[0];
  const odd = frames.findIndex((f) => f.width !== W || f.height !== H);
  if (odd >= 0) throw new ValueError(`${op}: frame ${odd} is ${frames[odd].width}x${frames[odd].height} but frame 0 is ${W}x${H}`);
  const { p, m } = patchGeometry(op, o);
  checkResizeMethod(op, o.method);
  checkStats(op, o);
  let size: { height: number; width: number };
  try {
    size = smartResize(H, W, { factor: p * m, minPixels: o.minPixels ?? minPixels, maxPixels: o.maxPixels ?? maxPixels });
  } catch (e) {
    throw e instanceof ValueError ? new ValueError(e.message.replace(/^smartResize/, op)) : e;
  }
  checkOutputSize(op, size.width, size.height);
  if (o.maxPatches !== undefined) checkIntIn(op, 'maxPatches', o.maxPatches, 1, 2 ** 24);
  checkProPatches(op, `the image resized to ${size.width}x${size.height}`, size.height / p, size.width / p, p, o.maxPatches);
  let gridThw: [number, number, number] = [0, 0, 0];
  const pixelValues = tf.tidy(() => {
    const stacked = tf.stack(frames.map((f) => normalisedFrame(f, size, o))); // [F, 3, h, w]
    const flat = flattenProPatches(stacked, o); // [P, 1536]
    gridThw = flat.gridThw;
    return flat.pixelValues;
  });
  return { pixelValues, gridThw, resized: size };
}

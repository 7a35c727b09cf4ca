/**
 * Reference Intern-S1-Pro image / video preprocessing (spec 6.2.1; transformers
 * `Qwen2VLImageProcessor`), float64: smart_resize, bicubic resize, scale to [−1, 1], frames
 * grouped in pairs, patches flattened in 2×2 merge-window order with features (channel, frame,
 * py, px).
 *
 * @module
 */
import { type NDArray, zeros } from '../ndarray.js';
import { type ResizeMethod, type RgbImage, resizeImage } from './resize.js';

/** Pro image pixel budget (`preprocessor_config.json` `size.shortest_edge` / `longest_edge`). */
export const PRO_IMAGE_MIN_PIXELS = 65536;
/** Largest resized area of a Pro image, in pixels (`size.longest_edge`). */
export const PRO_IMAGE_MAX_PIXELS = 16777216;
/** Pro video pixel budget per frame (spec 6.2.1). */
export const PRO_VIDEO_MIN_PIXELS = 4096;
/** Largest resized area of one Pro video frame, in pixels (spec 6.2.1). */
export const PRO_VIDEO_MAX_PIXELS = 25165824;

/** Options of the Pro preprocessing (fast-path defaults). */
export interface ProOptions {
  /** p, the patch side in pixels (default 16). */
  readonly patchSize?: number;
  /** m, the spatial merge size (default 2). */
  readonly mergeSize?: number;
  /** Tp, frames per temporal patch (default 2). */
  readonly temporalPatchSize?: number;
  /** Smallest resized area in pixels (default: images 65536, videos 4096). */
  readonly minPixels?: number;
  /** Largest resized area in pixels (default: images 16777216, videos 25165824). */
  readonly maxPixels?: number;
  /** Per-channel mean on the 0..1 scale (default 0.5, 0.5, 0.5). */
  readonly imageMean?: readonly number[];
  /** Per-channel std on the 0..1 scale (default 0.5, 0.5, 0.5). */
  readonly imageStd?: readonly number[];
  /** Resize flavour (default `'pil'`). */
  readonly method?: ResizeMethod;
}

/** Options of {@link smartResize}. */
export interface SmartResizeOptions {
  /** Sides become multiples of this (default 32 = p·m). */
  readonly factor?: number;
  /** Smallest area in pixels (default 65536). */
  readonly minPixels?: number;
  /** Largest area in pixels (default 16777216). */
  readonly maxPixels?: number;
}

/** What the Pro preprocessing returns. */
export interface ProPixels {
  /** `pixel_values` `[t·gh·gw, C·Tp·p·p]`, patches in merge-window order. */
  readonly pixelValues: NDArray;
  /** `[t, gh, gw]`: temporal groups and the patch grid. */
  readonly gridThw: [number, number, number];
  /** The smart_resize size the frames were resized to. */
  readonly resized: {
    /** Resized height in pixels. */
    readonly height: number;
    /** Resized width in pixels. */
    readonly width: number;
  };
}

/** Python 3's `round(x)`: to the nearest integer, ties to the even one (2.5 → 2, 3.5 → 4). */
export function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Spec 6.2.1 smart_resize: sides rounded to multiples of `factor` (banker's rounding), then
 * scaled by β to fit [minPixels, maxPixels]. Throws on an aspect ratio above 200.
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
  if (Math.max(height, width) / Math.min(height, width) > 200) throw new Error('absolute aspect ratio must be smaller than 200');
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

/**
 * Spec 6.2.1 flattening of `frames [F, C, H, W]` (F padded to a multiple of Tp by repeating the
 * last frame): row i of `[t·gh·gw, C·Tp·p·p]` is patch (g, row, col) in the order
 * (g, row / m, col / m, row mod m, col mod m), and its feature `c·Tp·p² + f·p² + py·p + px` is
 * `frames[g·Tp + f][c][row·p + py][col·p + px]`.
 */
export function flattenProPatches(frames: NDArray, options: ProOptions = {}): {
  /** `[t·gh·gw, C·Tp·p·p]`, patches in merge-window order. */
  pixelValues: NDArray;
  /** `[t, gh, gw]` with t = ⌈F/Tp⌉, gh = H/p, gw = W/p. */
  gridThw: [number, number, number];
} {
  const p = options.patchSize ?? 16;
  const m = options.mergeSize ?? 2;
  const tp = options.temporalPatchSize ?? 2;
  const [F, C, H, W] = frames.shape;
  const t = Math.ceil(F / tp);
  const gh = H / p;
  const gw = W / p;
  const out = zeros([t * gh * gw, C * tp * p * p]);
  let i = 0;
  for (let g = 0; g < t; g++) {
    for (let wy = 0; wy < gh / m; wy++) {
      for (let wx = 0; wx < gw / m; wx++) {
        for (let my = 0; my < m; my++) {
          for (let mx = 0; mx < m; mx++) {
            const row = wy * m + my;
            const col = wx * m + mx;
            for (let c = 0; c < C; c++) {
              for (let f = 0; f < tp; f++) {
                const frame = Math.min(g * tp + f, F - 1); // the last frame repeats
                for (let py = 0; py < p; py++) {
                  for (let px = 0; px < p; px++) {
                    out.set(i, ((c * tp + f) * p + py) * p + px, frames.get(frame, c, row * p + py, col * p + px));
                  }
                }
              }
            }
            i++;
          }
        }
      }
    }
  }
  return { pixelValues: out, gridThw: [t, gh, gw] };
}

/**
 * Spec 6.2.1 for a clip of equally sized frames: smart_resize (factor p·m), bicubic resize,
 * `(v / 255 − mean) / std`, frames in pairs, flattening.
 */
export function preprocessProVideo(frames: readonly RgbImage[], options: ProOptions = {}): ProPixels {
  const p = options.patchSize ?? 16;
  const m = options.mergeSize ?? 2;
  const mean = options.imageMean ?? [0.5, 0.5, 0.5];
  const std = options.imageStd ?? [0.5, 0.5, 0.5];
  const size = smartResize(frames[0].height, frames[0].width, {
    factor: p * m, minPixels: options.minPixels ?? PRO_VIDEO_MIN_PIXELS, maxPixels: options.maxPixels ?? PRO_VIDEO_MAX_PIXELS,
  });
  const stacked = zeros([frames.length, 3, size.height, size.width]);
  frames.forEach((frame, k) => {
    const resized = resizeImage(frame, size.width, size.height, { method: options.method }); // [3, h, w]
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < size.height; y++) {
        for (let x = 0; x < size.width; x++) stacked.set(k, c, y, x, (resized.get(c, y, x) / 255 - mean[c]) / std[c]);
      }
    }
  });
  return { ...flattenProPatches(stacked, options), resized: size };
}

/** Spec 6.2.1 for one image: a clip of one frame, which the flattening repeats to Tp frames. */
export function preprocessProImage(image: RgbImage, options: ProOptions = {}): ProPixels {
  return preprocessProVideo([image], {
    ...options, minPixels: options.minPixels ?? PRO_IMAGE_MIN_PIXELS, maxPixels: options.maxPixels ?? PRO_IMAGE_MAX_PIXELS,
  });
}

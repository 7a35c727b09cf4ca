/**
 * Reference Intern-S1-Pro image / video preprocessing (spec 6.2.1; transformers
 * `Qwen2VLImageProcessor`), float64: smart_resize (the shared plan, src/image/pro-plan.ts), bicubic resize, scale to [−1, 1], frames
 * grouped in pairs, patches flattened in 2×2 merge-window order with features (channel, frame,
 * py, px).
 *
 * @module
 */
import { type NDArray, zeros } from '../ndarray.js';
import {
  PRO_IMAGE_MAX_PIXELS, PRO_IMAGE_MIN_PIXELS, PRO_VIDEO_MAX_PIXELS, PRO_VIDEO_MIN_PIXELS, type ProOptions, smartResize,
} from '../../src/image/pro-plan.js';
import { type RgbImage, resizeImage } from './resize.js';

// Step 1 (budgets, options, smart_resize) is arithmetic on sizes, shared with the fast path
// (src/image/pro-plan.ts, DESIGN.md): only the pixel steps below are twinned.
export {
  PRO_IMAGE_MAX_PIXELS, PRO_IMAGE_MIN_PIXELS, PRO_VIDEO_MAX_PIXELS, PRO_VIDEO_MIN_PIXELS,
  type ProOptions, type SmartResizeOptions, pyRound, smartResize,
} from '../../src/image/pro-plan.js';

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

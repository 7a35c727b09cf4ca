/**
 * Separable 2-D interpolation with PyTorch `F.interpolate` semantics (spec 2, 6.1.2, gotcha 10.9):
 * bicubic (cubic convolution a = −0.75) and bilinear, `align_corners` false (half-pixel centres,
 * the default) or true, no antialias. Used to resize the InternViT position-embedding grid; image
 * resizing with antialias lives in `src/image/`.
 *
 * Fast path: the 1-D interpolation weights are built once per call as matrices `Wy [outH, H]` and
 * `Wxᵀ [W, outW]` (border taps clamped into the image, so repeated taps add up), then
 * `Y = Wy · X · Wxᵀ` for every image and channel with two 2-D untransposed matmuls. One
 * consequence: a NaN or ±Inf input pixel reaches every output that shares its input row or column
 * (0 · NaN = NaN inside the products), where PyTorch spreads it only to the outputs that tap it. The
 * outputs are NaN in both, never silently finite; position embeddings never hold NaN.
 *
 * Legend: N images, C channels, H×W input, outH×outW output.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { checkFloat, checkNonEmpty, checkRank } from '../util/check.js';
import type { InterpolateOptions } from './options.js';

export type { InterpolateOptions } from './options.js';


/** PyTorch's cubic-convolution constant (`upsample_bicubic2d`). */
const A = -0.75;

/** Kernel for |x| ≤ 1: `((A + 2)x − (A + 3))x² + 1`. */
function cubic1(x: number): number {
  return ((A + 2) * x - (A + 3)) * x * x + 1;
}

/** Kernel for 1 < |x| < 2: `((Ax − 5A)x + 8A)x − 4A`. */
function cubic2(x: number): number {
  return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
}

/** Source coordinate of output index `o` (PyTorch `area_pixel_compute_source_index`). */
function sourceIndex(o: number, inSize: number, outSize: number, alignCorners: boolean, cubic: boolean): number {
  if (alignCorners) return outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0;
  const src = ((o + 0.5) * inSize) / outSize - 0.5;
  return cubic ? src : Math.max(src, 0); // linear modes clamp negative coordinates to 0
}

/**
 * Weight matrix `M [outSize, inSize]` (or its transpose) with `y[o] = Σ_i M[o, i] · x[i]`.
 * Bicubic: taps `⌊s⌋ − 1 .. ⌊s⌋ + 2` with weights `cubic2(t+1), cubic1(t), cubic1(1−t), cubic2(2−t)`,
 * `t = s − ⌊s⌋`, each tap index clamped to `[0, in − 1]`. Bilinear: taps `i0 = ⌊s⌋` and
 * `i1 = min(i0 + 1, in − 1)` with weights `1 − t`, `t`.
 */
function weights(inSize: number, outSize: number, alignCorners: boolean, cubic: boolean, transposed: boolean): tf.Tensor {
  const m = new Float64Array(inSize * outSize);
  const add = (o: number, i: number, w: number) => {
    const at = transposed ? i * outSize + o : o * inSize + i;
    m[at] += w;
  };
  for (let o = 0; o < outSize; o++) {
    const s = sourceIndex(o, inSize, outSize, alignCorners, cubic);
    const i0 = Math.floor(s);
    const t = s - i0;
    if (cubic) {
      const c = [cubic2(t + 1), cubic1(t), cubic1(1 - t), cubic2(2 - t)];
      for (let k = 0; k < 4; k++) add(o, Math.min(Math.max(i0 - 1 + k, 0), inSize - 1), c[k]);
    } else {
      add(o, i0, 1 - t);
      add(o, Math.min(i0 + 1, inSize - 1), t);
    }
  }
  return tf.tensor2d(Float32Array.from(m), transposed ? [inSize, outSize] : [outSize, inSize]);
}

function resize(op: string, x: tf.Tensor, outH: number, outW: number, opts: InterpolateOptions, cubic: boolean): tf.Tensor {
  checkFloat(op, 'x', x);
  checkRank(op, 'x', x, 4);
  checkNonEmpty(op, 'x', x);
  for (const [name, v] of [['outH', outH], ['outW', outW]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ValueError(`${op}: '${name}' must be a positive integer, got ${v}`);
  }
  const align = opts.alignCorners === true;
  const [N, C, H, W] = x.shape;
  return tf.tidy(() => {
    const wxT = weights(W, outW, align, cubic, true); // [W, outW]
    const wy = weights(H, outH, align, cubic, false); // [outH, H]
    const rows = tf.matMul(tf.reshape(x, [N * C * H, W]), wxT); // [N·C·H, outW]
    const byRow = tf.reshape(tf.transpose(tf.reshape(rows, [N * C, H, outW]), [1, 0, 2]), [H, N * C * outW]); // [H, N·C·outW]
    const y = tf.matMul(wy, byRow); // [outH, N·C·outW]
    return tf.reshape(tf.transpose(tf.reshape(y, [outH, N * C, outW]), [1, 0, 2]), [N, C, outH, outW]); // [N, C, outH, outW]
  });
}

/**
 * Bicubic resize as PyTorch `F.interpolate(x, size=(outH, outW), mode='bicubic',
 * align_corners=False)`: cubic convolution with a = −0.75, half-pixel centres, source taps clamped
 * at the borders, no antialias (spec 6.1.2 and 10.9: InternViT position embeddings for grids other
 * than 32×32). `y[n, c, i, j] = Σ_u Σ_v wy[i, u] · wx[j, v] · x[n, c, u, v]`.
 *
 * @param x - `[N, C, H, W]` float32.
 * @param outH - output height, a positive integer.
 * @param outW - output width, a positive integer.
 * @param opts - `alignCorners` (default false).
 * @returns `[N, C, outH, outW]`.
 * @throws ShapeError for a wrong rank or an empty input; DTypeError for non-float32 input;
 *   ValueError for a non-positive output size.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { interpolateBicubic } from 'intern-s1-ts';
 * const grid = tf.randomNormal([1, 8, 32, 32]);     // [N, C, H, W] (a position-embedding grid)
 * console.log(interpolateBicubic(grid, 24, 24).shape); // => [1, 8, 24, 24]
 * ```
 */
export function interpolateBicubic(x: tf.Tensor, outH: number, outW: number, opts: InterpolateOptions = {}): tf.Tensor {
  return resize('interpolateBicubic', x, outH, outW, opts, true);
}

/**
 * Bilinear resize as PyTorch `F.interpolate(x, size=(outH, outW), mode='bilinear', align_corners)`:
 * half-pixel centres with negative source coordinates clamped to 0 (or corner alignment), the
 * upper tap clamped to the last pixel, no antialias.
 *
 * @param x - `[N, C, H, W]` float32.
 * @param outH - output height, a positive integer.
 * @param outW - output width, a positive integer.
 * @param opts - `alignCorners` (default false).
 * @returns `[N, C, outH, outW]`.
 * @throws ShapeError for a wrong rank or an empty input; DTypeError for non-float32 input;
 *   ValueError for a non-positive output size.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { interpolateBilinear } from 'intern-s1-ts';
 * const x = tf.tensor4d([[[[0, 1], [2, 3]]]]);      // [1, 1, 2, 2]
 * interpolateBilinear(x, 3, 3, { alignCorners: true }).print(); // ~> [[[[0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3]]]]
 * ```
 */
export function interpolateBilinear(x: tf.Tensor, outH: number, outW: number, opts: InterpolateOptions = {}): tf.Tensor {
  return resize('interpolateBilinear', x, outH, outW, opts, false);
}

/**
 * Pixel shuffle in InternVL v2 order (spec 6.1.3): fold each s×s block of ViT patch features into
 * one token with s²·C channels (s = 1/ratio; InternVL uses ratio 0.5, so 1024 patches of a tile
 * become 256 tokens of 4C).
 *
 * Legend: N tiles, h×w patch grid (rows × columns), C channels, s = 1/ratio.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError, ValueError } from '../errors.js';
import { checkFloat, checkNonEmpty, checkRank, fmtShape } from '../util/check.js';

/** The integer factor s = 1/ratio, or a ValueError when ratio is not 1/s for an integer s ≥ 1. */
function factor(op: string, ratio: number): number {
  const s = Math.round(1 / ratio);
  if (!(ratio > 0 && ratio <= 1) || !Number.isFinite(ratio) || Math.abs(s * ratio - 1) > 1e-9) {
    throw new ValueError(`${op}: 'ratio' must be 1/s for an integer s >= 1 (e.g. 0.5), got ${ratio}`);
  }
  return s;
}

/**
 * `G[n, i, j, (s·dy + dx)·C + c] = F[n, s·i + dy, s·j + dx, c]` for `dy, dx ∈ [0, s)`: output
 * token (i, j) concatenates the s×s block at rows s·i.., columns s·j.., row by row. With s = 2:
 * `[F(2i,2j), F(2i,2j+1), F(2i+1,2j), F(2i+1,2j+1)]` (spec 6.1.3). Reshape the result to
 * `[N, (h/s)·(w/s), s²·C]` for row-major tokens (token = i·(w/s) + j).
 *
 * $G_{n,i,j,(s\delta_y + \delta_x)C + c} = F_{n,\, s i + \delta_y,\, s j + \delta_x,\, c}$.
 * Reference twin: {@link reference!pixelShuffle | pixelShuffle}.
 *
 * Derivation from HF `InternVLModel.pixel_shuffle` (= InternVL `ps_version` "v2"), whose input
 * `[N, h, w, C]` comes from reshaping row-major tokens, so dim 1 is the row y and dim 2 the column x
 * (HF calls them "width" and "height"):
 * 1. `view(N, h, w·r, C/r)`: `V1[n, y, x', dx·C + c] = F[n, y, s·x' + dx, c]`.
 * 2. `permute(0, 2, 1, 3)`: `V2[n, x', y, k] = V1[n, y, x', k]`, shape `[N, w/s, h, sC]`.
 * 3. `view(N, w·r, h·r, C/r²)`: `V3[n, x', y', dy·sC + k] = V2[n, x', s·y' + dy, k]`.
 * 4. `permute(0, 2, 1, 3)`: `G[n, y', x', m] = V3[n, x', y', m]`.
 * Composing: `G[n, y', x', dy·sC + dx·C + c] = F[n, s·y' + dy, s·x' + dx, c]`, the formula above.
 * (Checked against HF's code run in PyTorch: test/fixtures/make_pixel_shuffle.py.)
 *
 * Here it is one 4-D transpose: `[N·h/s, s, w/s, s·C] → [N·h/s, w/s, s, s·C]`.
 *
 * @param x - patch features `[N, h, w, C]` float32 (CLS token already dropped).
 * @param ratio - downsample ratio r = 1/s (config `downsample_ratio`, 0.5 for Intern-S1).
 * @returns `[N, h/s, w/s, s²·C]`.
 * @throws ShapeError when h or w is not divisible by s or x is not rank 4; ValueError for a ratio
 *   that is not 1/s.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { pixelShuffle } from 'intern-s1-ts';
 * const f = tf.randomNormal([1, 32, 32, 8]);       // [N, h, w, C]
 * console.log(pixelShuffle(f, 0.5).shape);         // => [1, 16, 16, 32]
 * ```
 */
export function pixelShuffle(x: tf.Tensor, ratio = 0.5): tf.Tensor {
  checkFloat('pixelShuffle', 'x', x);
  checkRank('pixelShuffle', 'x', x, 4);
  checkNonEmpty('pixelShuffle', 'x', x);
  const s = factor('pixelShuffle', ratio);
  const [N, h, w, C] = x.shape;
  if (h % s !== 0 || w % s !== 0) {
    throw new ShapeError(`pixelShuffle: the ${h}x${w} grid of 'x' ${fmtShape(x.shape)} is not divisible by 1/ratio = ${s}`);
  }
  return tf.tidy(() => {
    const a = tf.reshape(x, [N * (h / s), s, w / s, s * C]); // [N·h/s, dy, j, dx·C + c]
    const b = tf.transpose(a, [0, 2, 1, 3]); // [N·h/s, j, dy, dx·C + c]
    return tf.reshape(b, [N, h / s, w / s, s * s * C]); // [N, h/s, w/s, (s·dy + dx)·C + c]
  });
}

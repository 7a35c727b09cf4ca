/**
 * Top-k along the last axis (spec section 2; the MoE router, spec 4.1 and 4.2, also on a reshaped
 * `[T, G, E/G]` view).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import { checkFloat, checkMinRank } from '../util/check.js';

/** float32's largest finite value. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** The result of {@link topk}. */
export interface TopK {
  /** The k largest values of each row, largest first: float32 `[..., k]`. */
  values: tf.Tensor;
  /** Their positions along the last axis: int32 `[..., k]`. */
  indices: tf.Tensor;
}

/**
 * The `k` largest entries of each row (last axis), largest first; **equal values go to the lower
 * index** (DESIGN.md; PyTorch leaves tie order unspecified).
 *
 * Non-finite scores: NaN ranks with +Inf (PyTorch also ranks NaN above every number), and the
 * ranking key clamps ±Inf to ±3.4028235e38 (float32's largest finite value), so NaN, +Inf and a
 * finite 3.4028235e38 tie with each other (lower index first), as do -Inf and -3.4028235e38.
 * Why: tfjs's cpu TopK compares by subtraction and `Inf - Inf = NaN` breaks its sort (a row with
 * two +Inf returned a -Inf among its top 5), and it orders rows containing NaN inconsistently on
 * both backends. The values are read back from `x`, so they are the original NaN / ±Inf.
 * Finite ties go to the lower index in tfjs's `tf.topk` on cpu and wasm (checked at n up to 300
 * with many ties, and pinned by tests). The read-back uses a flat gather: wasm's `tf.gather` with
 * `batchDims` returns garbage in tfjs 4.22.
 *
 * Shapes: `x [..., n]` → `values [..., k]` (float32), `indices [..., k]` (int32).
 *
 * @param x - float32, rank ≥ 1.
 * @param k - an integer in [1, n].
 * @throws ValueError for k < 1, k > n or a non-integer k; ShapeError for a scalar; DTypeError
 *   for a non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { topk } from 'intern-s1-ts';
 * const { values, indices } = topk(tf.tensor1d([1, 3, 3, 2]), 2);
 * values.print();  // => [3, 3]
 * indices.print(); // => [1, 2]  -- the tie goes to the lower index first
 * ```
 */
export function topk(x: tf.Tensor, k: number): TopK {
  checkFloat('topk', 'x', x);
  checkMinRank('topk', 'x', x, 1);
  const n = x.shape[x.rank - 1];
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new ValueError(`topk: 'k' must be an integer in [1, ${n}] (the last dimension of 'x'), got ${k}`);
  }
  const rows = x.size / n;
  const [values, indices] = tf.tidy(() => {
    const noNaN = tf.where(tf.isNaN(x), tf.fill(x.shape, Infinity), x); // [..., n]
    const key = tf.clipByValue(noNaN, -FLOAT32_MAX, FLOAT32_MAX); // [..., n], finite
    const idx = tf.topk(key, k).indices; // [..., k] int32
    const rowStart = tf.reshape(tf.range(0, rows * n, n, 'int32'), [rows, 1]); // [rows, 1]
    const flat = tf.add(tf.reshape(idx, [rows, k]), rowStart); // [rows, k]
    const vals = tf.reshape(tf.gather(tf.reshape(x, [rows * n]), flat), idx.shape); // [..., k]
    return [vals, idx];
  });
  return { values, indices };
}

/**
 * Log-sum-exp reduction (spec section 2: the router z-loss, training only).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { kernelFor } from '../backend/dispatch.js';
import { checkFloat, checkMinRank, fmtShape, normAxis } from '../util/check.js';
import { ShapeError } from '../errors.js';

/**
 * Numerically stable `logsumexp(x) = m + log Σ_i exp(x_i - m)` along `axis`, with
 * `m = max_i x_i` (replaced by 0 when it is ±Inf, exactly as `torch.logsumexp` does).
 *
 * Non-finite inputs follow PyTorch: a line of only -Inf gives -Inf; a line containing +Inf gives
 * +Inf; NaN anywhere in a line gives NaN. (`tf.logSumExp` returns NaN for the first two.)
 *
 * Shapes: `x [..., n, ...]` → `x.shape` without `axis` (or with it set to 1 when `keepDims`).
 *
 * @param x - float32 tensor of rank ≥ 1.
 * @param axis - the axis to reduce; negative counts from the end. Default -1.
 * @param keepDims - keep the reduced axis with length 1. Default false.
 * @throws ShapeError for a scalar, a bad axis, or an empty reduced axis; DTypeError for a
 *   non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { logsumexp } from 'intern-s1-ts';
 * logsumexp(tf.tensor2d([[1000, 1000], [-Infinity, -Infinity]])).print(); // ~> [1000.6932, -Infinity]
 * ```
 */
export function logsumexp(x: tf.Tensor, axis = -1, keepDims = false): tf.Tensor {
  checkFloat('logsumexp', 'x', x);
  checkMinRank('logsumexp', 'x', x, 1);
  const ax = normAxis('logsumexp', axis, x.rank);
  if (x.shape[ax] === 0) {
    throw new ShapeError(`logsumexp: 'x' has an empty axis ${ax} (shape ${fmtShape(x.shape)})`);
  }
  return tf.tidy(() => {
    const m = tf.max(x, ax, true); // [..., 1, ...]
    const mFinite = tf.where(tf.isFinite(m), m, tf.zerosLike(m)); // ±Inf → 0, as torch
    const s = tf.sum(tf.exp(tf.sub(x, mFinite)), ax, true); // [..., 1, ...]
    let y = tf.add(tf.log(s), mFinite); // [..., 1, ...]
    if (kernelFor('nonFinite') === 'guarded') {
      // webgl: log(0) is not -Inf (backend/dispatch.ts, nonFinite).
      const nan = tf.any(tf.isNaN(x), ax, true); // [..., 1, ...]
      y = tf.where(nan, tf.fill(y.shape, NaN), tf.where(tf.isFinite(m), y, m));
    }
    return keepDims ? y : tf.squeeze(y, [ax]);
  });
}

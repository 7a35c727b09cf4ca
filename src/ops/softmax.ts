/**
 * Softmax and log-softmax along any axis (spec section 2).
 *
 * tfjs's own `tf.softmax` only accepts the last axis; these work on any axis without
 * transposing, and subtract the running maximum so ±1000 inputs stay finite.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { kernelFor } from '../backend/dispatch.js';
import { checkFloat, checkMinRank, normAxis } from '../util/check.js';

/**
 * Numerically stable softmax along `axis`.
 *
 * `softmax(x)_i = exp(x_i - m) / Σ_j exp(x_j - m)`, `m = max_j x_j`.
 *
 * Shapes: `x [..., n, ...]` → same shape; entries along `axis` sum to 1. A line with +Inf, or
 * with only -Inf, gives NaN, as in PyTorch.
 *
 * @param x - float32 tensor of rank ≥ 1.
 * @param axis - the axis to normalise over; negative counts from the end.
 * @throws ShapeError for a bad axis or a scalar; DTypeError for a non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { softmax } from 'intern-s1-ts';
 * const p = softmax(tf.tensor2d([[1, 2], [3, 4]]), 0); // columns sum to 1
 * console.log(p.arraySync());
 * ```
 */
export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  checkFloat('softmax', 'x', x);
  checkMinRank('softmax', 'x', x, 1);
  const ax = normAxis('softmax', axis, x.rank);
  return tf.tidy(() => {
    const e = tf.exp(tf.sub(x, tf.max(x, ax, true)));
    return tf.div(e, tf.sum(e, ax, true));
  });
}

/**
 * Numerically stable log-softmax along `axis`.
 *
 * `logSoftmax(x)_i = x_i - m - log Σ_j exp(x_j - m)`.
 *
 * @param x - float32 tensor of rank ≥ 1.
 * @param axis - the axis to normalise over; negative counts from the end.
 * @throws ShapeError for a bad axis or a scalar; DTypeError for a non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { logSoftmax } from 'intern-s1-ts';
 * logSoftmax(tf.tensor1d([1000, 0])).print(); // => [0, -1000]
 * ```
 */
export function logSoftmax(x: tf.Tensor, axis = -1): tf.Tensor {
  checkFloat('logSoftmax', 'x', x);
  checkMinRank('logSoftmax', 'x', x, 1);
  const ax = normAxis('logSoftmax', axis, x.rank);
  return tf.tidy(() => {
    const m = tf.max(x, ax, true);
    const shifted = tf.sub(x, m);
    const y = tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), ax, true)));
    if (kernelFor('nonFinite') !== 'guarded') return y;
    // webgl shaders need not keep NaN / ±Inf (backend/dispatch.ts, nonFinite): a line with NaN,
    // +Inf or only -Inf is NaN, selected explicitly.
    const bad = tf.logicalOr(tf.logicalNot(tf.isFinite(m)), tf.any(tf.isNaN(x), ax, true)); // [..., 1, ...]
    return tf.where(tf.broadcastTo(bad, x.shape), tf.fill(x.shape, NaN), y);
  });
}

/**
 * Elementwise arithmetic with broadcasting (spec section 2): `add` and `mul`, the two the models
 * use (residual adds, gating and layer scales). Other elementwise maths (`sub`, `div`, `exp`,
 * `sqrt`, ...) had ops here that nothing in the library called; they were removed (issue 13:
 * "remove ops nothing uses"), and the models call tfjs for those inside their ops and layers.
 *
 * The ops broadcast by NumPy / PyTorch rules (shapes aligned from the right; each pair of dims
 * equal or one of them 1) and, unlike tfjs, reject shapes that do not broadcast with a
 * ShapeError naming both shapes. Either operand may be a plain number (a float32 scalar).
 * Everything computes in float32; IEEE rules apply and NaN propagates.
 *
 * The names shadow tfjs's (`add`, `mul`) inside this module's namespace only.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { broadcastShape, checkFloat } from '../util/check.js';

/** A float32 tensor or a plain number (used as a float32 scalar). */
export type Operand = tf.Tensor | number;

type Binary = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** Validate two operands (float32 tensors or numbers, broadcastable) and apply `fn` in a tidy. */
function binary(op: string, a: Operand, b: Operand, fn: Binary): tf.Tensor {
  if (typeof a !== 'number') checkFloat(op, 'a', a);
  if (typeof b !== 'number') checkFloat(op, 'b', b);
  broadcastShape(op, 'a', typeof a === 'number' ? [] : a.shape, 'b', typeof b === 'number' ? [] : b.shape);
  return tf.tidy(() => fn(typeof a === 'number' ? tf.scalar(a) : a, typeof b === 'number' ? tf.scalar(b) : b));
}

/**
 * `y = a + b` with broadcasting.
 *
 * Shapes: `a [...sa]`, `b [...sb]` → `[...broadcast(sa, sb)]`.
 *
 * @param a - float32 tensor or number.
 * @param b - float32 tensor or number.
 * @throws ShapeError naming both shapes when they do not broadcast; DTypeError for a
 *   non-float32 tensor.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { add } from 'intern-s1-ts';
 * add(tf.tensor2d([[1], [2]]), tf.tensor1d([10, 20, 30])).print(); // => [[11, 21, 31], [12, 22, 32]]
 * ```
 */
export function add(a: Operand, b: Operand): tf.Tensor {
  return binary('add', a, b, tf.add);
}

/**
 * `y = a · b` (elementwise) with broadcasting. Shapes and errors as {@link add}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { mul } from 'intern-s1-ts';
 * mul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([10, 100])).print(); // => [[10, 200], [30, 400]]
 * ```
 */
export function mul(a: Operand, b: Operand): tf.Tensor {
  return binary('mul', a, b, tf.mul);
}

/**
 * Elementwise arithmetic with broadcasting and elementwise math functions (spec section 2).
 *
 * The binary ops broadcast by NumPy / PyTorch rules (shapes aligned from the right; each pair of
 * dims equal or one of them 1) and, unlike tfjs, reject shapes that do not broadcast with a
 * ShapeError naming both shapes. Either operand may be a plain number (a float32 scalar).
 * Everything computes in float32; IEEE rules apply (`1 / 0 = Inf`, `0 / 0 = NaN`,
 * `log(0) = -Inf`, `sqrt(-1) = NaN`, `exp(x) = Inf` for x > 88.72), and NaN propagates.
 *
 * The names shadow tfjs's (`add`, `exp`, ...) inside this module's namespace only.
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

/** Validate a float32 tensor and apply `fn` in a tidy. */
function unary(op: string, x: tf.Tensor, fn: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  checkFloat(op, 'x', x);
  return tf.tidy(() => fn(x));
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
 * `y = a - b` with broadcasting. Shapes and errors as {@link add}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { sub } from 'intern-s1-ts';
 * sub(1, tf.tensor1d([0.25, 0.5])).print(); // ~> [0.75, 0.5]
 * ```
 */
export function sub(a: Operand, b: Operand): tf.Tensor {
  return binary('sub', a, b, tf.sub);
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

/**
 * `y = a / b` (elementwise, true division) with broadcasting; `x / 0 = ±Inf`, `0 / 0 = NaN`.
 * Shapes and errors as {@link add}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { div } from 'intern-s1-ts';
 * div(tf.tensor1d([1, -1, 0]), 0).print(); // => [Infinity, -Infinity, NaN]
 * ```
 */
export function div(a: Operand, b: Operand): tf.Tensor {
  return binary('div', a, b, tf.div);
}

/**
 * `y = eˣ` elementwise. Shapes: any → same. Overflows to Inf for x > 88.72 (float32).
 *
 * @param x - float32 tensor (any rank, may be empty).
 * @throws DTypeError for a non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { exp } from 'intern-s1-ts';
 * exp(tf.tensor1d([0, 1, -Infinity])).print(); // ~> [1, 2.7182817, 0]
 * ```
 */
export function exp(x: tf.Tensor): tf.Tensor {
  return unary('exp', x, tf.exp);
}

/**
 * `y = ln x` elementwise; `ln 0 = -Inf`, `ln x = NaN` for x < 0. Shapes: any → same.
 *
 * @throws DTypeError for a non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { log } from 'intern-s1-ts';
 * log(tf.tensor1d([1, Math.E, 0])).print(); // ~> [0, 0.9999999, -Infinity]  -- (float32)
 * ```
 */
export function log(x: tf.Tensor): tf.Tensor {
  return unary('log', x, tf.log);
}

/**
 * `y = √x` elementwise; NaN for x < 0. Shapes: any → same.
 *
 * @throws DTypeError for a non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { sqrt } from 'intern-s1-ts';
 * sqrt(tf.tensor1d([4, 0, -1])).print(); // => [2, 0, NaN]
 * ```
 */
export function sqrt(x: tf.Tensor): tf.Tensor {
  return unary('sqrt', x, tf.sqrt);
}

/**
 * `y = 1 / √x` elementwise; `rsqrt(0) = Inf`, `rsqrt(-0) = -Inf`, NaN for x < 0 (as PyTorch).
 * Shapes: any → same.
 *
 * @throws DTypeError for a non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { rsqrt } from 'intern-s1-ts';
 * rsqrt(tf.tensor1d([4, 0.25])).print(); // ~> [0.5, 2]
 * ```
 */
export function rsqrt(x: tf.Tensor): tf.Tensor {
  return unary('rsqrt', x, tf.rsqrt);
}

/**
 * `y = sin x` elementwise (radians); NaN for ±Inf. Shapes: any → same.
 *
 * @throws DTypeError for a non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { sin } from 'intern-s1-ts';
 * sin(tf.tensor1d([0, Math.PI / 2])).print(); // => [0, 1]
 * ```
 */
export function sin(x: tf.Tensor): tf.Tensor {
  return unary('sin', x, tf.sin);
}

/**
 * `y = cos x` elementwise (radians); NaN for ±Inf. Shapes: any → same.
 *
 * @throws DTypeError for a non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { cos } from 'intern-s1-ts';
 * cos(tf.tensor1d([0, Math.PI])).print(); // => [1, -1]
 * ```
 */
export function cos(x: tf.Tensor): tf.Tensor {
  return unary('cos', x, tf.cos);
}

/**
 * `y = tanh x` elementwise; ±1 for ±Inf. Shapes: any → same.
 *
 * @throws DTypeError for a non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { tanh } from 'intern-s1-ts';
 * tanh(tf.tensor1d([0, 100, -Infinity])).print(); // => [0, 1, -1]
 * ```
 */
export function tanh(x: tf.Tensor): tf.Tensor {
  return unary('tanh', x, tf.tanh);
}

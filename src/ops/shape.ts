/**
 * Thin, validated shape helpers (spec section 2: reshape/permute utilities, `pad`, `cat`):
 * `concat`, `slice`, `pad`, `transpose`, `reshape`, `unstack`. Each checks its arguments and throws a
 * ShapeError (or ValueError / DTypeError) naming the op, the argument and the shapes involved,
 * where tfjs would throw a generic message from deep inside or, for some inputs, misbehave.
 * They accept tensors of any dtype.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { checkTensor, fmtShape, normAxis } from '../util/check.js';

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * Concatenate along `axis` (`torch.cat`): every tensor has the same rank, dtype and dims except
 * along `axis`.
 *
 * Shapes: `[..., n_i, ...]` for each input → `[..., Σ n_i, ...]`.
 *
 * @param tensors - a non-empty array of tensors.
 * @param axis - negative counts from the end. Default 0.
 * @throws ValueError for an empty list; ShapeError for differing ranks or dims, or a bad axis;
 *   DTypeError for mixed dtypes.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { concat } from 'intern-s1-ts';
 * concat([tf.ones([2, 1]), tf.zeros([2, 2])], 1).print(); // => [[1, 0, 0], [1, 0, 0]]
 * ```
 */
export function concat(tensors: tf.Tensor[], axis = 0): tf.Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ValueError(`concat: 'tensors' must be a non-empty array`);
  tensors.forEach((t, i) => checkTensor('concat', `tensors[${i}]`, t));
  const first = tensors[0];
  if (first.rank === 0) throw new ShapeError(`concat: 'tensors[0]' is a scalar; concat needs rank >= 1`);
  const ax = normAxis('concat', axis, first.rank);
  tensors.forEach((t, i) => {
    if (t.dtype !== first.dtype) throw new DTypeError(`concat: 'tensors[${i}]' is ${t.dtype} but 'tensors[0]' is ${first.dtype}`);
    const same = t.rank === first.rank && t.shape.every((d, k) => k === ax || d === first.shape[k]);
    if (!same) {
      throw new ShapeError(`concat: 'tensors[${i}]' has shape ${fmtShape(t.shape)} but 'tensors[0]' has ${fmtShape(first.shape)} (all dims but axis ${ax} must match)`);
    }
  });
  return tf.tidy(() => (tensors.length === 1 ? tf.clone(first) : tf.concat(tensors, ax)));
}

/**
 * A contiguous block: `y[i...] = x[begin + i...]` for `0 ≤ i < size` on every axis.
 *
 * Shapes: `x [d_0, ..., d_{r-1}]` → `size` (with each -1 replaced by `d_k - begin_k`).
 *
 * @param x - any tensor of rank ≥ 1.
 * @param begin - one start per axis, each in [0, d_k].
 * @param size - one length per axis, -1 for "to the end"; default all -1.
 * @throws ShapeError when `begin`/`size` do not have one entry per axis or the block leaves `x`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { slice } from 'intern-s1-ts';
 * slice(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), [0, 1], [-1, 2]).print(); // => [[2, 3], [5, 6]]
 * ```
 */
export function slice(x: tf.Tensor, begin: number[], size?: number[]): tf.Tensor {
  checkTensor('slice', 'x', x);
  const sz = size ?? x.shape.map(() => -1);
  if (!Array.isArray(begin) || begin.length !== x.rank || !Array.isArray(sz) || sz.length !== x.rank) {
    throw new ShapeError(`slice: 'begin' and 'size' need one entry per axis of 'x' ${fmtShape(x.shape)}, got begin ${JSON.stringify(begin)}, size ${JSON.stringify(sz)}`);
  }
  const full = x.shape.map((d, k) => {
    const len = sz[k] === -1 ? d - begin[k] : sz[k];
    if (!isCount(begin[k]) || !isCount(len) || begin[k] + len > d) {
      throw new ShapeError(`slice: axis ${k} of 'x' ${fmtShape(x.shape)} has length ${d}; begin ${begin[k]} with size ${sz[k]} leaves it`);
    }
    return len;
  });
  return tf.tidy(() => tf.slice(x, begin, full));
}

/**
 * Constant padding: `paddings[k] = [before, after]` adds that many `value` entries on each side
 * of axis k (NumPy / tfjs order, one pair per axis, first axis first; PyTorch's `F.pad` lists the
 * last axis first instead).
 *
 * Shapes: `[d_0, ...]` → `[before_0 + d_0 + after_0, ...]`.
 *
 * @param x - any tensor of rank ≥ 1.
 * @param paddings - one `[before, after]` pair of non-negative integers per axis.
 * @param value - the fill value. Default 0. (A NaN fill is applied through a mask: raw `tf.pad`
 *   with NaN on wasm corrupts every later `tf.pad` in the process.)
 * @throws ShapeError unless there is one pair per axis; ValueError for negative or fractional
 *   amounts or a non-finite value on an int32 tensor.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { pad } from 'intern-s1-ts';
 * pad(tf.tensor1d([1, 2]), [[1, 2]], -1).print(); // => [-1, 1, 2, -1, -1]
 * ```
 */
export function pad(x: tf.Tensor, paddings: [number, number][], value = 0): tf.Tensor {
  checkTensor('pad', 'x', x);
  if (!Array.isArray(paddings) || paddings.length !== x.rank || x.rank === 0) {
    throw new ShapeError(`pad: 'paddings' needs one [before, after] pair per axis of 'x' ${fmtShape(x.shape)}, got ${JSON.stringify(paddings)}`);
  }
  paddings.forEach((p, k) => {
    if (!Array.isArray(p) || p.length !== 2 || !isCount(p[0]) || !isCount(p[1])) {
      throw new ValueError(`pad: 'paddings[${k}]' must be two non-negative integers, got ${JSON.stringify(p)}`);
    }
  });
  if (x.dtype === 'int32' && !Number.isInteger(value)) throw new ValueError(`pad: 'value' must be an integer for an int32 'x', got ${value}`);
  if (!Number.isNaN(value)) return tf.tidy(() => tf.pad(x, paddings, value));
  // A NaN fill goes through a mask: tfjs-wasm 4.22 caches its pad operator by fill value, and a
  // NaN key corrupts that cache, so every later tf.pad in the process (any value) fills NaN or a
  // stale value. Never hand NaN to tf.pad.
  return tf.tidy(() => {
    const inside = tf.cast(tf.pad(tf.onesLike(x), paddings, 0), 'bool'); // [padded shape]
    return tf.where(inside, tf.pad(x, paddings, 0), tf.fill(inside.shape, NaN, x.dtype));
  });
}

/**
 * Permute the axes: `y[i_{perm[0]}, ..., i_{perm[r-1]}] = x[i_0, ..., i_{r-1}]`, i.e. axis k of
 * the result is axis `perm[k]` of `x` (`torch.permute`).
 *
 * Shapes: `x [d_0, ..., d_{r-1}]` → `[d_{perm[0]}, ..., d_{perm[r-1]}]`.
 *
 * @param x - any tensor.
 * @param perm - a permutation of 0..r-1; default reverses the axes.
 * @throws ShapeError unless `perm` is a permutation of the axes of `x`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { transpose } from 'intern-s1-ts';
 * console.log(transpose(tf.zeros([2, 3, 4]), [2, 0, 1]).shape); // => [4, 2, 3]
 * ```
 */
export function transpose(x: tf.Tensor, perm?: number[]): tf.Tensor {
  checkTensor('transpose', 'x', x);
  const p = perm ?? x.shape.map((_, k) => x.rank - 1 - k);
  const isPerm = Array.isArray(p) && p.length === x.rank && [...p].sort((a, b) => a - b).every((v, k) => v === k);
  if (!isPerm) throw new ShapeError(`transpose: 'perm' ${JSON.stringify(p)} is not a permutation of the ${x.rank} axes of 'x' ${fmtShape(x.shape)}`);
  return tf.tidy(() => tf.transpose(x, p));
}

/**
 * Same elements in row-major order, new shape; at most one dim may be -1 (inferred).
 *
 * Shapes: `x [...]` → `shape`, with the same number of elements.
 *
 * @param x - any tensor.
 * @param shape - non-negative integers, at most one -1.
 * @throws ShapeError when the element counts differ, more than one dim is -1, -1 cannot be
 *   inferred (zero elements), or a dim is negative or fractional.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { reshape } from 'intern-s1-ts';
 * console.log(reshape(tf.zeros([2, 3, 4]), [6, -1]).shape); // => [6, 4]
 * ```
 */
export function reshape(x: tf.Tensor, shape: number[]): tf.Tensor {
  checkTensor('reshape', 'x', x);
  const bad = (why: string) => new ShapeError(`reshape: cannot reshape 'x' ${fmtShape(x.shape)} (${x.size} elements) to ${JSON.stringify(shape)}: ${why}`);
  if (!Array.isArray(shape) || shape.some((d) => d !== -1 && !isCount(d))) throw bad('dims must be non-negative integers or -1');
  const free = shape.filter((d) => d === -1).length;
  if (free > 1) throw bad('at most one dim may be -1');
  const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
  if (free === 1 && (known === 0 || x.size % known !== 0)) throw bad('the -1 dim cannot be inferred');
  const out = shape.map((d) => (d === -1 ? x.size / known : d));
  if (out.reduce((p, d) => p * d, 1) !== x.size) throw bad('the element counts differ');
  return tf.tidy(() => tf.reshape(x, out));
}

/**
 * Split along `axis` into `x.shape[axis]` tensors of rank r − 1: `y_i[...] = x[..., i, ...]`
 * (`torch.unbind`). Unlike `tf.unstack` it is differentiable for an axis of length 1: tfjs 4.22's
 * `Unpack` gradient hands its single upstream gradient to `stack` as a lone tensor and throws
 * "Argument tensors passed to stack must be a `Tensor[]`" (which broke every backward pass at
 * batch size 1, issue 16); a length-1 axis is therefore taken out with a reshape.
 *
 * Shapes: `x [d_0, ..., d_{r-1}]` → `d_axis` tensors `[d_0, ..., d_{axis-1}, d_{axis+1}, ...]`.
 *
 * @param x - any tensor of rank ≥ 1.
 * @param axis - negative counts from the end. Default 0.
 * @throws ShapeError for a scalar or an axis outside the rank.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { unstack } from 'intern-s1-ts';
 * const [a] = unstack(tf.ones([1, 3]));
 * console.log(a.shape); // => [3]
 * ```
 */
export function unstack(x: tf.Tensor, axis = 0): tf.Tensor[] {
  checkTensor('unstack', 'x', x);
  if (x.rank === 0) throw new ShapeError(`unstack: 'x' is a scalar; unstack needs rank >= 1`);
  const ax = normAxis('unstack', axis, x.rank);
  if (x.shape[ax] !== 1) return tf.unstack(x, ax);
  return [tf.reshape(x, x.shape.filter((_, k) => k !== ax))];
}

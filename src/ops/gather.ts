/**
 * Indexing ops (spec section 2): `gather` / `embedding` (with a gradient that works on wasm),
 * `oneHot` (float32, correct on wasm), and `segmentSum` / `indexAdd` (scatter-add, working on
 * wasm).
 *
 * Workarounds for tfjs-wasm 4.22, each covered by a test on both backends:
 * - wasm has no `UnsortedSegmentSum` kernel, and `tf.gather`'s gradient is built on it, so the
 *   gradient of `tf.gather` throws on wasm. {@link segmentSum} is `tf.scatterND` instead (which
 *   sums duplicate indices; O(m·R) work, no extra memory, unlike a one-hot matmul whose cost grows
 *   with the number of segments), and {@link gather} has a `customGrad` whose backward is that
 *   segment sum. scatterND is used on every backend: tfjs's cpu `UnsortedSegmentSum` sums
 *   `data · (ids == s)` for every segment s, which costs O(n·m·R) (hopeless for an embedding
 *   gradient over a 150k vocabulary) and spreads a NaN or Inf row into every segment.
 * - wasm's `tf.oneHot(..., 'float32')` returns denormals (1.4e-45) instead of 1; {@link oneHot}
 *   builds an int32 one-hot (correct) and casts it.
 *
 * Index validation: ids outside their range are a ValueError naming the first bad id (tfjs 4.22
 * throws a plain Error from inside the cpu/wasm kernel and returns zeros on other backends, and
 * `tf.oneHot` / `tf.unsortedSegmentSum` silently drop such ids). The check reads the int32
 * indices back once (a sync; indices are small next to the data they address).
 *
 * Shape legend: V table rows (vocabulary), D width, m number of indices, n segments.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { checkFloat, checkInt, checkMinRank, checkRank, checkTensor, fmtShape, normAxis } from '../util/check.js';

/** Throw a ValueError naming the first id outside [0, n). */
function checkIds(op: string, arg: string, ids: tf.Tensor, n: number, what: string): void {
  const v = ids.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (v[i] < 0 || v[i] >= n) {
      throw new ValueError(`${op}: '${arg}' holds ${v[i]} at flat position ${i}, outside [0, ${n}) (${what})`);
    }
  }
}

/** Sum of the rows of `data [m, ...]` per segment id (no validation; see {@link segmentSum}). */
function segmentSumKernel(data: tf.Tensor, ids: tf.Tensor1D, n: number): tf.Tensor {
  const outShape = [n, ...data.shape.slice(1)];
  if (data.shape[0] === 0) return tf.zeros(outShape);
  // scatterND adds the updates of duplicate indices (pinned by the tests on cpu and wasm).
  return tf.scatterND(tf.reshape(ids, [-1, 1]), data, outShape);
}

/** `segmentSumKernel` with the gradient `d data = dy[ids]` (a gather, which wasm has). */
function segmentSumWithGrad(data: tf.Tensor, ids: tf.Tensor1D, n: number): tf.Tensor {
  const f = tf.customGrad(((d: tf.Tensor) => ({
    value: segmentSumKernel(d, ids, n), // [n, ...]
    gradFunc: (dy: tf.Tensor) => tf.gather(dy, ids), // [m, ...]
  })) as never) as unknown as (d: tf.Tensor) => tf.Tensor;
  return f(data);
}

/**
 * The gradient of {@link gather} with respect to `x`: the scatter-add of the upstream gradient,
 * `dx[..., indices[j], ...] += dy[..., j, ...]` along `axis`.
 *
 * Shapes: `dy [...x.shape[:axis], ...indices.shape, ...x.shape[axis+1:]]` → `xShape`.
 * Works on every backend (uses {@link segmentSum}'s kernel choice); indices are not re-validated.
 * `dy`'s size must be `indices.size` times the size of `xShape` without `axis`.
 *
 * @param dy - float32 upstream gradient.
 * @param indices - the int32 indices given to `gather`.
 * @param xShape - the shape of the gathered-from tensor.
 * @param axis - the gather axis. Default 0.
 * @throws ShapeError for a bad axis; DTypeError for a non-float32 `dy` or non-int32 indices.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { gatherGrad } from 'intern-s1-ts';
 * gatherGrad(tf.ones([3, 2]), tf.tensor1d([0, 0, 2], 'int32'), [4, 2]).print(); // => [[2,2],[0,0],[1,1],[0,0]]
 * ```
 */
export function gatherGrad(dy: tf.Tensor, indices: tf.Tensor, xShape: number[], axis = 0): tf.Tensor {
  checkFloat('gatherGrad', 'dy', dy);
  checkInt('gatherGrad', 'indices', indices);
  const ax = normAxis('gatherGrad', axis, xShape.length);
  const pre = xShape.slice(0, ax).reduce((p, d) => p * d, 1);
  const post = xShape.slice(ax + 1).reduce((p, d) => p * d, 1);
  const n = xShape[ax];
  const m = indices.size;
  return tf.tidy(() => {
    const g = tf.transpose(tf.reshape(dy, [pre, m, post]), [1, 0, 2]); // [m, pre, post]
    const ids = tf.reshape(indices, [m]) as tf.Tensor1D; // [m]
    const s = segmentSumKernel(tf.reshape(g, [m, pre * post]), ids, n); // [n, pre·post]
    return tf.reshape(tf.transpose(tf.reshape(s, [n, pre, post]), [1, 0, 2]), xShape); // xShape
  });
}

/** `tf.gather` along `axis` with the wasm-safe gradient of {@link gatherGrad} (float32 `x`). */
function gatherWithGrad(x: tf.Tensor, indices: tf.Tensor, axis: number): tf.Tensor {
  if (x.dtype !== 'float32') return tf.gather(x, indices, axis);
  // `save` keeps the indices alive until the backward pass even when the caller created them
  // inside a tidy that has ended (a closure over `indices` would see a disposed tensor).
  const f = tf.customGrad(((xx: tf.Tensor, save: tf.GradSaveFunc) => {
    save([indices]);
    return {
      value: tf.gather(xx, indices, axis),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => gatherGrad(dy, saved[0], xx.shape, axis),
    };
  }) as never) as unknown as (xx: tf.Tensor) => tf.Tensor;
  return f(x);
}

/**
 * Select slices of `x` along `axis`: `y[a..., j..., b...] = x[a..., indices[j...], b...]`
 * (`torch.index_select` for 1-D indices, `tf.gather` for any rank).
 *
 * Shapes: `x [...A, n, ...B]`, `indices [...J]` → `[...A, ...J, ...B]`.
 *
 * The gradient with respect to `x` is the scatter-add {@link gatherGrad}, which works on wasm
 * (tfjs's own gather gradient needs `UnsortedSegmentSum`, which wasm lacks).
 *
 * @param x - float32 or int32, rank ≥ 1.
 * @param indices - int32, any rank, values in [0, n).
 * @param axis - the axis of `x` to index; negative counts from the end. Default 0.
 * @throws ValueError naming the first index outside [0, n); ShapeError for a bad axis or a scalar
 *   `x`; DTypeError for non-int32 indices or a `x` that is neither float32 nor int32.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { gather } from 'intern-s1-ts';
 * const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
 * gather(x, tf.tensor1d([2, 0], 'int32'), 1).print(); // => [[3, 1], [6, 4]]
 * ```
 */
export function gather(x: tf.Tensor, indices: tf.Tensor, axis = 0): tf.Tensor {
  checkTensor('gather', 'x', x);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new DTypeError(`gather: 'x' must be float32 or int32, got ${x.dtype}`);
  }
  checkInt('gather', 'indices', indices);
  checkMinRank('gather', 'x', x, 1);
  const ax = normAxis('gather', axis, x.rank);
  checkIds('gather', 'indices', indices, x.shape[ax], `axis ${ax} of 'x' ${fmtShape(x.shape)}`);
  return tf.tidy(() => gatherWithGrad(x, indices, ax));
}

/**
 * Embedding lookup (spec 3.1: `x0 = embed_tokens[ids]`): `y[t..., :] = table[ids[t...], :]`.
 *
 * Shapes: `table [V, D]`, `ids [...T]` → `[...T, D]`. Differentiable with respect to `table` on
 * every backend (see {@link gather}).
 *
 * @param table - float32 `[V, D]`.
 * @param ids - int32, any rank, values in [0, V).
 * @throws ValueError naming the first id outside [0, V) (tfjs would throw from inside its kernel
 *   or return zeros); ShapeError for a table that is not rank 2; DTypeError for non-int32 ids or a
 *   non-float32 table.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { embedding } from 'intern-s1-ts';
 * const table = tf.tensor2d([[0, 0], [1, 1], [2, 2]]); // [V 3, D 2]
 * embedding(table, tf.tensor1d([2, 1, 2], 'int32')).print(); // => [[2, 2], [1, 1], [2, 2]]
 * ```
 */
export function embedding(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  checkFloat('embedding', 'table', table);
  checkInt('embedding', 'ids', ids);
  checkRank('embedding', 'table', table, 2);
  checkIds('embedding', 'ids', ids, table.shape[0], `rows of 'table' ${fmtShape(table.shape)}`);
  return tf.tidy(() => gatherWithGrad(table, ids, 0));
}

/**
 * One-hot encoding as float32: `y[i..., c] = 1 if indices[i...] = c else 0`
 * (`torch.nn.functional.one_hot(indices, depth).float()`).
 *
 * Shapes: `indices [...I]` → `[...I, depth]` (float32).
 *
 * Built as an int32 one-hot and cast: wasm's `tf.oneHot(..., 'float32')` writes the int32 bit
 * pattern of 1 into float32 storage (1.4e-45), a bug a test covers.
 *
 * @param indices - int32, any rank, values in [0, depth).
 * @param depth - the number of classes, an integer ≥ 1.
 * @throws ValueError naming the first index outside [0, depth) (as PyTorch; tfjs would give a
 *   zero row) or for a bad depth; DTypeError for non-int32 indices.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { oneHot } from 'intern-s1-ts';
 * oneHot(tf.tensor1d([0, 2], 'int32'), 3).print(); // => [[1, 0, 0], [0, 0, 1]]
 * ```
 */
export function oneHot(indices: tf.Tensor, depth: number): tf.Tensor {
  checkInt('oneHot', 'indices', indices);
  if (!Number.isInteger(depth) || depth < 1) {
    throw new ValueError(`oneHot: 'depth' must be an integer >= 1, got ${depth}`);
  }
  checkIds('oneHot', 'indices', indices, depth, `depth ${depth}`);
  if (depth === 1) return tf.ones([...indices.shape, 1]); // every index is 0; tf.oneHot needs depth >= 2
  return tf.tidy(() => tf.cast(tf.oneHot(indices, depth, 1, 0, 'int32'), 'float32'));
}

/** Validate `data [m, ...]`, `ids [m]` in [0, n) and `n` for segmentSum / indexAdd. */
function checkSegments(op: string, dataName: string, data: tf.Tensor, idsName: string, ids: tf.Tensor, n: number): void {
  checkFloat(op, dataName, data);
  checkInt(op, idsName, ids);
  checkMinRank(op, dataName, data, 1);
  checkRank(op, idsName, ids, 1);
  if (ids.shape[0] !== data.shape[0]) {
    throw new ShapeError(`${op}: '${idsName}' has length ${ids.shape[0]} but '${dataName}' has ${data.shape[0]} rows (shape ${fmtShape(data.shape)})`);
  }
  checkIds(op, idsName, ids, n, `${n} segments`);
}

/**
 * Unsorted segment sum (scatter-add): `y[s, ...] = Σ_{i : segmentIds[i] = s} data[i, ...]`;
 * segments that no id names are 0.
 *
 * Shapes: `data [m, ...R]`, `segmentIds [m]` → `[numSegments, ...R]`.
 *
 * Computed with `tf.scatterND` on every backend (it adds duplicates; O(m·R) work, no `[n, m]`
 * one-hot; wasm lacks `UnsortedSegmentSum`, and cpu's costs O(n·m·R) and spreads NaN across
 * segments). The gradient with respect to `data` is `dy[segmentIds]` on every backend.
 *
 * @param data - float32, rank ≥ 1.
 * @param segmentIds - int32 `[m]`, values in [0, numSegments).
 * @param numSegments - the number of output rows, an integer ≥ 1.
 * @throws ValueError naming the first id outside [0, numSegments) or for a bad numSegments;
 *   ShapeError when the lengths differ; DTypeError for wrong dtypes.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { segmentSum } from 'intern-s1-ts';
 * const data = tf.tensor2d([[1, 1], [2, 2], [4, 4]]);
 * segmentSum(data, tf.tensor1d([0, 2, 0], 'int32'), 3).print(); // => [[5, 5], [0, 0], [2, 2]]
 * ```
 */
export function segmentSum(data: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor {
  if (!Number.isInteger(numSegments) || numSegments < 1) {
    throw new ValueError(`segmentSum: 'numSegments' must be an integer >= 1, got ${numSegments}`);
  }
  checkSegments('segmentSum', 'data', data, 'segmentIds', segmentIds, numSegments);
  return tf.tidy(() => segmentSumWithGrad(data, segmentIds as tf.Tensor1D, numSegments));
}

/**
 * `x` plus rows of `source` added at `indices` along axis 0, as `torch.Tensor.index_add(0,
 * indices, source)` (the MoE combine, spec 3.4): `y = x; y[indices[i], ...] += source[i, ...]`.
 * Repeated indices accumulate. Differentiable in `x` and `source` on every backend.
 *
 * Shapes: `x [n, ...R]`, `indices [m]`, `source [m, ...R]` → `[n, ...R]`.
 *
 * @param x - float32, rank ≥ 1.
 * @param indices - int32 `[m]`, values in [0, n).
 * @param source - float32 `[m, ...R]`.
 * @throws ValueError naming the first index outside [0, n); ShapeError when `source`'s rows
 *   differ from `x`'s or the lengths differ; DTypeError for wrong dtypes.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { indexAdd } from 'intern-s1-ts';
 * const y = indexAdd(tf.zeros([3, 2]), tf.tensor1d([2, 2], 'int32'), tf.ones([2, 2]));
 * y.print(); // => [[0, 0], [0, 0], [2, 2]]
 * ```
 */
export function indexAdd(x: tf.Tensor, indices: tf.Tensor, source: tf.Tensor): tf.Tensor {
  checkFloat('indexAdd', 'x', x);
  checkMinRank('indexAdd', 'x', x, 1);
  checkSegments('indexAdd', 'source', source, 'indices', indices, x.shape[0]);
  const rowX = x.shape.slice(1);
  const rowS = source.shape.slice(1);
  if (rowX.length !== rowS.length || rowX.some((d, i) => d !== rowS[i])) {
    throw new ShapeError(`indexAdd: 'source' rows have shape ${fmtShape(rowS)} but 'x' rows have ${fmtShape(rowX)}`);
  }
  return tf.tidy(() => tf.add(x, segmentSumWithGrad(source, indices as tf.Tensor1D, x.shape[0])));
}

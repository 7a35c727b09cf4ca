/**
 * Reference indexing ops (spec section 2), float64, plain loops over output (or input) elements.
 *
 * @module
 */
import { type NDArray, normAxis, sizeOf, toFlat, unravel, zeros } from '../ndarray.js';

/** Throw unless every id is an integer in [0, n). */
function checkIds(op: string, ids: NDArray, n: number): Float64Array {
  const v = toFlat(ids);
  v.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= n) throw new Error(`${op}: id ${id} at ${i} is outside [0, ${n})`);
  });
  return v;
}

/**
 * `y[a..., j..., b...] = x[a..., indices[j...], b...]` along `axis`.
 * `x [...A, n, ...B]`, `indices [...J]` → `[...A, ...J, ...B]`.
 */
export function gather(x: NDArray, indices: NDArray, axis = 0): NDArray {
  const ax = normAxis(axis, x.shape.length);
  const ids = checkIds('gather', indices, x.shape[ax]);
  const J = indices.shape.length;
  const out = zeros([...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)]);
  for (let o = 0; o < out.size; o++) {
    const idx = unravel(o, out.shape);
    const j = idx.slice(ax, ax + J).reduce((f, v, d) => f * indices.shape[d] + v, 0);
    out.data[o] = x.get(...idx.slice(0, ax), ids[j], ...idx.slice(ax + J));
  }
  return out;
}

/**
 * Analytic gradient of {@link gather}: the scatter-add `dx[a..., indices[j...], b...] += dy[a..., j..., b...]`.
 * `dy [...A, ...J, ...B]` → `xShape = [...A, n, ...B]`.
 */
export function gatherGrad(dy: NDArray, indices: NDArray, xShape: number[], axis = 0): NDArray {
  const ax = normAxis(axis, xShape.length);
  const ids = checkIds('gatherGrad', indices, xShape[ax]);
  const J = indices.shape.length;
  const dx = zeros(xShape);
  for (let o = 0; o < dy.size; o++) {
    const idx = unravel(o, dy.shape);
    const j = idx.slice(ax, ax + J).reduce((f, v, d) => f * indices.shape[d] + v, 0);
    const at = [...idx.slice(0, ax), ids[j], ...idx.slice(ax + J)];
    dx.set(...at, dx.get(...at) + dy.get(...idx));
  }
  return dx;
}

/** `y[t..., :] = table[ids[t...], :]`. `table [V, D]`, `ids [...T]` → `[...T, D]`. */
export function embedding(table: NDArray, ids: NDArray): NDArray {
  return gather(table, ids, 0);
}

/** `y[i..., c] = 1 if indices[i...] = c else 0`. `indices [...I]` → `[...I, depth]`. */
export function oneHot(indices: NDArray, depth: number): NDArray {
  const ids = checkIds('oneHot', indices, depth);
  const out = zeros([...indices.shape, depth]);
  ids.forEach((c, i) => {
    out.data[i * depth + c] = 1;
  });
  return out;
}

/**
 * `y[s, ...] = Σ_{i : segmentIds[i] = s} data[i, ...]` (0 for segments no id names).
 * `data [m, ...R]`, `segmentIds [m]` → `[numSegments, ...R]`.
 */
export function segmentSum(data: NDArray, segmentIds: NDArray, numSegments: number): NDArray {
  const ids = checkIds('segmentSum', segmentIds, numSegments);
  const rowShape = data.shape.slice(1);
  const r = sizeOf(rowShape);
  const src = toFlat(data);
  const out = zeros([numSegments, ...rowShape]);
  for (let i = 0; i < ids.length; i++) {
    for (let e = 0; e < r; e++) out.data[ids[i] * r + e] += src[i * r + e];
  }
  return out;
}

/**
 * `y = x; y[indices[i], ...] += source[i, ...]` (`torch.Tensor.index_add(0, indices, source)`).
 * `x [n, ...R]`, `indices [m]`, `source [m, ...R]` → `[n, ...R]`.
 */
export function indexAdd(x: NDArray, indices: NDArray, source: NDArray): NDArray {
  const added = segmentSum(source, indices, x.shape[0]);
  const base = toFlat(x);
  for (let i = 0; i < base.length; i++) added.data[i] += base[i];
  return added;
}

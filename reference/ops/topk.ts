/**
 * Reference top-k along the last axis (spec section 2), float64, one row at a time.
 *
 * @module
 */
import { type NDArray, sizeOf, toFlat, zeros } from '../ndarray.js';

/** float32's largest finite value. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** The result of {@link topk}. */
export interface TopK {
  /** The k largest values of each row, largest first: `[..., k]`. */
  values: NDArray;
  /** Their positions along the last axis: `[..., k]`. */
  indices: NDArray;
}

/**
 * The `k` largest entries of each row, largest first; equal keys go to the lower index. The key of
 * a value is the value clamped to ±3.4028235e38 (float32's largest finite value), with NaN as
 * +3.4028235e38: NaN, +Inf and 3.4028235e38 tie, as do -Inf and -3.4028235e38.
 * `x [..., n]` → `values [..., k]`, `indices [..., k]`.
 */
export function topk(x: NDArray, k: number): TopK {
  const n = x.shape[x.shape.length - 1];
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`topk: k = ${k} is not in [1, ${n}]`);
  const outShape = [...x.shape.slice(0, -1), k];
  const values = zeros(outShape);
  const indices = zeros(outShape);
  const flat = toFlat(x);
  for (let r = 0; r < sizeOf(x.shape.slice(0, -1)); r++) {
    const row = flat.subarray(r * n, (r + 1) * n);
    const key = (i: number) => (Number.isNaN(row[i]) ? FLOAT32_MAX : Math.min(Math.max(row[i], -FLOAT32_MAX), FLOAT32_MAX));
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((i, j) => (key(i) !== key(j) ? (key(i) > key(j) ? -1 : 1) : i - j));
    for (let j = 0; j < k; j++) {
      values.data[r * k + j] = row[order[j]];
      indices.data[r * k + j] = order[j];
    }
  }
  return { values, indices };
}

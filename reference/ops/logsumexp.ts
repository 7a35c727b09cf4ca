/**
 * Reference log-sum-exp (spec section 2), float64, one line at a time.
 *
 * @module
 */
import { type NDArray, mapLines, normAxis, reshape } from '../ndarray.js';

/**
 * `logsumexp(x) = m + log Σ_i exp(x_i - m)` along `axis`, `m = max_i x_i` (0 when ±Inf, as
 * `torch.logsumexp`): only -Inf gives -Inf, any +Inf gives +Inf, any NaN gives NaN.
 */
export function logsumexp(x: NDArray, axis = -1, keepDims = false): NDArray {
  const ax = normAxis(axis, x.shape.length);
  const full = mapLines(x, ax, (line) => {
    let m = -Infinity;
    for (const v of line) m = Number.isNaN(v) || v > m ? v : m;
    if (!Number.isFinite(m) && !Number.isNaN(m)) m = 0;
    let s = 0;
    for (const v of line) s += Math.exp(v - m);
    return line.map(() => m + Math.log(s)); // the same value at every position of the line
  });
  const kept = x.shape.map((d, i) => (i === ax ? 1 : d));
  const first = full.pick(...x.shape.map((_, i) => (i === ax ? 0 : null))) as NDArray;
  return reshape(first, keepDims ? kept : x.shape.filter((_, i) => i !== ax));
}

/**
 * Reference softmax and log-softmax (spec section 2), float64, one line at a time.
 *
 * @module
 */
import { type NDArray, mapLines } from '../ndarray.js';

/**
 * `softmax(x)_i = exp(x_i - m) / Σ_j exp(x_j - m)` with `m = max_j x_j`, along `axis`.
 * Subtracting the maximum keeps every exponent ≤ 0, so ±1000 inputs do not overflow.
 * A line containing +Inf or only -Inf gives NaN (as PyTorch does); NaN in, NaN out.
 */
export function softmax(x: NDArray, axis = -1): NDArray {
  return mapLines(x, axis, (line) => {
    const m = Math.max(...line);
    const e = line.map((v) => Math.exp(v - m));
    let s = 0;
    for (const v of e) s += v;
    return e.map((v) => v / s);
  });
}

/** `logSoftmax(x)_i = x_i - m - log Σ_j exp(x_j - m)` along `axis`. */
export function logSoftmax(x: NDArray, axis = -1): NDArray {
  return mapLines(x, axis, (line) => {
    const m = Math.max(...line);
    let s = 0;
    for (const v of line) s += Math.exp(v - m);
    const lse = m + Math.log(s);
    return line.map((v) => v - lse);
  });
}

/**
 * Reference RMSNorm and LayerNorm (spec 3.1 and section 2), float64, one row at a time over the
 * last axis.
 *
 * @module
 */
import { type NDArray, mapLines } from '../ndarray.js';

/**
 * RMSNorm over the last axis (spec 3.1), normalise first, then scale:
 * $$ y = w \odot \frac{x}{\sqrt{\tfrac{1}{D}\sum_{i=1}^{D} x_i^2 + \varepsilon}} $$
 * (ASCII: `y = w ⊙ (x / √(mean(x²) + eps))`); a null weight is all ones. Shape preserved.
 */
export function rmsNorm(x: NDArray, weight: NDArray | null, eps = 1e-6): NDArray {
  return mapLines(x, -1, (row) => {
    let sumSq = 0;
    for (const v of row) sumSq += v * v;
    const inv = 1 / Math.sqrt(sumSq / row.length + eps);
    return row.map((v, i) => v * inv * (weight ? weight.get(i) : 1));
  });
}

/**
 * LayerNorm over the last axis, with the biased (population) variance:
 * $$ y = \frac{x - \mu}{\sqrt{\sigma^2 + \varepsilon}} \odot w + b, \qquad \mu = \tfrac{1}{D}\sum_i x_i, \quad \sigma^2 = \tfrac{1}{D}\sum_i (x_i - \mu)^2 $$
 * (ASCII: `y = (x - μ) / √(σ² + eps) ⊙ w + b`); a null weight is ones, a null bias zeros.
 */
export function layerNorm(x: NDArray, weight: NDArray | null, bias: NDArray | null, eps = 1e-5): NDArray {
  return mapLines(x, -1, (row) => {
    let mu = 0;
    for (const v of row) mu += v / row.length;
    let variance = 0;
    for (const v of row) variance += (v - mu) ** 2 / row.length;
    const inv = 1 / Math.sqrt(variance + eps);
    return row.map((v, i) => (v - mu) * inv * (weight ? weight.get(i) : 1) + (bias ? bias.get(i) : 0));
  });
}

/**
 * Reference RMSNorm and LayerNorm (spec 3.1 and section 2), float64, one row at a time over the
 * last axis.
 *
 * @module
 */
import { type NDArray, mapLines } from '../ndarray.js';

/** `y = w ⊙ (x / √(mean(x²) + eps))` over the last axis (normalise first, then scale). */
export function rmsNorm(x: NDArray, weight: NDArray | null, eps = 1e-6): NDArray {
  return mapLines(x, -1, (row) => {
    let sumSq = 0;
    for (const v of row) sumSq += v * v;
    const inv = 1 / Math.sqrt(sumSq / row.length + eps);
    return row.map((v, i) => v * inv * (weight ? weight.get(i) : 1));
  });
}

/** `y = (x - μ) / √(σ² + eps) ⊙ w + b`, `μ = mean(x)`, `σ² = mean((x - μ)²)`, over the last axis. */
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

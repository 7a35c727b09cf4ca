/**
 * Reference language-model loss (issue 16): HF's shifted mean next-token cross-entropy, float64,
 * one position at a time.
 *
 * @module
 */
import type { NDArray } from '../ndarray.js';

/** Labels equal to this are not predicted (HF's `-100`). */
export const IGNORE_INDEX = -100;

/**
 * `Σ_{b,t: y ≠ −100} (logsumexp(logits[b, t−1]) − logits[b, t−1, y_{b,t}]) / #counted`, with
 * `y = labels[b][t]` for t ≥ 1; 0 when nothing is counted.
 */
export function causalLmLoss(logits: NDArray, labels: readonly (readonly number[])[]): number {
  const [B, T, V] = logits.shape;
  let sum = 0;
  let n = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 1; t < T; t++) {
      const y = labels[b][t];
      if (y === IGNORE_INDEX) continue;
      let max = -Infinity;
      for (let v = 0; v < V; v++) max = Math.max(max, logits.get(b, t - 1, v));
      let s = 0;
      for (let v = 0; v < V; v++) s += Math.exp(logits.get(b, t - 1, v) - max);
      sum += max + Math.log(s) - logits.get(b, t - 1, y);
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}

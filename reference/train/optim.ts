/**
 * Reference optimizer updates (issue 16), float64, element by element: PyTorch's AdamW and SGD
 * with momentum (formulas in `src/train/optim.ts`).
 *
 * @module
 */
import { type NDArray, zeros } from '../ndarray.js';

export type { OptimizerConfig } from '../../src/train/optimizer-config.js';
import type { OptimizerConfig } from '../../src/train/optimizer-config.js';

/** AdamW at step t: `p ← p(1 − lr λ) − lr · m̂ / (√v̂ + ε)`; returns `[p, m, v]`. */
export function adamwUpdate(p: NDArray, g: NDArray, m: NDArray, v: NDArray, t: number, c: OptimizerConfig): [NDArray, NDArray, NDArray] {
  const [po, mo, vo] = [zeros(p.shape), zeros(p.shape), zeros(p.shape)];
  for (let i = 0; i < p.size; i++) {
    const gi = g.data[i];
    mo.data[i] = c.beta1 * m.data[i] + (1 - c.beta1) * gi;
    vo.data[i] = c.beta2 * v.data[i] + (1 - c.beta2) * gi * gi;
    const mHat = mo.data[i] / (1 - c.beta1 ** t);
    const vHat = vo.data[i] / (1 - c.beta2 ** t);
    po.data[i] = p.data[i] * (1 - c.lr * c.weightDecay) - c.lr * mHat / (Math.sqrt(vHat) + c.eps);
  }
  return [po, mo, vo];
}

/** SGD with momentum at step t: `b ← μ b + (g + λ p)` (`b = g + λ p` at t = 1), `p ← p − lr b`; returns `[p, b]`. */
export function sgdUpdate(p: NDArray, g: NDArray, b: NDArray, t: number, c: OptimizerConfig): [NDArray, NDArray] {
  const [po, bo] = [zeros(p.shape), zeros(p.shape)];
  for (let i = 0; i < p.size; i++) {
    const gi = g.data[i] + c.weightDecay * p.data[i];
    bo.data[i] = t === 1 ? gi : c.momentum * b.data[i] + gi;
    po.data[i] = p.data[i] - c.lr * bo.data[i];
  }
  return [po, bo];
}

/**
 * The optimizer's hyper-parameters and their defaults: pure data, tfjs-free, shared by the fast
 * path (`src/train/optim.ts`) and the reference updates (`reference/train/optim.ts`).
 *
 * @module
 */
import { ValueError } from '../errors.js';

/** The learning rate, betas, weight decay and momentum of an `Optimizer`. */
export interface OptimizerOptions {
  /** `'adamw'` (default) or `'sgd'` (with momentum). */
  kind?: 'adamw' | 'sgd';
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** AdamW β1 (default 0.9). */
  beta1?: number;
  /** AdamW β2 (default 0.999). */
  beta2?: number;
  /** AdamW ε (default 1e-8). */
  eps?: number;
  /** λ: decoupled decay for AdamW (default 0.01, PyTorch's), L2 for SGD (default 0). */
  weightDecay?: number;
  /** SGD momentum μ (default 0.9). */
  momentum?: number;
}

/** The optimizer's hyper-parameters with every default filled in. */
export type OptimizerConfig = Required<OptimizerOptions>;

/** Fill in defaults and validate. */
export function optimizerConfig(o: OptimizerOptions = {}): OptimizerConfig {
  const kind = o.kind ?? 'adamw';
  if (kind !== 'adamw' && kind !== 'sgd') throw new ValueError(`optimizer: kind must be 'adamw' or 'sgd', got '${String(kind)}'`);
  const c: OptimizerConfig = {
    kind, lr: o.lr ?? 1e-3, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.999, eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? (kind === 'adamw' ? 0.01 : 0), momentum: o.momentum ?? 0.9,
  };
  for (const [k, v] of Object.entries(c)) {
    if (k !== 'kind' && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new ValueError(`optimizer: '${k}' must be a finite number >= 0, got ${v}`);
  }
  if (c.beta1 >= 1 || c.beta2 >= 1) throw new ValueError(`optimizer: beta1 and beta2 must be < 1, got ${c.beta1}, ${c.beta2}`);
  return Object.freeze(c);
}

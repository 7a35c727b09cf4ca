/**
 * Optimizers of the train step (issue 16): AdamW (decoupled weight decay) and SGD with momentum,
 * on tfjs tensors, with a state that saves and restores exactly.
 *
 * ```
 * AdamW (Loshchilov & Hutter; PyTorch torch.optim.AdamW):
 *   p ← p − lr·λ·p;  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²
 *   p ← p − lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + ε)
 * SGD with momentum (PyTorch torch.optim.SGD, dampening 0):
 *   g ← g + λ p;  b ← μ b + g  (b = g at t = 1);  p ← p − lr · b
 * ```
 *
 * Decision: these are written here rather than taken from `tf.train`: tfjs has no AdamW (its
 * Adam has no weight decay), and its Adam restores the bias-correction powers with `pow` while a
 * running optimizer multiplies them step by step, so a resumed run would differ in the last bits
 * from an uninterrupted one. Here β^t is computed from the step count in float64 on the host,
 * and the state is just m and v (or b) per parameter: a resumed run is bit-identical.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';

export { type OptimizerConfig, type OptimizerOptions, optimizerConfig } from './optimizer-config.js';
import { type OptimizerConfig, type OptimizerOptions, optimizerConfig } from './optimizer-config.js';

/**
 * One AdamW update of one parameter at step t (1-based): returns the new `[p, m, v]`.
 * Shapes: p, g, m, v all alike.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { adamwUpdate, optimizerConfig } from 'intern-s1-ts';
 * const [p] = adamwUpdate(tf.ones([2]), tf.ones([2]), tf.zeros([2]), tf.zeros([2]), 1, optimizerConfig({ lr: 0.1, weightDecay: 0 }));
 * p.print(); // ~> [0.9, 0.9]  -- the first Adam step moves by lr
 * ```
 */
export function adamwUpdate(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, t: number, c: OptimizerConfig): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const m1 = tf.add(tf.mul(m, c.beta1), tf.mul(g, 1 - c.beta1));
    const v1 = tf.add(tf.mul(v, c.beta2), tf.mul(tf.square(g), 1 - c.beta2));
    const bc1 = 1 - Math.pow(c.beta1, t);
    const bc2 = 1 - Math.pow(c.beta2, t);
    const step = tf.div(tf.div(m1, bc1), tf.add(tf.sqrt(tf.div(v1, bc2)), c.eps));
    const decayed = c.weightDecay === 0 ? p : tf.mul(p, 1 - c.lr * c.weightDecay);
    return [tf.sub(decayed, tf.mul(step, c.lr)), m1, v1];
  });
}

/**
 * One SGD-with-momentum update at step t (1-based): returns the new `[p, b]`.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { optimizerConfig, sgdUpdate } from 'intern-s1-ts';
 * const [p] = sgdUpdate(tf.ones([1]), tf.ones([1]), tf.zeros([1]), 1, optimizerConfig({ kind: 'sgd', lr: 0.5 }));
 * p.print(); // => [0.5]
 * ```
 */
export function sgdUpdate(p: tf.Tensor, g: tf.Tensor, b: tf.Tensor, t: number, c: OptimizerConfig): [tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const gd = c.weightDecay === 0 ? g : tf.add(g, tf.mul(p, c.weightDecay));
    const b1 = t === 1 ? tf.clone(gd) : tf.add(tf.mul(b, c.momentum), gd);
    return [tf.sub(p, tf.mul(b1, c.lr)), b1];
  });
}

/** Per-parameter optimizer state, by parameter name: `[m, v]` (AdamW) or `[b]` (SGD). */
export type OptimizerSlots = Map<string, tf.Tensor[]>;

/** An optimizer over named variables; its state is `step` and {@link OptimizerSlots}. */
export class Optimizer {
  /** Updates applied so far. */
  step = 0;
  /** Moment buffers per parameter name (created at the first update). */
  readonly slots: OptimizerSlots = new Map();
  /** The hyper-parameters. */
  readonly config: OptimizerConfig;

  constructor(opts: OptimizerOptions = {}) {
    this.config = optimizerConfig(opts);
  }

  /** Apply one update: `vars[name] ← update(vars[name], grads[name])` for every gradient given. */
  apply(vars: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>): void {
    const t = this.step + 1;
    const c = this.config;
    for (const [name, g] of grads) {
      const p = vars.get(name);
      if (!p) throw new ValueError(`Optimizer: a gradient for '${name}', which is not a parameter`);
      const n = c.kind === 'adamw' ? 2 : 1;
      const s = this.slots.get(name) ?? Array.from({ length: n }, () => tf.zerosLike(p));
      const out = c.kind === 'adamw' ? adamwUpdate(p, g, s[0], s[1], t, c) : sgdUpdate(p, g, s[0], t, c);
      p.assign(out[0]);
      out[0].dispose();
      tf.dispose(s);
      this.slots.set(name, out.slice(1));
    }
    this.step = t;
  }

  /** Release the state. */
  dispose(): void {
    for (const s of this.slots.values()) tf.dispose(s);
    this.slots.clear();
  }
}

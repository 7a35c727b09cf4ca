/**
 * Normalisation layers built from checkpoint weights: `RMSNorm` (spec 3.1, 6.1.2) and `LayerNorm`
 * (spec 6.1.2, 6.2.2, 7). The math lives in `ops/norm.ts`; these hold the weights.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { WeightSource } from '../io/weights.js';
import { layerNorm, rmsNorm } from '../ops/norm.js';
import type { Disposable } from './linear.js';

/**
 * `y = w ⊙ x / sqrt(mean(x²) + eps)` over the last axis, normalising in float32 before the weight
 * (spec 3.1). Loads `<prefix>.weight [D]`.
 *
 * $y = w \odot x / \sqrt{\operatorname{mean}(x^2) + \varepsilon}$. Reference twin: {@link reference!RMSNorm | RMSNorm}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { RMSNorm, memoryWeights } from 'intern-s1-ts';
 * const w = memoryWeights({ 'norm.weight': { dtype: 'F32', shape: [2], data: [1, 2] } });
 * const norm = RMSNorm.fromWeights(w, 'norm', 1e-6);
 * norm.forward(tf.tensor2d([[3, 4]])).print(); // ~> [[0.8485, 2.2627]]
 * norm.dispose();
 * ```
 */
export class RMSNorm implements Disposable {
  constructor(
    /** The scale `w [D]`. */
    readonly weight: tf.Tensor1D,
    /** Added to `mean(x²)` before the square root. */
    readonly eps: number,
  ) {}

  /** Load `<prefix>.weight [D]` from a checkpoint. */
  static fromWeights(weights: WeightSource, prefix: string, eps: number): RMSNorm {
    return new RMSNorm(weights.tensor(`${prefix}.weight`) as tf.Tensor1D, eps);
  }

  /** `x [..., D]` → `[..., D]`. */
  forward(x: tf.Tensor): tf.Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }

  /** Release the weight tensor. */
  dispose(): void {
    this.weight.dispose();
  }
}

/**
 * `y = (x − mean) / sqrt(var + eps) ⊙ w + b` over the last axis (biased variance, as PyTorch).
 * Loads `<prefix>.weight [D]` and `<prefix>.bias [D]` (the bias is optional in the checkpoint:
 * a missing bias is zero).
 *
 * $y = (x - \mu)/\sqrt{\sigma^2 + \varepsilon} \odot w + b$. Reference twin: {@link reference!LayerNorm | LayerNorm}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { LayerNorm, memoryWeights } from 'intern-s1-ts';
 * const w = memoryWeights({ 'ln.weight': { dtype: 'F32', shape: [2], data: [1, 1] } });
 * const ln = LayerNorm.fromWeights(w, 'ln', 1e-5);
 * ln.forward(tf.tensor2d([[1, 3]])).print(); // ~> [[-1, 1]]
 * ln.dispose();
 * ```
 */
export class LayerNorm implements Disposable {
  constructor(
    /** The scale `w [D]`. */
    readonly weight: tf.Tensor1D,
    /** The shift `b [D]`, or null for none (zero). */
    readonly bias: tf.Tensor1D | null,
    /** Added to the variance before the square root. */
    readonly eps: number,
  ) {}

  /** Load `<prefix>.weight [D]` and, when present, `<prefix>.bias [D]` from a checkpoint. */
  static fromWeights(weights: WeightSource, prefix: string, eps: number): LayerNorm {
    const w = weights.tensor(`${prefix}.weight`) as tf.Tensor1D;
    const b = weights.has(`${prefix}.bias`) ? (weights.tensor(`${prefix}.bias`) as tf.Tensor1D) : null;
    return new LayerNorm(w, b, eps);
  }

  /** `x [..., D]` → `[..., D]`. */
  forward(x: tf.Tensor): tf.Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }

  /** Release the weight and bias tensors. */
  dispose(): void {
    this.weight.dispose();
    this.bias?.dispose();
  }
}

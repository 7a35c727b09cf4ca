/**
 * Normalisation layers as ops (spec section 2; RMSNorm per spec 3.1, LayerNorm for InternViT and
 * the projector, spec 6.1): both normalise over the last axis, in float32.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError, ValueError } from '../errors.js';
import { checkFloat, checkMinRank, fmtShape } from '../util/check.js';

/** Validate `x [..., D]` (D ≥ 1), an optional `[D]` parameter vector per name, and `eps ≥ 0`. */
function checkNorm(op: string, x: tf.Tensor, params: Record<string, tf.Tensor | null>, eps: number): void {
  checkFloat(op, 'x', x);
  checkMinRank(op, 'x', x, 1);
  const d = x.shape[x.rank - 1];
  if (d === 0) throw new ShapeError(`${op}: 'x' has an empty last axis (shape ${fmtShape(x.shape)})`);
  for (const [name, p] of Object.entries(params)) {
    if (p === null) continue;
    checkFloat(op, name, p);
    if (p.rank !== 1 || p.shape[0] !== d) {
      throw new ShapeError(`${op}: '${name}' must have shape [${d}] (the last dimension of 'x'), got ${fmtShape(p.shape)}`);
    }
  }
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new ValueError(`${op}: 'eps' must be a finite number >= 0, got ${eps}`);
  }
}

/**
 * RMSNorm (spec 3.1): `y = w ⊙ (x / √(mean(x²) + eps))`, the mean taken over the last axis.
 *
 * $y = w \odot x / \sqrt{\frac{1}{D}\sum_i x_i^2 + \varepsilon}$. Reference twin: {@link reference!rmsNorm | rmsNorm}.
 *
 * As the spec requires, `x` is normalised in float32 first and multiplied by the weight after
 * (the Hugging Face order; here everything is float32, so there is no cast in between).
 *
 * Shapes: `x [..., D]`, `weight [D]` → `[..., D]`.
 *
 * @param x - float32, rank ≥ 1, D ≥ 1.
 * @param weight - float32 `[D]`, or `null` for no scaling.
 * @param eps - added to the mean square; default 1e-6 (Qwen3's `rms_norm_eps`).
 * @throws ShapeError for a scalar, an empty last axis or a weight that is not `[D]`;
 *   ValueError for a negative or non-finite `eps`; DTypeError for non-float32 inputs.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { rmsNorm } from 'intern-s1-ts';
 * rmsNorm(tf.tensor2d([[3, 4]]), tf.tensor1d([1, 2]), 0).print(); // ~> [[0.8485, 2.2627]]
 * ```
 */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor | null, eps = 1e-6): tf.Tensor {
  checkNorm('rmsNorm', x, { weight }, eps);
  return tf.tidy(() => {
    const ms = tf.mean(tf.square(x), -1, true); // [..., 1]
    const normed = tf.mul(x, tf.rsqrt(tf.add(ms, eps))); // [..., D]
    return weight ? tf.mul(normed, weight) : normed; // [..., D]
  });
}

/**
 * LayerNorm over the last axis, as `torch.nn.functional.layer_norm(x, [D], w, b, eps)`:
 * `y = (x - μ) / √(σ² + eps) ⊙ w + b`, with `μ = mean(x)` and the biased variance
 * `σ² = mean((x - μ)²)` (two passes, so large offsets do not cancel).
 *
 * $y = (x - \mu)/\sqrt{\sigma^2 + \varepsilon} \odot w + b$. Reference twin: {@link reference!layerNorm | layerNorm}.
 *
 * Shapes: `x [..., D]`, `weight [D]`, `bias [D]` → `[..., D]`.
 *
 * @param x - float32, rank ≥ 1, D ≥ 1.
 * @param weight - float32 `[D]`, or `null` for no scaling.
 * @param bias - float32 `[D]`, or `null` for no shift.
 * @param eps - added to the variance; default 1e-5 (PyTorch's default; InternViT uses 1e-6).
 * @throws ShapeError for a scalar, an empty last axis or a parameter that is not `[D]`;
 *   ValueError for a negative or non-finite `eps`; DTypeError for non-float32 inputs.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { layerNorm } from 'intern-s1-ts';
 * layerNorm(tf.tensor2d([[1, 3]]), tf.tensor1d([1, 1]), tf.tensor1d([0, 10]), 0).print(); // => [[-1, 11]]
 * ```
 */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor | null, bias: tf.Tensor | null, eps = 1e-5): tf.Tensor {
  checkNorm('layerNorm', x, { weight, bias }, eps);
  return tf.tidy(() => {
    const centred = tf.sub(x, tf.mean(x, -1, true)); // [..., D]
    const variance = tf.mean(tf.square(centred), -1, true); // [..., 1]
    const normed = tf.mul(centred, tf.rsqrt(tf.add(variance, eps))); // [..., D]
    const scaled = weight ? tf.mul(normed, weight) : normed; // [..., D]
    return bias ? tf.add(scaled, bias) : scaled; // [..., D]
  });
}

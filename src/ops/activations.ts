/**
 * Activation functions (spec section 2): `silu` (the SwiGLU gate of the Qwen3 FFN, spec 3.3),
 * `gelu` with the exact erf (InternViT MLP and projector), `geluTanh` (PyTorch
 * `gelu(approximate='tanh')`, `gelu_pytorch_tanh`) and `relu`.
 *
 * All are elementwise on float32 tensors of any shape (empty included) and follow PyTorch on
 * non-finite inputs: NaN stays NaN; `silu(+Inf) = gelu(+Inf) = +Inf`; `silu(-Inf)` and
 * `gelu(-Inf)` are NaN (`-Inf · 0`), as `torch.nn.functional` gives; `relu(-Inf) = 0`.
 *
 * Kernels: `Erf`, `Sigmoid`, `Tanh` and `Relu` are all registered on the cpu and wasm backends of
 * tfjs 4.22 (a test checks this, so an upgrade that drops one fails loudly). cpu's `Erf` is the
 * Abramowitz-Stegun 7.1.26 approximation (absolute error ≤ 1.5e-7), well inside the float32
 * tolerance of `gelu`; wasm's is the C library's `erff`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { kernelFor } from '../backend/dispatch.js';
import { checkFloat } from '../util/check.js';

/**
 * SiLU (swish): `silu(x) = x · σ(x) = x / (1 + e^(-x))`.
 *
 * Shapes: any → same.
 *
 * @param x - float32 tensor.
 * @throws DTypeError for a non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { silu } from 'intern-s1-ts';
 * silu(tf.tensor1d([0, 1, -1])).print(); // ~> [0, 0.7310586, -0.2689414]
 * ```
 */
export function silu(x: tf.Tensor): tf.Tensor {
  checkFloat('silu', 'x', x);
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

/**
 * GELU with the exact Gaussian CDF: `gelu(x) = ½ · x · (1 + erf(x / √2))`
 * (`torch.nn.functional.gelu(x)`, approximate='none').
 *
 * Shapes: any → same.
 *
 * @param x - float32 tensor.
 * @throws DTypeError for a non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { gelu } from 'intern-s1-ts';
 * gelu(tf.tensor1d([0, 1, -1])).print(); // ~> [0, 0.8413447, -0.1586553]
 * ```
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  checkFloat('gelu', 'x', x);
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/**
 * GELU, tanh approximation (`torch.nn.functional.gelu(x, approximate='tanh')`, the
 * `gelu_pytorch_tanh` activation of Hugging Face configs):
 * `geluTanh(x) = ½ · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`.
 *
 * Shapes: any → same.
 *
 * @param x - float32 tensor.
 * @throws DTypeError for a non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { geluTanh } from 'intern-s1-ts';
 * geluTanh(tf.tensor1d([0, 1, -1])).print(); // ~> [0, 0.8411920, -0.1588080]
 * ```
 */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  checkFloat('geluTanh', 'x', x);
  const k = Math.sqrt(2 / Math.PI);
  return tf.tidy(() => {
    const inner = tf.mul(k, tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x)))));
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
  });
}

/**
 * ReLU: `relu(x) = max(x, 0)`; NaN stays NaN (as PyTorch).
 *
 * Shapes: any → same.
 *
 * @param x - float32 tensor.
 * @throws DTypeError for a non-float32 input.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { relu } from 'intern-s1-ts';
 * relu(tf.tensor1d([-2, 0, 3])).print(); // => [0, 0, 3]
 * ```
 */
export function relu(x: tf.Tensor): tf.Tensor {
  checkFloat('relu', 'x', x);
  if (kernelFor('nonFinite') !== 'guarded') return tf.tidy(() => tf.relu(x));
  // webgl's relu(-Inf) is NaN (backend/dispatch.ts, nonFinite): select, so NaN stays NaN and -Inf gives 0.
  return tf.tidy(() => tf.where(tf.less(x, 0), tf.zerosLike(x), x));
}

/**
 * Activation functions by their config name (`hidden_act`, `projector_hidden_act`,
 * `activation_function`; spec 9.6).
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { gelu, geluTanh, relu, silu } from '../ops/activations.js';

/** An elementwise activation function on a tensor (silu, gelu, relu, ...). */
export type ActivationFn = (x: tf.Tensor) => tf.Tensor;

/**
 * The activation named `name` in a Hugging Face config: `silu`/`swish` → SiLU, `gelu` → exact
 * erf GELU, `gelu_pytorch_tanh`/`gelu_new` → tanh GELU, `relu` → ReLU.
 *
 * @throws ConfigError for any other name.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { activation } from 'intern-s1-ts';
 * activation('silu')(tf.tensor1d([0, 1])).print(); // ~> [0, 0.7311]
 * ```
 */
export function activation(name: string): ActivationFn {
  switch (name) {
    case 'silu':
    case 'swish':
      return silu;
    case 'gelu':
      return gelu;
    case 'gelu_pytorch_tanh':
    case 'gelu_new':
      return geluTanh;
    case 'relu':
      return relu;
    default:
      throw new ConfigError(`activation: unknown activation '${name}' (known: silu, swish, gelu, gelu_pytorch_tanh, gelu_new, relu)`);
  }
}

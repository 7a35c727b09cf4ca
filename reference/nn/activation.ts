/**
 * Reference activations by config name (spec 9.6).
 *
 * @module
 */
import type { NDArray } from '../ndarray.js';
import { gelu, geluTanh, relu, silu } from '../ops/activations.js';

/** An elementwise activation function over a whole array (silu, gelu, relu, ...). */
export type ActivationFn = (x: NDArray) => NDArray;

/** `silu`/`swish`, `gelu` (erf), `gelu_pytorch_tanh`/`gelu_new` (tanh), `relu`. */
export function activation(name: string): ActivationFn {
  const table: Record<string, ActivationFn> = {
    silu, swish: silu, gelu, gelu_pytorch_tanh: geluTanh, gelu_new: geluTanh, relu,
  };
  const f = table[name];
  if (!f) throw new Error(`activation: unknown activation '${name}'`);
  return f;
}

/**
 * Reference two-layer feed-forward with biases, `MLP(x) = fc2(act(fc1(x)))` (spec 6.1, 6.2), in
 * float64; the weight names are an argument (`fc1` / `fc2` in InternViT, `linear_fc1` /
 * `linear_fc2` in the Pro vision blocks).
 *
 * @module
 */
import type { NDArray } from '../ndarray.js';
import type { WeightSource } from '../weights.js';
import { type ActivationFn, activation } from './activation.js';
import { Linear } from './linear.js';

/** The config keys of an {@link MLP}. */
export interface MlpConfig {
  /** Width C (input and output). */
  readonly hidden_size: number;
  /** Inner width I. */
  readonly intermediate_size: number;
  /** Activation between the two layers. */
  readonly hidden_act: string;
}

/** `fc2(act(fc1(x)))`: `x [..., C]` → `[..., C]`, with `fc1 [I, C]` and `fc2 [C, I]`, both with bias. */
export class MLP {
  /** The activation named by `hidden_act`. */
  readonly act: ActivationFn;

  constructor(
    /** The config (C, I, `hidden_act`). */
    readonly config: MlpConfig,
    /** The first layer, `[I, C]` with bias. */
    readonly fc1: Linear,
    /** The second layer, `[C, I]` with bias. */
    readonly fc2: Linear,
  ) {
    this.act = activation(config.hidden_act);
  }

  /** Load `<prefix>.<names[0]>` and `<prefix>.<names[1]>` (weights and biases, shapes checked). */
  static fromWeights(config: MlpConfig, weights: WeightSource, prefix: string, names: readonly [string, string] = ['fc1', 'fc2']): MLP {
    const [C, I] = [config.hidden_size, config.intermediate_size];
    const at = (n: string) => (prefix ? `${prefix}.${n}` : n);
    return new MLP(config, Linear.fromWeights(weights, at(names[0]), { bias: true, expect: [I, C] }), Linear.fromWeights(weights, at(names[1]), { bias: true, expect: [C, I] }));
  }

  /** `x [..., C]` → `[..., C]`. */
  forward(x: NDArray): NDArray {
    return this.fc2.forward(this.act(this.fc1.forward(x)));
  }
}

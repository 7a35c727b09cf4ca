/**
 * The two-layer feed-forward with biases, `MLP(x) = fc2(act(fc1(x)))` (spec 6.1: InternViT's
 * `mlp.fc1` / `mlp.fc2`; spec 6.2: the Pro vision blocks' `mlp.linear_fc1` / `mlp.linear_fc2`).
 * One class: the vision models differ only in the weight names, which {@link MLP.fromWeights}
 * takes as an argument.
 *
 * Legend: C width, I inner width.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import { join, loadAll } from '../io/load.js';
import type { WeightSource } from '../io/weights.js';
import { type ActivationFn, activation } from './activation.js';
import { type Disposable, Linear } from './linear.js';
import { scope } from './scope.js';

/** The config keys of an {@link MLP} (a structural subset of the vision configs). */
export interface MlpConfig {
  /** Width C (input and output). */
  readonly hidden_size: number;
  /** Inner width I. */
  readonly intermediate_size: number;
  /** Activation between the two layers (`gelu` in the releases). */
  readonly hidden_act: string;
}

/**
 * `fc2(act(fc1(x)))`: `x [..., C]` → `[..., C]`, with `fc1 [I, C]` and `fc2 [C, I]`, both with bias.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { MLP, memoryWeights } from 'intern-s1-ts';
 * const t = (...shape: number[]) => ({ dtype: 'F32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b)).fill(0.1) });
 * const w = memoryWeights({ 'mlp.fc1.weight': t(6, 4), 'mlp.fc1.bias': t(6), 'mlp.fc2.weight': t(4, 6), 'mlp.fc2.bias': t(4) });
 * const mlp = MLP.fromWeights({ hidden_size: 4, intermediate_size: 6, hidden_act: 'gelu' }, w, 'mlp');
 * console.log(mlp.forward(tf.ones([2, 4])).shape); // => [2, 4]
 * mlp.dispose();
 * ```
 */
export class MLP implements Disposable {
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

  /**
   * Load `<prefix>.<names[0]>` and `<prefix>.<names[1]>` (weights and biases, shapes checked
   * against the config).
   * @throws ConfigError for an unknown `hidden_act` (before anything loads); ShapeError /
   *   CheckpointError naming a tensor.
   */
  static fromWeights(config: MlpConfig, weights: WeightSource, prefix: string, names: readonly [string, string] = ['fc1', 'fc2']): MLP {
    const [C, I] = [config.hidden_size, config.intermediate_size];
    activation(config.hidden_act);
    return loadAll((own) => {
      const fc1 = own(Linear.fromWeights(weights, join(prefix, names[0]), { bias: true, expect: [I, C] }));
      const fc2 = own(Linear.fromWeights(weights, join(prefix, names[1]), { bias: true, expect: [C, I] }));
      return new MLP(config, fc1, fc2);
    });
  }

  /** `x [..., C]` → `[..., C]`. */
  forward(x: tf.Tensor): tf.Tensor {
    return scope(() => this.fc2.forward(this.act(this.fc1.forward(x))));
  }

  /** Release both layers. */
  dispose(): void {
    this.fc1.dispose();
    this.fc2.dispose();
  }
}

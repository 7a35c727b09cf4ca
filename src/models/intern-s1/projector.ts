/**
 * The vision → language projector of Intern-S1 / -mini (spec 6.1.3; HF
 * `InternVLMultiModalProjector`, InternVL-chat `mlp1`).
 *
 * Legend: C ViT width, s = 1 / downsample_ratio, D text width.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import { join, loadAll, loadTensor } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import { type ActivationFn, activation } from '../../nn/activation.js';
import { type Disposable, Linear } from '../../nn/linear.js';
import { LayerNorm } from '../../nn/norm.js';
import { scope } from '../../nn/scope.js';
import { checkFloat, checkMinRank, fmtShape } from '../../util/check.js';
import type { InternS1ProjectorConfig } from '../internvit/config.js';
import { PROJECTOR_LN_EPS } from './options.js';

export { PROJECTOR_LN_EPS } from './options.js';

/**
 * `y = linear_2(act(linear_1(LayerNorm(x))))`: LayerNorm(s²C, eps 1e-5, affine) → Linear(s²C → D,
 * bias) → `projector_hidden_act` (`gelu`, erf) → Linear(D → D, bias) (spec 6.1.3).
 *
 * Weights under `prefix` (default `model.multi_modal_projector`; InternVL-chat `mlp1.{0,1,3}` map
 * onto these): `layer_norm.{weight, bias} [s²C]`, `linear_1.{weight [D, s²C], bias [D]}`,
 * `linear_2.{weight [D, D], bias [D]}`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { InternS1MultiModalProjector, memoryWeights, type TensorInput } from 'intern-s1-ts';
 * const t = (shape: number[], v = 0.1): TensorInput => ({ dtype: 'F32', shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(v) });
 * const w = memoryWeights({ 'proj.layer_norm.weight': t([8], 1), 'proj.layer_norm.bias': t([8], 0),
 *   'proj.linear_1.weight': t([6, 8]), 'proj.linear_1.bias': t([6]), 'proj.linear_2.weight': t([6, 6]), 'proj.linear_2.bias': t([6]) });
 * const proj = InternS1MultiModalProjector.fromWeights({ projector_hidden_act: 'gelu' }, w, 'proj');
 * console.log(proj.forward(tf.ones([3, 8])).shape); // => [3, 6]
 * proj.dispose();
 * ```
 */
export class InternS1MultiModalProjector implements Disposable {
  /** The activation named by `projector_hidden_act`. */
  readonly act: ActivationFn;

  constructor(
    /** Supplies `projector_hidden_act`. */
    readonly config: InternS1ProjectorConfig,
    /** `layer_norm` over the s²C input width (weight and bias `[s²C]`). */
    readonly layerNorm: LayerNorm,
    /** `linear_1`, `[D, s²C]` with bias. */
    readonly linear1: Linear,
    /** `linear_2`, `[D, D]` with bias. */
    readonly linear2: Linear,
  ) {
    this.act = activation(config.projector_hidden_act);
  }

  /**
   * Load from HF names under `prefix`. The widths come from the checkpoint (`linear_1.weight
   * [D, s²C]`); pass `inFeatures` to also check s²C against the ViT.
   */
  static fromWeights(config: InternS1ProjectorConfig, weights: WeightSource, prefix = 'model.multi_modal_projector', inFeatures?: number): InternS1MultiModalProjector {
    const op = 'InternS1MultiModalProjector';
    activation(config.projector_hidden_act); // a ConfigError before anything is loaded
    const info = weights.info(join(prefix, 'linear_1.weight'));
    if (info.shape.length !== 2) throw new ShapeError(`${op}: '${join(prefix, 'linear_1.weight')}' must be 2-D [D, s²C], got ${fmtShape(info.shape)}`);
    const [D, K] = info.shape;
    if (inFeatures !== undefined && K !== inFeatures) {
      throw new ShapeError(`${op}: '${join(prefix, 'linear_1.weight')}' has shape ${fmtShape(info.shape)} but the pixel-shuffled ViT features have width ${inFeatures}`);
    }
    return loadAll((own) => {
      const w = own(loadTensor(op, weights, join(prefix, 'layer_norm.weight'), [K]));
      const b = own(loadTensor(op, weights, join(prefix, 'layer_norm.bias'), [K]));
      const ln = new LayerNorm(w as tf.Tensor1D, b as tf.Tensor1D, PROJECTOR_LN_EPS);
      const l1 = own(Linear.fromWeights(weights, join(prefix, 'linear_1'), { bias: true, expect: [D, K] }));
      const l2 = own(Linear.fromWeights(weights, join(prefix, 'linear_2'), { bias: true, expect: [D, D] }));
      return new InternS1MultiModalProjector(config, ln, l1, l2);
    });
  }

  /** Input width s²C. */
  get inFeatures(): number {
    return this.linear1.inFeatures;
  }

  /** Output width D (the text model's hidden_size). */
  get outFeatures(): number {
    return this.linear2.outFeatures;
  }

  /** `x [..., s²C]` → `[..., D]`. */
  forward(x: tf.Tensor): tf.Tensor {
    this.checkInput(x);
    return scope(() => this.linear2.forward(this.act(this.linear1.forward(this.layerNorm.forward(x)))));
  }

  /** Check that `x` is a float32 `[..., inFeatures]`. */
  private checkInput(x: tf.Tensor): void {
    checkFloat('InternS1MultiModalProjector', 'x', x);
    checkMinRank('InternS1MultiModalProjector', 'x', x, 1);
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(`InternS1MultiModalProjector: 'x' ${fmtShape(x.shape)} has width ${x.shape[x.rank - 1]} but the projector takes ${this.inFeatures}`);
    }
  }

  /** Release the norm and both linear layers. */
  dispose(): void {
    this.layerNorm.dispose();
    this.linear1.dispose();
    this.linear2.dispose();
  }
}

/**
 * Reference projector (spec 6.1.3), float64: `linear_2(act(linear_1(LayerNorm_{eps 1e-5}(x))))`.
 *
 * Legend: C ViT width, s = 1 / downsample_ratio, D text width.
 *
 * @module
 */
import type { NDArray } from '../../ndarray.js';
import { type ActivationFn, activation } from '../../nn/activation.js';
import { Linear } from '../../nn/linear.js';
import { LayerNorm } from '../../nn/norm.js';
import type { WeightSource } from '../../weights.js';
import { type InternS1ProjectorConfig, checkShape, join } from '../internvit/config.js';
import { PROJECTOR_LN_EPS } from '../../../src/models/intern-s1/options.js';

export { PROJECTOR_LN_EPS } from '../../../src/models/intern-s1/options.js';

/** LayerNorm(s²C) → Linear(s²C → D) → act → Linear(D → D). */
export class InternS1MultiModalProjector {
  /** The activation named by `projector_hidden_act`. */
  readonly act: ActivationFn;

  constructor(
    /** Supplies `projector_hidden_act`. */
    readonly config: InternS1ProjectorConfig,
    /** `layer_norm` over the s²C input width (weight and bias `[s²C]`, eps 1e-5). */
    readonly layerNorm: LayerNorm,
    /** `linear_1`, `[D, s²C]` with bias. */
    readonly linear1: Linear,
    /** `linear_2`, `[D, D]` with bias. */
    readonly linear2: Linear,
  ) {
    this.act = activation(config.projector_hidden_act);
  }

  /** Load under `prefix`; widths come from `linear_1.weight [D, s²C]`, and `inFeatures` (if given) must equal s²C. */
  static fromWeights(config: InternS1ProjectorConfig, weights: WeightSource, prefix = 'model.multi_modal_projector', inFeatures?: number): InternS1MultiModalProjector {
    const op = 'InternS1MultiModalProjector';
    const w1 = weights.array(join(prefix, 'linear_1.weight'));
    const [D, K] = w1.shape;
    if (inFeatures !== undefined) checkShape(op, join(prefix, 'linear_1.weight'), w1.shape, [D, inFeatures]);
    const vec = (name: string, n: number) => {
      const a = weights.array(join(prefix, name));
      checkShape(op, join(prefix, name), a.shape, [n]);
      return a;
    };
    const w2 = weights.array(join(prefix, 'linear_2.weight'));
    checkShape(op, join(prefix, 'linear_2.weight'), w2.shape, [D, D]);
    return new InternS1MultiModalProjector(
      config,
      new LayerNorm(vec('layer_norm.weight', K), vec('layer_norm.bias', K), PROJECTOR_LN_EPS),
      new Linear(w1, vec('linear_1.bias', D)),
      new Linear(w2, vec('linear_2.bias', D)),
    );
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
  forward(x: NDArray): NDArray {
    return this.linear2.forward(this.act(this.linear1.forward(this.layerNorm.forward(x))));
  }
}

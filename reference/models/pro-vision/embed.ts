/**
 * Reference patch embedding of the Pro vision tower (spec 6.2.2), float64:
 * `X[j, o] = b[o] + Σ_k pixel_values[j, k] · W[o, k]`, where k = c·Tp·p² + f·p² + py·p + px runs
 * over the conv weight `W [C, Cin, Tp, p, p]` in its row-major order, which is the (channel, frame,
 * py, px) order of a patch row (spec 6.2.1). A Conv3d whose stride equals its kernel sees each
 * patch exactly once, so this product is the convolution.
 *
 * @module
 */
import { type NDArray, reshape } from '../../ndarray.js';
import { linear } from '../../ops/matmul.js';
import type { WeightSource } from '../../weights.js';
import { type ProVisionConfig, checkProVisionConfig, checkShape, join, patchFeatures } from './config.js';

/** `[P, K]` → `[P, C]`. */
export class ProVisionPatchEmbed {
  /**
   * @param config - the vision config (C, Cin, Tp, p).
   * @param weightT - `W_flatᵀ [K, C]`.
   * @param bias - `[C]`.
   */
  constructor(readonly config: ProVisionConfig, readonly weightT: NDArray, readonly bias: NDArray) {
    checkProVisionConfig('ProVisionPatchEmbed', config);
  }

  /** Load `<prefix>.proj.weight [C, Cin, Tp, p, p]` and `<prefix>.proj.bias [C]`, checking the shapes. */
  static fromWeights(config: ProVisionConfig, weights: WeightSource, prefix = 'model.visual.patch_embed'): ProVisionPatchEmbed {
    const op = 'ProVisionPatchEmbed';
    const c = config;
    const [K, C] = [patchFeatures(c), c.hidden_size];
    const w = weights.array(join(prefix, 'proj.weight'));
    checkShape(op, join(prefix, 'proj.weight'), w.shape, [C, c.in_channels, c.temporal_patch_size, c.patch_size, c.patch_size]);
    const b = weights.array(join(prefix, 'proj.bias'));
    checkShape(op, join(prefix, 'proj.bias'), b.shape, [C]);
    return new ProVisionPatchEmbed(config, reshape(w, [C, K]).transpose(1, 0), b);
  }

  /** Patch features K (1536). */
  get inFeatures(): number {
    return this.weightT.shape[0];
  }

  /** `pixel_values [P, K]` → `[P, C]`. */
  forward(pixelValues: NDArray): NDArray {
    const K = this.inFeatures;
    if (pixelValues.shape.length !== 2 || pixelValues.shape[1] !== K) {
      throw new Error(`ProVisionPatchEmbed: 'pixelValues' [${pixelValues.shape.join(', ')}] must be [P, ${K}]`);
    }
    return linear(pixelValues, this.weightT.transpose(1, 0), this.bias); // x · W_flatᵀ + b
  }
}

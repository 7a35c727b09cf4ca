/**
 * The patch merger of the Intern-S1-Pro vision tower (spec 6.2.2; HF `Qwen3VLMoeVisionPatchMerger`
 * with `use_postshuffle_norm = False`):
 *
 * ```
 * Z = LayerNorm(X)                      // per patch, width C, eps 1e-6
 * Z = view(Z, [P / m², m²·C])           // the m² consecutive patches of one merge window side by side
 * Y = linear_fc2(GELU(linear_fc1(Z)))   // m²C → m²C (bias), exact erf GELU, m²C → out_hidden_size (bias)
 * ```
 *
 * The patches arrive in window order, so consecutive groups of m² rows are the windows and the
 * output rows are the windows in order: row-major over windows, per temporal group, per item.
 *
 * Legend: P patches, C width, m merge size, W = m²·C merged width, D out_hidden_size.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import type { ProVisionConfig } from '../../io/configs/vision.js';
import { join, loadAll } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import { type Disposable, Linear } from '../../nn/linear.js';
import type { LayerNorm } from '../../nn/norm.js';
import { scope } from '../../nn/scope.js';
import { gelu } from '../../ops/activations.js';
import { reshape } from '../../ops/shape.js';
import { checkFloat, checkRank, fmtShape } from '../../util/check.js';
import { loadVisionNorm } from './block.js';
import { checkProVisionConfig } from './config.js';

/**
 * `[P, C]` → `[P / m², D]`.
 *
 * $y_w = W_2\,\operatorname{GELU}(W_1 u_w + b_1) + b_2$ with $u_w$ the LayerNorm-ed $m^2$ patches of
 * window w concatenated (spec 6.2.2). Reference twin: {@link reference!ProVisionPatchMerger | ProVisionPatchMerger}.
 *
 * Weights under `prefix` (default `model.visual.merger`): `norm.{weight, bias} [C]`,
 * `linear_fc1.{weight [W, W], bias [W]}`, `linear_fc2.{weight [D, W], bias [D]}`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { ProVisionPatchMerger, parseProVisionConfig, memoryWeights, type TensorInput } from 'intern-s1-ts';
 * const cfg = parseProVisionConfig({ depth: 1, hidden_size: 4, intermediate_size: 8, num_heads: 1,
 *   out_hidden_size: 3, num_position_embeddings: 4 });
 * const t = (shape: number[], v: number): TensorInput => ({ dtype: 'F32', shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(v) });
 * const w = memoryWeights({ 'm.norm.weight': t([4], 1), 'm.norm.bias': t([4], 0),
 *   'm.linear_fc1.weight': t([16, 16], 0.1), 'm.linear_fc1.bias': t([16], 0), 'm.linear_fc2.weight': t([3, 16], 0.1), 'm.linear_fc2.bias': t([3], 0) });
 * const merger = ProVisionPatchMerger.fromWeights(cfg, w, 'm');
 * console.log(merger.forward(tf.randomNormal([8, 4])).shape); // => [2, 3]  -- two 2x2 windows
 * merger.dispose();
 * ```
 */
export class ProVisionPatchMerger implements Disposable {
  constructor(
    /** The vision config (C, m, D = `out_hidden_size`). */
    readonly config: ProVisionConfig,
    /** `norm`, LayerNorm over C, applied per patch before the windows are merged. */
    readonly norm: LayerNorm,
    /** `linear_fc1`, `[W, W]` with bias (W = m²·C). */
    readonly fc1: Linear,
    /** `linear_fc2`, `[D, W]` with bias. */
    readonly fc2: Linear,
  ) {}

  /** Load `<prefix>.norm`, `<prefix>.linear_fc1` and `<prefix>.linear_fc2`, checking shapes. */
  static fromWeights(config: ProVisionConfig, weights: WeightSource, prefix = 'model.visual.merger'): ProVisionPatchMerger {
    const op = 'ProVisionPatchMerger';
    checkProVisionConfig(op, config);
    const C = config.hidden_size;
    const W = C * config.spatial_merge_size ** 2;
    return loadAll((own) => {
      const norm = own(loadVisionNorm(op, weights, join(prefix, 'norm'), C));
      const fc1 = own(Linear.fromWeights(weights, join(prefix, 'linear_fc1'), { bias: true, expect: [W, W] }));
      const fc2 = own(Linear.fromWeights(weights, join(prefix, 'linear_fc2'), { bias: true, expect: [config.out_hidden_size, W] }));
      return new ProVisionPatchMerger(config, norm, fc1, fc2);
    });
  }

  /** `x [P, C]` (P a multiple of m², window order) → `[P / m², D]`. */
  forward(x: tf.Tensor): tf.Tensor {
    const [P, C] = this.checkInput(x);
    const u = this.config.spatial_merge_size ** 2;
    return scope(() => {
      const z = reshape(this.norm.forward(x), [P / u, u * C]); // [P/m², m²C]: patch m²r + i fills lanes i·C .. i·C + C − 1
      return this.fc2.forward(gelu(this.fc1.forward(z))); // [P/m², D]
    });
  }

  /** Check that `x` is a float32 `[P, C]` of whole merge windows, and return its shape. */
  private checkInput(x: tf.Tensor): number[] {
    const op = 'ProVisionPatchMerger';
    const C = this.config.hidden_size;
    const u = this.config.spatial_merge_size ** 2;
    checkFloat(op, 'x', x);
    checkRank(op, 'x', x, 2);
    if (x.shape[1] !== C || x.shape[0] % u !== 0) {
      throw new ShapeError(`${op}: 'x' ${fmtShape(x.shape)} must be [P, ${C}] with P a multiple of ${u} (whole merge windows)`);
    }
    return x.shape;
  }

  /** Release the norm and both linear layers. */
  dispose(): void {
    this.norm.dispose();
    this.fc1.dispose();
    this.fc2.dispose();
  }
}

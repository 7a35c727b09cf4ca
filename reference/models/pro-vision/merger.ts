/**
 * Reference patch merger of the Pro vision tower (spec 6.2.2), float64: LayerNorm per patch
 * (eps 1e-6), the m² consecutive patches of each window concatenated into one row of width m²·C,
 * `linear_fc1` → exact erf GELU → `linear_fc2`.
 *
 * @module
 */
import { type NDArray, reshape } from '../../ndarray.js';
import { Linear } from '../../nn/linear.js';
import type { LayerNorm } from '../../nn/norm.js';
import { gelu } from '../../ops/activations.js';
import type { WeightSource } from '../../weights.js';
import { loadVisionNorm } from './block.js';
import { type ProVisionConfig, checkShape, join } from './config.js';

/**
 * The patch merger of the Intern-S1-Pro vision tower (spec 6.2.2): LayerNorm per patch, then the
 * $m^2$ consecutive patches of each $m \times m$ window ($m$ = `spatial_merge_size` = 2) concatenated
 * into one row and passed through a two-layer MLP with exact GELU:
 *
 * $$
 * u_w = \big[\operatorname{LN}(x_{m^2 w}); \ldots; \operatorname{LN}(x_{m^2 w + m^2 - 1})\big] \in \mathbb{R}^{m^2 C},
 * \qquad y_w = W_2 \operatorname{GELU}(W_1 u_w + b_1) + b_2 ,
 * $$
 *
 * `[P, C]` → `[P / m², D]` with D = `out_hidden_size` (released: `[784, 1024]` → `[196, 4096]` for a
 * 448×448 image). The window's patches are consecutive because the preprocessor emits them in
 * window order (spec 6.2.1).
 */
export class ProVisionPatchMerger {
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
    const C = config.hidden_size;
    const W = C * config.spatial_merge_size ** 2;
    const lin = (name: string, out: number, inF: number) => {
      const w = weights.array(join(prefix, `${name}.weight`));
      checkShape(op, join(prefix, `${name}.weight`), w.shape, [out, inF]);
      return new Linear(w, weights.array(join(prefix, `${name}.bias`)));
    };
    return new ProVisionPatchMerger(config, loadVisionNorm(op, weights, join(prefix, 'norm'), C), lin('linear_fc1', W, W), lin('linear_fc2', config.out_hidden_size, W));
  }

  /** `x [P, C]` → `[P / m², D]`: row r is window r (patches 4r .. 4r + 3 side by side for m = 2). */
  forward(x: NDArray): NDArray {
    const [P, C] = x.shape;
    const u = this.config.spatial_merge_size ** 2;
    if (P % u !== 0 || C !== this.config.hidden_size) throw new Error(`ProVisionPatchMerger: 'x' [${x.shape.join(', ')}] must be [P, ${this.config.hidden_size}] with P a multiple of ${u}`);
    const z = reshape(this.norm.forward(x), [P / u, u * C]); // row-major: patch 4r + i fills lanes i·C .. i·C + C − 1
    return this.fc2.forward(gelu(this.fc1.forward(z)));
  }
}

/**
 * Reference normalisation layers (spec 3.1, 6.1.2, 7) holding float64 weights.
 *
 * @module
 */
import type { NDArray } from '../ndarray.js';
import { layerNorm, rmsNorm } from '../ops/norm.js';
import type { WeightSource } from '../weights.js';

/**
 * RMSNorm with a learned scale over the last axis (spec 3.1; also the QK norm and InternViT's
 * `rms_norm`): $y = w \odot x \,/\, \sqrt{\operatorname{mean}(x^2) + \varepsilon}$, `x [..., D]` → `[..., D]`.
 */
export class RMSNorm {
  constructor(
    /** The scale `w [D]`. */
    readonly weight: NDArray,
    /** Added to `mean(x²)` before the square root. */
    readonly eps: number,
  ) {}

  /** Load `<prefix>.weight [D]`. */
  static fromWeights(weights: WeightSource, prefix: string, eps: number): RMSNorm {
    return new RMSNorm(weights.array(`${prefix}.weight`), eps);
  }

  /** `x [..., D]` → `[..., D]`. */
  forward(x: NDArray): NDArray {
    return rmsNorm(x, this.weight, this.eps);
  }
}

/**
 * LayerNorm with a learned scale and shift over the last axis (InternViT-300M, the Pro tower,
 * the time-series encoder): $y = (x - \mu) / \sqrt{\sigma^2 + \varepsilon} \odot w + b$, a missing
 * bias is zero; `x [..., D]` → `[..., D]`.
 */
export class LayerNorm {
  constructor(
    /** The scale `w [D]`. */
    readonly weight: NDArray,
    /** The shift `b [D]`, or null for none (zero). */
    readonly bias: NDArray | null,
    /** Added to the variance before the square root. */
    readonly eps: number,
  ) {}

  /** Load `<prefix>.weight [D]` and, when present, `<prefix>.bias [D]`. */
  static fromWeights(weights: WeightSource, prefix: string, eps: number): LayerNorm {
    const b = weights.has(`${prefix}.bias`) ? weights.array(`${prefix}.bias`) : null;
    return new LayerNorm(weights.array(`${prefix}.weight`), b, eps);
  }

  /** `x [..., D]` → `[..., D]`. */
  forward(x: NDArray): NDArray {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

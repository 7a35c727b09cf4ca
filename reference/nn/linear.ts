/**
 * Reference `Linear` (spec section 2): `y = x·Wᵀ + b` with `W [out, in]` in float64.
 *
 * @module
 */
import type { NDArray } from '../ndarray.js';
import { linear } from '../ops/matmul.js';
import type { WeightSource } from '../weights.js';

/** Whether a layer has a bias: `true` requires `<prefix>.bias`, `'optional'` uses it when present. */
export type BiasMode = boolean | 'optional';

/** `y = x·Wᵀ + b`; `x [..., in]` → `[..., out]`. */
export class Linear {
  constructor(
    /** `W [out, in]`, as stored in the checkpoint. */
    readonly weight: NDArray,
    /** `b [out]`, or null. */
    readonly bias: NDArray | null,
  ) {}

  /** Input width `in`. */
  get inFeatures(): number {
    return this.weight.shape[1];
  }

  /** Output width `out`. */
  get outFeatures(): number {
    return this.weight.shape[0];
  }

  /** Load `<prefix>.weight [out, in]` (and `<prefix>.bias`). */
  static fromWeights(weights: WeightSource, prefix: string, opts: { bias?: BiasMode; expect?: [number, number] } = {}): Linear {
    const mode = opts.bias ?? 'optional';
    const useBias = mode === true || (mode === 'optional' && weights.has(`${prefix}.bias`));
    return new Linear(weights.array(`${prefix}.weight`), useBias ? weights.array(`${prefix}.bias`) : null);
  }

  /** `x [..., in]` → `x·Wᵀ + b`, `[..., out]`. */
  forward(x: NDArray): NDArray {
    return linear(x, this.weight, this.bias ?? undefined);
  }
}

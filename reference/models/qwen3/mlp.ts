/**
 * Reference SwiGLU feed-forward (spec 3.3), float64: `FFN(m) = down(act(gate(m)) ⊙ up(m))`.
 *
 * Legend: N rows, D width, I FFN width.
 *
 * @module
 */
import type { NDArray } from '../../ndarray.js';
import { activation, type ActivationFn } from '../../nn/activation.js';
import { Linear } from '../../nn/linear.js';
import { mul } from '../../ops/elementwise.js';
import type { WeightSource } from '../../weights.js';

/** One SwiGLU's three projections (`[out, in]` weights, no biases). */
export interface SwiGluWeights {
  /** `gate_proj`, `[I, D]`. */
  readonly gate: Linear;
  /** `up_proj`, `[I, D]`. */
  readonly up: Linear;
  /** `down_proj`, `[D, I]`. */
  readonly down: Linear;
}

/** Load `<prefix>.{gate_proj,up_proj,down_proj}.weight`. */
export function loadSwiGlu(_op: string, weights: WeightSource, prefix: string, _D: number, _I: number): SwiGluWeights {
  return {
    gate: Linear.fromWeights(weights, `${prefix}.gate_proj`, { bias: false }),
    up: Linear.fromWeights(weights, `${prefix}.up_proj`, { bias: false }),
    down: Linear.fromWeights(weights, `${prefix}.down_proj`, { bias: false }),
  };
}

/**
 * One SwiGLU, $W_{\mathrm{down}}\big(\operatorname{act}(W_{\mathrm{gate}}\, x) \odot W_{\mathrm{up}}\, x\big)$
 * (ASCII: `down(act(gate(x)) ⊙ up(x))`), `x [..., D]` → `[..., D]`.
 */
export function swiGlu(x: NDArray, w: SwiGluWeights, act: ActivationFn): NDArray {
  return w.down.forward(mul(act(w.gate.forward(x)), w.up.forward(x)));
}

/** The config keys of the dense FFN. */
export interface MlpConfig {
  /** Model width D. */
  readonly hidden_size: number;
  /** FFN width I. */
  readonly intermediate_size: number;
  /** Activation of the gate (`silu` in the releases). */
  readonly hidden_act: string;
}

/**
 * The dense SwiGLU feed-forward of Intern-S1-mini (spec 3.3), no biases:
 *
 * $$
 * \mathrm{FFN}(m) = W_{\mathrm{down}} \big( \operatorname{silu}(W_{\mathrm{gate}}\, m) \odot W_{\mathrm{up}}\, m \big),
 * \qquad W_{\mathrm{gate}}, W_{\mathrm{up}} \in \mathbb{R}^{I \times D},\; W_{\mathrm{down}} \in \mathbb{R}^{D \times I}
 * $$
 *
 * with I = `intermediate_size` (12288 released). `x [..., D]` → `[..., D]`.
 */
export class Qwen3MLP {
  private readonly act: ActivationFn;

  constructor(
    /** The gate, up and down projections. */
    readonly weights: SwiGluWeights,
    /** Activation name of the gate (`silu`). */
    readonly hiddenAct: string,
  ) {
    this.act = activation(hiddenAct);
  }

  /** Load `<prefix>.{gate_proj,up_proj,down_proj}.weight`. */
  static fromWeights(cfg: MlpConfig, weights: WeightSource, prefix: string): Qwen3MLP {
    return new Qwen3MLP(loadSwiGlu('Qwen3MLP', weights, prefix, cfg.hidden_size, cfg.intermediate_size), cfg.hidden_act);
  }

  /** `x [..., D]` → `[..., D]`. */
  forward(x: NDArray): NDArray {
    return swiGlu(x, this.weights, this.act);
  }
}

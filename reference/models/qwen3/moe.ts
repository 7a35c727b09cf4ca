/**
 * Reference sparse MoE FFN (spec 3.4, 4.1, 4.2), float64, one token at a time:
 *
 * ```
 * for each token t:
 *   z_t = W_gate · m_t                         (E logits)
 *   p_t = softmax(z_t);  S_t, w_t = router     (routing.ts)
 *   y_t = Σ_k w_{t,k} · SwiGLU_{S_tk}(m_t)
 * ```
 *
 * No BF16 casts are emulated (RMSNorm output, routing weights, `index_add` accumulation): see the
 * fast path's module comment for why.
 *
 * Legend: N tokens, D width, E experts, K chosen per token.
 *
 * @module
 */
import { type NDArray, reshape, zeros } from '../../ndarray.js';
import { activation, type ActivationFn } from '../../nn/activation.js';
import { Linear } from '../../nn/linear.js';
import type { WeightSource } from '../../weights.js';
import { loadSwiGlu, swiGlu, type SwiGluWeights } from './mlp.js';
import { type MoeRouterKeys, type RouterGradient, type RouterOutput, routeTokens, routingConfig, type RoutingConfig } from './routing.js';

/** The config keys of the MoE block. */
export interface MoeConfig extends MoeRouterKeys {
  /** Model width D. */
  readonly hidden_size: number;
  /** Width I of each expert's SwiGLU. */
  readonly moe_intermediate_size: number;
  /** Activation of the experts' gates (`silu` in the releases). */
  readonly hidden_act: string;
}

/** Options (the gradient mode does not change the forward). */
export interface MoeForwardOptions {
  /** Gradient rule of the routing weights, `'sparse'` (default) or `'ste'`. */
  routerGradient?: RouterGradient;
}

/** Output shaped like the input, and the router's logits / indices / weights. */
export interface MoeOutput {
  /** `Σ_k w_k · expert_k(x)`, shaped like the input (`[N, D]` or `[B, T, D]`). */
  output: NDArray;
  /** logits `[N, E]`, indices `[N, K]`, weights `[N, K]` with N = B·T. */
  router: RouterOutput;
}

/**
 * The sparse mixture-of-experts FFN of Intern-S1 and Intern-S1-Pro (spec 3.4), token by token in
 * float64. For a token row $m_t \in \mathbb{R}^D$:
 *
 * $$
 * z_t = W_{\mathrm{gate}}\, m_t \in \mathbb{R}^E, \qquad
 * p_t = \operatorname{softmax}(z_t), \qquad
 * (S_t, w_t) = \operatorname{route}(p_t)
 * $$
 *
 * $$
 * y_t = \sum_{k=1}^{K} w_{t,k}\; \mathrm{SwiGLU}_{S_{t,k}}(m_t), \qquad
 * \mathrm{SwiGLU}_e(x) = W^{(e)}_{\mathrm{down}} \big( \operatorname{silu}(W^{(e)}_{\mathrm{gate}}\, x) \odot W^{(e)}_{\mathrm{up}}\, x \big)
 * $$
 *
 * where $\operatorname{route}$ is the plain or grouped top-K of {@link routeTokens} (spec 4.1, 4.2),
 * $W_{\mathrm{gate}} \in \mathbb{R}^{E \times D}$ is `mlp.gate.weight` (no bias) and each expert is a
 * SwiGLU of width I = `moe_intermediate_size`. Only the K chosen experts of a token are evaluated.
 * Shapes: `x [N, D]` or `[B, T, D]` → `output` shaped like `x`, router logits `[N, E]`, indices and
 * weights `[N, K]`.
 *
 * In ASCII, as the loop below reads: `y_t = Σ_k w_{t,k} · SwiGLU_{S_tk}(m_t)`.
 */
export class Qwen3MoeSparseBlock {
  private readonly act: ActivationFn;

  constructor(
    /** The router `gate`, `[E, D]`, no bias. */
    readonly gate: Linear,
    /** One SwiGLU per expert (`experts.{e}.{gate,up,down}_proj`). */
    readonly experts: readonly SwiGluWeights[],
    /** The router's numbers (E, K, G, top-k renormalisation). */
    readonly routing: RoutingConfig,
    /** Activation name of the experts' gates. */
    readonly hiddenAct: string,
  ) {
    this.act = activation(hiddenAct);
  }

  /** Load `<prefix>.gate` and the E experts under `<prefix>.experts.{e}`. */
  static fromWeights(cfg: MoeConfig, weights: WeightSource, prefix: string): Qwen3MoeSparseBlock {
    const rc = routingConfig(cfg);
    const experts: SwiGluWeights[] = [];
    for (let e = 0; e < rc.numExperts; e++) {
      experts.push(loadSwiGlu('Qwen3MoeSparseBlock', weights, `${prefix}.experts.${e}`, cfg.hidden_size, cfg.moe_intermediate_size));
    }
    return new Qwen3MoeSparseBlock(Linear.fromWeights(weights, `${prefix}.gate`, { bias: false }), experts, rc, cfg.hidden_act);
  }

  /**
   * $y_t = \sum_k w_{t,k}\, \mathrm{SwiGLU}_{S_{t,k}}(m_t)$ for every row of `x [N, D]` or
   * `[B, T, D]`; returns the output shaped like `x` and the router's logits, indices and weights.
   */
  forward(x: NDArray, opts: MoeForwardOptions = {}): MoeOutput {
    const D = x.shape[x.shape.length - 1];
    const N = x.size / D;
    const rows = reshape(x, [N, D]);
    const logits = this.gate.forward(rows); // [N, E]
    const { indices, weights } = routeTokens(logits, this.routing, { gradient: opts.routerGradient });
    const out = zeros([N, D]);
    for (let t = 0; t < N; t++) {
      const xt = reshape(rows.pick(t, null) as NDArray, [1, D]); // [1, D]
      for (let k = 0; k < this.routing.topK; k++) {
        const y = swiGlu(xt, this.experts[indices.get(t, k)], this.act); // [1, D]
        const w = weights.get(t, k);
        for (let j = 0; j < D; j++) out.set(t, j, out.get(t, j) + w * y.get(0, j));
      }
    }
    return { output: reshape(out, x.shape), router: { logits, indices, weights } };
  }
}

/**
 * The FoPE configuration (spec 5.3, 9.6): the config keys FoPE reads, the options, and the
 * constants of the clipped lanes. Plain data with no twin (DESIGN.md): src/nn/fope.ts and
 * reference/nn/fope.ts both import it.
 *
 * @module
 */

/** The constants written into the clipped lanes K .. d/2−1 of the cos and sin tables. */
export interface FopePadding {
  /** Value of the cos table on the clipped lanes. */
  readonly cos: number;
  /** Value of the sin table on the clipped lanes. */
  readonly sin: number;
}

/**
 * Padding of the trained models (spec 5.3, 12.1): cos = sin = 1, as the HF remote code, XTuner's
 * training code and lmdeploy do. A padded pair then contributes `2·(q_j k_j + q_{j+d/2} k_{j+d/2})`,
 * position-independent and doubled.
 */
export const FOPE_PADDING_TRAINED: FopePadding = Object.freeze({ cos: 1, sin: 1 });

/** vLLM's padding since PR #55243 (cos 1, sin 0: the padded pair passes through, contributing 1×). */
export const FOPE_PADDING_VLLM: FopePadding = Object.freeze({ cos: 1, sin: 0 });

/** The default padding: {@link FOPE_PADDING_TRAINED} (fidelity to the trained weights). */
export const DEFAULT_FOPE_PADDING: FopePadding = FOPE_PADDING_TRAINED;

/** The config keys FoPE reads (a structural subset of the text config, spec 9.6). */
export interface FopeConfig {
  /** Head dim d (even). */
  readonly head_dim: number;
  /** Hkv: the coefficient matrices are per KV head when `fope_sep_head` is true. */
  readonly num_key_value_heads: number;
  /** The rope base θ of `ω_i = θ^(−2i/d)`. */
  readonly rope_theta: number;
  /** L: frequencies with `ω_i > 2π / L` are kept (unless `num_inv_freq` is set). */
  readonly max_position_embeddings: number;
  /** The FoPE keys of `rope_scaling`, or null (shared coefficients, threshold rule, gain 0.5). */
  readonly rope_scaling: {
    /** Gain of the XavierNormal initialisation of new coefficients (null: 0.5). */
    readonly fope_init_factor: number | null;
    /** True: one `[K, K]` coefficient matrix per KV head (`[Hkv, K, K]`); false or null: one shared `[K, K]`. */
    readonly fope_sep_head: boolean | null;
    /** Keep exactly the first `num_inv_freq` frequencies; null: the `2π / L` threshold rule. */
    readonly num_inv_freq: number | null;
  } | null;
}

/** The padding option of {@link FourierPositionEmbedding} (the values of the clipped lanes). */
export interface FopeOptions {
  /** Values of the clipped lanes; default {@link DEFAULT_FOPE_PADDING} (the trained models'). */
  padding?: FopePadding;
}

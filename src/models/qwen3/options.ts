/**
 * The option types of the Qwen3 text stack (spec 3), shared by the fast path and the reference
 * (plain types, no twin: DESIGN.md). Where an option holds a tree's own object (a layer's shared
 * position encoding), the type is generic in it and each tree fixes it. Chunk sizes tune the fast
 * path's memory and never change a result; the reference accepts and ignores them.
 *
 * @module
 */
import type { FopePadding } from '../../nn/fope-config.js';

/** Which gradient the routing weights pass to the router logits (forward values do not depend on it). */
export type RouterGradient = 'sparse' | 'ste';

/** Options of the attention block's forward. */
export interface AttentionForwardOptions {
  /** Also return the attention probabilities `[B, H, T, S]`. */
  returnProbs?: boolean;
  /** Query block size of the chunked attention (default 256); does not change the result. */
  chunkSize?: number;
}

/** Options of `Qwen3DecoderLayer.fromWeights`; `P` is the tree's `PositionEncoding`. */
export interface DecoderLayerOptionsOf<P> {
  /** Layer index l (decides MoE vs dense); default: parsed from a prefix ending in `layers.{l}`. */
  layerIndex?: number;
  /** A shared position encoding (the model passes its own); default: built from the config and `rotaryPrefix`. */
  positionEncoding?: P;
  /** Where FoPE coefficients live; default: the prefix with `layers.{l}` replaced by `rotary_emb`. */
  rotaryPrefix?: string;
  /** FoPE padding (default: the trained models' cos = sin = 1). */
  fopePadding?: FopePadding;
  /** Largest position id + 1 (default `max_position_embeddings`). */
  maxPosition?: number;
  /** MoE layers: hold the experts on demand with this cache capacity (fast path only; the reference ignores it). */
  expertsOnDemand?: ExpertsOnDemandOptions;
}

/**
 * Experts on demand (issue 19): a MoE block keeps only its router resident; an expert the router
 * chose is decoded from the weight source (BF16 → float32, FP8 dequantised) and uploaded just
 * before use, and stays resident afterwards only while it fits an LRU cache of `capacityBytes`.
 * Results are bit-identical to the resident block. Inference only (no gradient to the experts).
 */
export interface ExpertsOnDemandOptions {
  /**
   * Bytes of decoded (float32) expert weights kept resident between uses, least recently used
   * evicted first: 0 keeps none (each chosen expert is decoded at every use), `Infinity` keeps
   * every expert once used. One expert of width I in a model of width D takes `3·D·I·4` bytes
   * (Intern-S1 and -Pro: 75.5 MB). For a layer or a block this is its own capacity; for a whole
   * text model (`TextModelOptions.expertsOnDemand`) it is the total, split evenly over the MoE
   * layers (each layer its own LRU: layers run in a fixed cycle, where one LRU shared by all
   * layers would evict every expert before its layer comes round again).
   */
  readonly capacityBytes: number;
}

/** The per-call options of `Qwen3DecoderLayer.forward` (probabilities, router gradient, chunks). */
export interface DecoderForwardOptions extends Pick<AttentionForwardOptions, 'chunkSize'> {
  /** Return the attention probabilities `[B, H, T, S]`. */
  returnAttentionProbs?: boolean;
  /** Gradient of the routing weights (MoE layers): `'sparse'` (default) or `'ste'`. */
  routerGradient?: RouterGradient;
}

/** The load-time options of `Qwen3TextModel.fromWeights` (prefix, lm_head, FoPE padding, embeddings). */
export interface TextModelOptions {
  /** Prefix of the text weights, with its trailing dot (default `model.language_model.`; plain Qwen3: `model.`). */
  prefix?: string;
  /** Name of the output projection (default `lm_head.weight`; ignored when `tie_word_embeddings`). */
  lmHead?: string;
  /** FoPE padding of the clipped lanes (default: the trained models' cos = sin = 1). */
  fopePadding?: FopePadding;
  /** Largest position id + 1 (default `max_position_embeddings`). */
  maxPosition?: number;
  /**
   * Keep the embedding table in the checkpoint and read only the rows a batch needs (default
   * false). Saves V·D floats (2.5 GB for the 155k × 4096 Pro table); the embedding then has no
   * gradient. The reference always holds the whole table.
   */
  lazyEmbeddings?: boolean;
  /** Hold the MoE layers' experts on demand; `capacityBytes` is the total over all MoE layers (fast path only). */
  expertsOnDemand?: ExpertsOnDemandOptions;
}

/** The per-call options of `Qwen3TextModel.forwardEmbeds` (router outputs, which logits). */
export interface TextForwardOptions extends DecoderForwardOptions {
  /** Return every layer's router outputs (null for dense layers). */
  returnRouter?: boolean;
  /** Which logits to compute: `'all'` (default) `[B, T, V]`, `'last'` `[B, 1, V]`, or `'none'`. */
  logits?: 'all' | 'last' | 'none';
}

/** The router's numbers, validated. */
export interface RoutingConfig {
  /** E, `num_experts`. */
  readonly numExperts: number;
  /** K, `num_experts_per_tok`. */
  readonly topK: number;
  /** G, `router_n_groups` (1 = plain top-k). */
  readonly nGroups: number;
  /** `norm_topk_prob`. */
  readonly normTopkProb: boolean;
}

/** The MoE config keys the router reads (a structural subset of the text configs). */
export interface MoeRouterKeys {
  /** E, the number of routed experts. */
  readonly num_experts: number;
  /** K, experts chosen per token. */
  readonly num_experts_per_tok: number;
  /** Whether the K chosen softmax probabilities are renormalised to sum to 1. */
  readonly norm_topk_prob: boolean;
  /** G, expert groups of grouped routing (Pro); absent or null means 1 (plain top-k). */
  readonly router_n_groups?: number | null;
}

/** The config keys of the attention. */
export interface AttentionConfig {
  /** Model width D. */
  readonly hidden_size: number;
  /** Query heads H. */
  readonly num_attention_heads: number;
  /** Key/value heads Hkv (H is a multiple of Hkv: grouped-query attention). */
  readonly num_key_value_heads: number;
  /** Head dim d. */
  readonly head_dim: number;
  /** eps of the per-head q and k RMSNorms. */
  readonly rms_norm_eps: number;
  /** Whether q/k/v/o projections have biases. */
  readonly attention_bias: boolean;
  /** Default bound on position ids (positions must be in `[0, max_position_embeddings)`). */
  readonly max_position_embeddings: number;
}

/** The config keys of the MoE block. */
export interface MoeConfig extends MoeRouterKeys {
  /** Model width D. */
  readonly hidden_size: number;
  /** Width I of each expert's SwiGLU. */
  readonly moe_intermediate_size: number;
  /** Activation of the experts' gates (`silu` in the releases). */
  readonly hidden_act: string;
}

/** The per-call options of {@link Qwen3MoeSparseBlock.forward}: the router gradient. */
export interface MoeForwardOptions {
  /** Gradient of the routing weights: `'sparse'` (default, the true gradient) or `'ste'` (see routing.ts). */
  routerGradient?: RouterGradient;
}

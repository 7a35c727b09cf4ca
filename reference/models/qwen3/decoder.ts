/**
 * Reference Qwen3 decoder layer (spec 3.1), float64:
 *
 * ```
 * a = RMSNorm(x, input_layernorm);           x = x + Attn(a)
 * m = RMSNorm(x, post_attention_layernorm);  x = x + FFN(m)     (dense SwiGLU or sparse MoE)
 * ```
 *
 * @module
 */
import type { NDArray } from '../../ndarray.js';
import type { FopePadding } from '../../nn/fope.js';
import { RMSNorm } from '../../nn/norm.js';
import { add } from '../../ops/elementwise.js';
import type { WeightSource } from '../../weights.js';
import { type AttentionConfig, type KVCacheLayer, Qwen3Attention } from './attention.js';
import { type MlpConfig, Qwen3MLP } from './mlp.js';
import { type MoeConfig, Qwen3MoeSparseBlock } from './moe.js';
import { type PositionEncoding, positionEncoding, type PositionIds, type RotaryConfig } from './rotary.js';
import type { RouterGradient, RouterOutput } from './routing.js';

/** The text-config keys the reference decoder reads (a structural subset of the fast configs). */
export interface DecoderConfig extends AttentionConfig, RotaryConfig, Omit<MlpConfig, 'hidden_act'> {
  /** `qwen3` (dense), `qwen3_moe` (Intern-S1) or `interns1_pro_text` (grouped MoE + FoPE). */
  readonly model_type: 'qwen3' | 'qwen3_moe' | 'interns1_pro_text';
  /** Activation of the FFN gates (`silu`). */
  readonly hidden_act: string;
  /** Number of decoder layers. */
  readonly num_hidden_layers: number;
  /** Vocabulary size V (rows of `embed_tokens` and `lm_head`). */
  readonly vocab_size: number;
  /** Whether `lm_head` is `embed_tokens` itself. */
  readonly tie_word_embeddings: boolean;
  /** MoE models: layer l is MoE when (l + 1) % step = 0 (default 1). */
  readonly decoder_sparse_step?: number;
  /** MoE models: layers forced dense (default none). */
  readonly mlp_only_layers?: readonly number[];
  /** MoE models: width of each expert's SwiGLU. */
  readonly moe_intermediate_size?: number;
  /** MoE models: E, the number of routed experts. */
  readonly num_experts?: number;
  /** MoE models: K, experts per token. */
  readonly num_experts_per_tok?: number;
  /** MoE models: renormalise the K chosen probabilities to sum to 1. */
  readonly norm_topk_prob?: boolean;
  /** Pro: G, expert groups of grouped routing (absent or null: 1). */
  readonly router_n_groups?: number | null;
}

/** Layer l is MoE unless the model is dense, l is in mlp_only_layers, or (l+1) % step ≠ 0. */
export function isMoeLayer(cfg: DecoderConfig, l: number): boolean {
  if (cfg.model_type === 'qwen3') return false;
  return !(cfg.mlp_only_layers ?? []).includes(l) && (l + 1) % (cfg.decoder_sparse_step ?? 1) === 0;
}

/** Options (as in the fast path). */
export interface DecoderLayerOptions {
  /** Layer index l (decides MoE vs dense); default: parsed from a prefix ending in `layers.{l}`, else 0. */
  layerIndex?: number;
  /** A shared position encoding; default: built from the config and `rotaryPrefix`. */
  positionEncoding?: PositionEncoding;
  /** Where FoPE coefficients live; default: the prefix with `layers.{l}` replaced by `rotary_emb`. */
  rotaryPrefix?: string;
  /** FoPE padding of the clipped lanes (default: the trained models' cos = sin = 1). */
  fopePadding?: FopePadding;
  /** Largest position id + 1 (default `max_position_embeddings`). */
  maxPosition?: number;
}

/** Forward options (as in the fast path; chunkSize does not change the result). */
export interface DecoderForwardOptions {
  /** Return the attention probabilities `[B, H, T, S]`. */
  returnAttentionProbs?: boolean;
  /** Gradient rule of the routing weights (MoE layers), `'sparse'` or `'ste'`; forward values do not depend on it. */
  routerGradient?: RouterGradient;
  /** Accepted for parity with the fast path; ignored here. */
  chunkSize?: number;
}

/** `{ hidden [B, T, D], router | null, attentionProbs | null }`. */
export interface DecoderLayerOutput {
  /** `[B, T, D]`. */
  hidden: NDArray;
  /** MoE layers: logits `[B·T, E]`, indices `[B·T, K]`, weights `[B·T, K]`; dense layers: null. */
  router: RouterOutput | null;
  /** `[B, H, T, S]` when requested, else null. */
  attentionProbs: NDArray | null;
}

const LAYER_RE = /(^|\.)layers\.(\d+)$/;

/** The layer index of a prefix ending in `layers.{l}`. */
export function layerIndexOf(prefix: string): number | undefined {
  const m = LAYER_RE.exec(prefix);
  return m ? Number(m[2]) : undefined;
}

/** The rotary-embedding prefix of a layer prefix: `a.b.layers.3` → `a.b.rotary_emb`. */
export function rotaryPrefixOf(prefix: string): string {
  return LAYER_RE.test(prefix) ? prefix.replace(LAYER_RE, '$1rotary_emb') : `${prefix}.rotary_emb`;
}

/**
 * One pre-norm residual decoder layer of the Qwen3 family (spec 3.1), float64:
 *
 * $$
 * x \leftarrow x + \operatorname{Attn}\big(\operatorname{RMSNorm}(x; w_{\mathrm{in}})\big), \qquad
 * x \leftarrow x + \operatorname{FFN}\big(\operatorname{RMSNorm}(x; w_{\mathrm{post}})\big),
 * $$
 *
 * where the FFN is the dense SwiGLU ({@link Qwen3MLP}, Intern-S1-mini) or the sparse MoE block
 * ({@link Qwen3MoeSparseBlock}, Intern-S1 and Pro). `hidden [B, T, D]` → `[B, T, D]`.
 */
export class Qwen3DecoderLayer {
  constructor(
    /** `input_layernorm`, RMSNorm `[D]` before attention. */
    readonly inputNorm: RMSNorm,
    /** The self-attention block. */
    readonly selfAttn: Qwen3Attention,
    /** `post_attention_layernorm`, RMSNorm `[D]` before the FFN. */
    readonly postNorm: RMSNorm,
    /** The FFN: dense SwiGLU MLP, or the sparse MoE block on MoE layers. */
    readonly mlp: Qwen3MLP | Qwen3MoeSparseBlock,
  ) {}

  /** Whether the FFN is the sparse MoE block. */
  get isMoe(): boolean {
    return this.mlp instanceof Qwen3MoeSparseBlock;
  }

  /** Load layer `prefix` (e.g. `model.language_model.layers.3`). */
  static fromWeights(cfg: DecoderConfig, weights: WeightSource, prefix: string, opts: DecoderLayerOptions = {}): Qwen3DecoderLayer {
    const l = opts.layerIndex ?? layerIndexOf(prefix) ?? 0;
    const pos = opts.positionEncoding ?? positionEncoding(cfg, weights, opts.rotaryPrefix ?? rotaryPrefixOf(prefix), { fopePadding: opts.fopePadding });
    const mlp = isMoeLayer(cfg, l)
      ? Qwen3MoeSparseBlock.fromWeights(cfg as unknown as MoeConfig, weights, `${prefix}.mlp`)
      : Qwen3MLP.fromWeights(cfg, weights, `${prefix}.mlp`);
    return new Qwen3DecoderLayer(
      RMSNorm.fromWeights(weights, `${prefix}.input_layernorm`, cfg.rms_norm_eps),
      Qwen3Attention.fromWeights(cfg, weights, `${prefix}.self_attn`, pos, { maxPosition: opts.maxPosition }),
      RMSNorm.fromWeights(weights, `${prefix}.post_attention_layernorm`, cfg.rms_norm_eps),
      mlp,
    );
  }

  /** `x [B, T, D]` → `{ hidden [B, T, D], router, attentionProbs }`; positions default to the ids after the cache. */
  forward(x: NDArray, positions?: PositionIds, cache?: KVCacheLayer, opts: DecoderForwardOptions = {}): DecoderLayerOutput {
    const attn = this.selfAttn.forward(this.inputNorm.forward(x), positions, cache, { returnProbs: opts.returnAttentionProbs });
    const h = add(x, attn.output);
    const m = this.postNorm.forward(h);
    if (this.mlp instanceof Qwen3MoeSparseBlock) {
      const r = this.mlp.forward(m, { routerGradient: opts.routerGradient });
      return { hidden: add(h, r.output), router: r.router, attentionProbs: attn.probs };
    }
    return { hidden: add(h, this.mlp.forward(m)), router: null, attentionProbs: attn.probs };
  }
}

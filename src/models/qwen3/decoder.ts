/**
 * One Qwen3 decoder layer (spec 3.1): pre-norm residual attention, then a dense SwiGLU FFN
 * (Intern-S1-mini) or the sparse MoE FFN (Intern-S1, Intern-S1-Pro).
 *
 * ```
 * a = RMSNorm(x, input_layernorm);           x = x + Attn(a)
 * m = RMSNorm(x, post_attention_layernorm);  x = x + FFN(m)
 * ```
 *
 * Legend: B batch, T tokens, D width, E experts, K chosen per token.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../../errors.js';
import { isMoeLayer, type TextConfig } from '../../io/configs/text.js';
import { loadAll } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import type { Disposable } from '../../nn/linear.js';
import { RMSNorm } from '../../nn/norm.js';
import { scope } from '../../nn/scope.js';
import { add } from '../../ops/elementwise.js';
import { type AttentionForwardOptions, type KVCacheLayer, Qwen3Attention } from './attention.js';
import { Qwen3MLP } from './mlp.js';
import { Qwen3MoeSparseBlock } from './moe.js';
import type { ExpertCache } from './expert-cache.js';
import { type PositionEncoding, positionEncoding, type PositionIds } from './rotary.js';
import type { RouterOutput } from './routing.js';
import type { DecoderLayerOptionsOf, DecoderForwardOptions as SharedDecoderForwardOptions } from './options.js';

/** Options of {@link Qwen3DecoderLayer.fromWeights} (fields in `options.ts`, shared with the reference). */
export type DecoderLayerOptions = DecoderLayerOptionsOf<PositionEncoding> & {
  /** A MoE layer's expert cache kept by the caller across rebuilds (see `MoeLoadOptions.expertCache`). */
  readonly expertCache?: ExpertCache;
};
/** Options of {@link Qwen3DecoderLayer.forward}: the shared fields plus the fast path's `leftPadding`. */
export type DecoderForwardOptions = SharedDecoderForwardOptions & Pick<AttentionForwardOptions, 'leftPadding'>;

/** A decoder layer's output: the hidden states, and the router outputs and attention probabilities on request. */
export interface DecoderLayerOutput {
  /** `[B, T, D]`. */
  hidden: tf.Tensor;
  /** MoE layers: logits `[B·T, E]`, indices `[B·T, K]` int32, weights `[B·T, K]`; dense layers: null. */
  router: RouterOutput | null;
  /** `[B, H, T, S]` when requested, else null. */
  attentionProbs: tf.Tensor | null;
}

/** `layers.{l}` at the end of a prefix. */
const LAYER_RE = /(^|\.)layers\.(\d+)$/;

/** The layer index of a prefix, or undefined. */
export function layerIndexOf(prefix: string): number | undefined {
  const m = LAYER_RE.exec(prefix);
  return m ? Number(m[2]) : undefined;
}

/** The FoPE prefix next to a layer prefix: `a.b.layers.3` → `a.b.rotary_emb`. */
export function rotaryPrefixOf(prefix: string): string {
  return LAYER_RE.test(prefix) ? prefix.replace(LAYER_RE, '$1rotary_emb') : `${prefix}.rotary_emb`;
}

/**
 * A Qwen3 / Qwen3-MoE / Intern-S1-Pro decoder layer, loaded from `<prefix>.input_layernorm`,
 * `.self_attn.*`, `.post_attention_layernorm`, `.mlp.*` (spec 9.1-9.3).
 *
 * $$ x \leftarrow x + \operatorname{Attn}(\operatorname{RMSNorm}(x)), \qquad x \leftarrow x + \operatorname{FFN}(\operatorname{RMSNorm}(x)) $$
 *
 * (spec 3.1; the FFN is {@link Qwen3MLP} or {@link Qwen3MoeSparseBlock}). Reference twin:
 * {@link reference!Qwen3DecoderLayer | Qwen3DecoderLayer}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { Qwen3DecoderLayer, parseTextConfig, memoryWeights } from 'intern-s1-ts';
 * const cfg = parseTextConfig({ model_type: 'qwen3', vocab_size: 16, hidden_size: 8, intermediate_size: 12,
 *   num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 4,
 *   max_position_embeddings: 64, rope_theta: 1e6 });
 * const p = 'model.layers.0';
 * const f = (...shape: number[]) => ({ dtype: 'F32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b)).fill(0.05) });
 * const w = memoryWeights({ [`${p}.input_layernorm.weight`]: f(8), [`${p}.post_attention_layernorm.weight`]: f(8),
 *   [`${p}.self_attn.q_proj.weight`]: f(8, 8), [`${p}.self_attn.k_proj.weight`]: f(4, 8), [`${p}.self_attn.v_proj.weight`]: f(4, 8),
 *   [`${p}.self_attn.o_proj.weight`]: f(8, 8), [`${p}.self_attn.q_norm.weight`]: f(4), [`${p}.self_attn.k_norm.weight`]: f(4),
 *   [`${p}.mlp.gate_proj.weight`]: f(12, 8), [`${p}.mlp.up_proj.weight`]: f(12, 8), [`${p}.mlp.down_proj.weight`]: f(8, 12) });
 * const layer = Qwen3DecoderLayer.fromWeights(cfg, w, p);
 * const out = layer.forward(tf.ones([1, 3, 8]));
 * console.log(out.hidden.shape, out.router); // => [1, 3, 8], null
 * layer.dispose();
 * ```
 */
export class Qwen3DecoderLayer implements Disposable {
  constructor(
    /** `input_layernorm`, RMSNorm `[D]` before attention. */
    readonly inputNorm: RMSNorm,
    /** The self-attention block. */
    readonly selfAttn: Qwen3Attention,
    /** `post_attention_layernorm`, RMSNorm `[D]` before the FFN. */
    readonly postNorm: RMSNorm,
    /** The FFN: dense SwiGLU MLP, or the sparse MoE block on MoE layers. */
    readonly mlp: Qwen3MLP | Qwen3MoeSparseBlock,
    /** A position encoding this layer built itself (disposed with it), or null when shared. */
    private readonly ownPosition: PositionEncoding | null = null,
  ) {}

  /** Whether the FFN is the sparse MoE block. */
  get isMoe(): boolean {
    return this.mlp instanceof Qwen3MoeSparseBlock;
  }

  /**
   * Load layer `prefix` (e.g. `model.language_model.layers.3`).
   * @throws ConfigError for bad router numbers; ShapeError / CheckpointError naming a tensor;
   *   ValueError when the layer index cannot be told for a config whose MoE layers depend on it.
   */
  static fromWeights(cfg: TextConfig, weights: WeightSource, prefix: string, opts: DecoderLayerOptions = {}): Qwen3DecoderLayer {
    const l = opts.layerIndex ?? layerIndexOf(prefix);
    if (l === undefined && cfg.model_type !== 'qwen3' && (cfg.decoder_sparse_step !== 1 || cfg.mlp_only_layers.length > 0)) {
      throw new ValueError(`Qwen3DecoderLayer: prefix '${prefix}' does not end in 'layers.{l}'; pass opts.layerIndex (MoE layers depend on it)`);
    }
    const moe = isMoeLayer(cfg, l ?? 0);
    return loadAll((keep) => {
      const own = opts.positionEncoding ? null : keep(positionEncoding(cfg, weights, opts.rotaryPrefix ?? rotaryPrefixOf(prefix), { fopePadding: opts.fopePadding }));
      const inputNorm = keep(RMSNorm.fromWeights(weights, `${prefix}.input_layernorm`, cfg.rms_norm_eps));
      const attn = keep(Qwen3Attention.fromWeights(cfg, weights, `${prefix}.self_attn`, (opts.positionEncoding ?? own)!, { maxPosition: opts.maxPosition }));
      const postNorm = keep(RMSNorm.fromWeights(weights, `${prefix}.post_attention_layernorm`, cfg.rms_norm_eps));
      const mlp = moe && cfg.model_type !== 'qwen3'
        ? keep(Qwen3MoeSparseBlock.fromWeights(cfg, weights, `${prefix}.mlp`, { expertsOnDemand: opts.expertsOnDemand, expertCache: opts.expertCache }))
        : keep(Qwen3MLP.fromWeights(cfg, weights, `${prefix}.mlp`));
      return new Qwen3DecoderLayer(inputNorm, attn, postNorm, mlp, own);
    });
  }

  /**
   * `x [B, T, D]` → `{ hidden [B, T, D], router, attentionProbs }`. Positions default to the ids
   * after the cache (`cache.length + 0 .. T−1`). The caller disposes every returned tensor.
   */
  forward(x: tf.Tensor, positions?: PositionIds | tf.Tensor, cache?: KVCacheLayer, opts: DecoderForwardOptions = {}): DecoderLayerOutput {
    return scope(() => {
      const attn = this.selfAttn.forward(this.inputNorm.forward(x), positions, cache, { returnProbs: opts.returnAttentionProbs, chunkSize: opts.chunkSize, leftPadding: opts.leftPadding });
      const h = add(x, attn.output); // [B, T, D]
      const m = this.postNorm.forward(h); // [B, T, D]
      if (this.mlp instanceof Qwen3MoeSparseBlock) {
        const r = this.mlp.forward(m, { routerGradient: opts.routerGradient });
        return { hidden: add(h, r.output), router: r.router, attentionProbs: attn.probs };
      }
      return { hidden: add(h, this.mlp.forward(m)), router: null, attentionProbs: attn.probs };
    });
  }

  /** Release the layer's weights (and its own position encoding, if it built one). */
  dispose(): void {
    this.inputNorm.dispose();
    this.selfAttn.dispose();
    this.postNorm.dispose();
    this.mlp.dispose();
    this.ownPosition?.dispose();
  }
}


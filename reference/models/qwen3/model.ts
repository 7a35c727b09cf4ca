/**
 * Reference Qwen3 text stack (spec 3.1), float64:
 *
 * ```
 * x0 = embed_tokens[ids];  x = layer_l(x) for each l;  h = RMSNorm(x, norm);  logits = h·lm_headᵀ
 * ```
 *
 * @module
 */
import { type NDArray, reshape, zeros } from '../../ndarray.js';
import type { FopePadding } from '../../nn/fope.js';
import { Linear } from '../../nn/linear.js';
import { RMSNorm } from '../../nn/norm.js';
import { embedding } from '../../ops/gather.js';
import { slice } from '../../ops/shape.js';
import type { WeightSource } from '../../weights.js';
import { Qwen3KVCache } from './attention.js';
import { type DecoderConfig, type DecoderForwardOptions, Qwen3DecoderLayer } from './decoder.js';
import { type PositionEncoding, positionEncoding, type PositionIds } from './rotary.js';
import type { RouterOutput } from './routing.js';

/** Options (as in the fast path). */
export interface TextModelOptions {
  /** Prefix of the decoder weights, ending in a dot (default `model.language_model.`). */
  prefix?: string;
  /** Name of the lm_head weight (default `lm_head.weight`); unused with tied embeddings. */
  lmHead?: string;
  /** FoPE padding of the clipped lanes (default: the trained models' cos = sin = 1). */
  fopePadding?: FopePadding;
  /** Largest position id + 1 (default `max_position_embeddings`). */
  maxPosition?: number;
  /** Accepted for parity with the fast path; the reference always holds the whole table. */
  lazyEmbeddings?: boolean;
}

/** Forward options (as in the fast path). */
export interface TextForwardOptions extends DecoderForwardOptions {
  /** Return each layer's router outputs (null for dense layers). */
  returnRouter?: boolean;
  /** Which logits to compute: every position (`'all'`, default), the last one, or none. */
  logits?: 'all' | 'last' | 'none';
}

/** `{ logits [B, T, V] | null, hidden [B, T, D], router, attentionProbs }`. */
export interface TextModelOutput {
  /** `[B, T, V]` (`[B, 1, V]` with `logits: 'last'`), or null with `'none'`. */
  logits: NDArray | null;
  /** Final hidden states after `norm`, `[B, T, D]`. */
  hidden: NDArray;
  /** Per layer (null for dense layers), with `returnRouter`; else null. */
  router: (RouterOutput | null)[] | null;
  /** Per layer `[B, H, T, S]`, with `returnAttentionProbs`; else null. */
  attentionProbs: NDArray[] | null;
}

/**
 * The whole Qwen3 text decoder (spec 3.1), float64: token embeddings, L decoder layers, the final
 * RMSNorm and the untied `lm_head`,
 *
 * $$
 * x_0 = E[\mathrm{ids}], \qquad x_{l+1} = \operatorname{Layer}_l(x_l), \qquad
 * \mathrm{logits} = \operatorname{RMSNorm}(x_L; w_{\mathrm{final}})\, W_{\mathrm{lm}}^\top ,
 * $$
 *
 * ids `[B, T]` (or embeddings `[B, T, D]`) → logits `[B, T, V]`, with each MoE layer's router
 * outputs on request.
 */
export class Qwen3TextModel {
  constructor(
    /** The text config. */
    readonly cfg: DecoderConfig,
    /** `embed_tokens` `[V, D]`. */
    readonly embedTokens: NDArray,
    /** The decoder layers, in order. */
    readonly layers: readonly Qwen3DecoderLayer[],
    /** The final RMSNorm `norm` `[D]`. */
    readonly norm: RMSNorm,
    /** `lm_head` `[V, D]` (the embedding table when tied). */
    readonly lmHead: Linear,
    /** RoPE or FoPE, shared by every layer. */
    readonly position: PositionEncoding,
  ) {}

  /** Load the embeddings, `num_hidden_layers` layers, the final norm and lm_head. */
  static fromWeights(cfg: DecoderConfig, weights: WeightSource, opts: TextModelOptions = {}): Qwen3TextModel {
    const prefix = opts.prefix ?? 'model.language_model.';
    const pos = positionEncoding(cfg, weights, `${prefix}rotary_emb`, { fopePadding: opts.fopePadding });
    const layers = Array.from({ length: cfg.num_hidden_layers }, (_, l) =>
      Qwen3DecoderLayer.fromWeights(cfg, weights, `${prefix}layers.${l}`, { layerIndex: l, positionEncoding: pos, maxPosition: opts.maxPosition }));
    const embed = weights.array(`${prefix}embed_tokens.weight`);
    const head = cfg.tie_word_embeddings ? new Linear(embed, null) : Linear.fromWeights(weights, (opts.lmHead ?? 'lm_head.weight').replace(/\.weight$/, ''), { bias: false });
    return new Qwen3TextModel(cfg, embed, layers, RMSNorm.fromWeights(weights, `${prefix}norm`, cfg.rms_norm_eps), head, pos);
  }

  /** A fresh KV cache for incremental decoding. */
  newCache(): Qwen3KVCache {
    return new Qwen3KVCache(this.layers.length);
  }

  /** `embed_tokens[ids]`: ids `[B][T]` → `[B, T, D]`. */
  embed(ids: readonly (readonly number[])[]): NDArray {
    const B = ids.length;
    const T = ids[0].length;
    const flat = zeros([B, T]);
    ids.forEach((r, b) => r.forEach((v, t) => flat.set(b, t, v)));
    return embedding(this.embedTokens, flat);
  }

  /** Run the decoder on input embeddings `[B, T, D]` (positions default to the ids after the cache). */
  forwardEmbeds(embeds: NDArray, positions?: PositionIds, cache?: Qwen3KVCache, opts: TextForwardOptions = {}): TextModelOutput {
    let x = embeds;
    const router: (RouterOutput | null)[] = [];
    const probs: NDArray[] = [];
    this.layers.forEach((layer, l) => {
      const out = layer.forward(x, positions, cache?.layers[l], opts);
      x = out.hidden;
      router.push(out.router);
      if (out.attentionProbs) probs.push(out.attentionProbs);
    });
    const hidden = this.norm.forward(x);
    const [B, T, D] = hidden.shape;
    const which = opts.logits ?? 'all';
    const h = which === 'last' ? reshape(slice(hidden, [0, T - 1, 0], [B, 1, D]), [B, 1, D]) : hidden;
    const logits = which === 'none' ? null : this.lmHead.forward(h);
    return { logits, hidden, router: opts.returnRouter ? router : null, attentionProbs: opts.returnAttentionProbs ? probs : null };
  }

  /** Embed token ids `[B][T]`, then {@link forwardEmbeds}. */
  forward(ids: readonly (readonly number[])[], positions?: PositionIds, cache?: Qwen3KVCache, opts: TextForwardOptions = {}): TextModelOutput {
    return this.forwardEmbeds(this.embed(ids), positions, cache, opts);
  }
}

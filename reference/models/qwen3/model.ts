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
  prefix?: string;
  lmHead?: string;
  fopePadding?: FopePadding;
  maxPosition?: number;
  lazyEmbeddings?: boolean;
}

/** Forward options (as in the fast path). */
export interface TextForwardOptions extends DecoderForwardOptions {
  returnRouter?: boolean;
  logits?: 'all' | 'last' | 'none';
}

/** `{ logits [B, T, V] | null, hidden [B, T, D], router, attentionProbs }`. */
export interface TextModelOutput {
  logits: NDArray | null;
  hidden: NDArray;
  router: (RouterOutput | null)[] | null;
  attentionProbs: NDArray[] | null;
}

/** Reference text model. */
export class Qwen3TextModel {
  constructor(
    readonly cfg: DecoderConfig,
    readonly embedTokens: NDArray,
    readonly layers: readonly Qwen3DecoderLayer[],
    readonly norm: RMSNorm,
    readonly lmHead: Linear,
    readonly position: PositionEncoding,
  ) {}

  static fromWeights(cfg: DecoderConfig, weights: WeightSource, opts: TextModelOptions = {}): Qwen3TextModel {
    const prefix = opts.prefix ?? 'model.language_model.';
    const pos = positionEncoding(cfg, weights, `${prefix}rotary_emb`, { fopePadding: opts.fopePadding });
    const layers = Array.from({ length: cfg.num_hidden_layers }, (_, l) =>
      Qwen3DecoderLayer.fromWeights(cfg, weights, `${prefix}layers.${l}`, { layerIndex: l, positionEncoding: pos, maxPosition: opts.maxPosition }));
    const embed = weights.array(`${prefix}embed_tokens.weight`);
    const head = cfg.tie_word_embeddings ? new Linear(embed, null) : Linear.fromWeights(weights, (opts.lmHead ?? 'lm_head.weight').replace(/\.weight$/, ''), { bias: false });
    return new Qwen3TextModel(cfg, embed, layers, RMSNorm.fromWeights(weights, `${prefix}norm`, cfg.rms_norm_eps), head, pos);
  }

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

  forward(ids: readonly (readonly number[])[], positions?: PositionIds, cache?: Qwen3KVCache, opts: TextForwardOptions = {}): TextModelOutput {
    return this.forwardEmbeds(this.embed(ids), positions, cache, opts);
  }
}

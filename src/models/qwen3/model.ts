/**
 * The Qwen3 text stack (spec 3.1): token embedding, decoder layers, final RMSNorm and the untied
 * `lm_head`. Used alone (Qwen3 / Intern-S1-mini text) and by the multimodal models, which feed
 * their own input embeddings through {@link Qwen3TextModel.forwardEmbeds}.
 *
 * ```
 * x0 = embed_tokens[ids]                       [B, T, D]  (or given embeddings)
 * x  = layer_l(x) for l = 0 .. L−1             (one shared RoPE / FoPE, one KV cache per layer)
 * h  = RMSNorm(x, norm);  logits = h · lm_headᵀ [B, T, V]
 * ```
 *
 * Weight names: `<prefix>embed_tokens.weight`, `<prefix>layers.{l}.*`, `<prefix>norm.weight`,
 * `<prefix>rotary_emb.{cos,sin}_coef` (FoPE), and `lm_head.weight` (spec 9.1-9.3). The prefix
 * is `model.language_model.` in the multimodal checkpoints and `model.` in plain Qwen3 ones.
 *
 * Legend: B batch, T tokens, D width, V vocabulary, L layers.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError, ValueError } from '../../errors.js';
import type { TextConfig } from '../../io/configs/text.js';
import { expectShape, loadAll } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import type { MemoryPlan } from '../../io/budget.js';
import type { Disposable } from '../../nn/linear.js';
import { RMSNorm } from '../../nn/norm.js';
import { scope } from '../../nn/scope.js';
import { embedding } from '../../ops/gather.js';
import { dense } from '../../ops/matmul.js';
import { slice } from '../../ops/shape.js';
import { checkFloat, checkRank, fmtShape } from '../../util/check.js';
import { type AttentionForwardOptions, Qwen3KVCache } from './attention.js';
import { type DecoderLayerOutput, Qwen3DecoderLayer } from './decoder.js';
import { ExpertCache, moeLayerCount, perLayerExperts } from './expert-cache.js';
import { routingConfig } from './routing.js';
import { isMoeLayer } from '../../io/configs/text.js';
import type { ExpertsOnDemandOptions } from './options.js';
import { type PositionEncoding, positionEncoding, type PositionIds } from './rotary.js';
import type { RouterOutput } from './routing.js';
import type { TextForwardOptions as SharedTextForwardOptions, TextModelOptions as SharedTextModelOptions } from './options.js';

/** Options of {@link Qwen3TextModel.fromWeights}: the shared load options plus the fast path's memory plan. */
export interface TextModelOptions extends SharedTextModelOptions {
  /**
   * A memory plan (`planMemory` / `planModelMemory`, src/io/budget.ts): keep only its resident
   * layers, read the embeddings by rows and lm_head in slices where it says so; the streamed
   * layers are built from the weights at each forward call and released (same numbers, less
   * memory). Default: everything resident.
   */
  readonly memoryPlan?: MemoryPlan;
}
/** Options of {@link Qwen3TextModel.forwardEmbeds}: the shared fields plus the fast path's `leftPadding`. */
export type TextForwardOptions = SharedTextForwardOptions & Pick<AttentionForwardOptions, 'leftPadding'>;

/** What a {@link Qwen3TextModel} reads from its checkpoint at forward time under a memory plan. */
export interface TextStreaming {
  /** The checkpoint. */
  readonly weights: WeightSource;
  /** The text weights' prefix (`model.language_model.`). */
  readonly prefix: string;
  /** The name of lm_head (the embedding table when tied). */
  readonly headName: string;
  /** Rows per lm_head slice, or 0 with a resident lm_head. */
  readonly sliceRows: number;
  /** Largest position id + 1 of the streamed layers (default `max_position_embeddings`). */
  readonly maxPosition?: number;
  /** Experts on demand for the streamed MoE layers (per layer; a streamed layer's cache lives for one forward call). */
  readonly expertsOnDemand?: ExpertsOnDemandOptions;
}

/** The stack's output; the caller disposes every tensor. */
export interface TextModelOutput {
  /** `[B, T, V]` (`[B, 1, V]` for `'last'`), or null for `'none'`. */
  logits: tf.Tensor | null;
  /** Final hidden states after `norm`, `[B, T, D]`. */
  hidden: tf.Tensor;
  /** Per layer, when requested: the router outputs of MoE layers, null for dense ones. */
  router: (RouterOutput | null)[] | null;
  /** Per layer `[B, H, T, S]`, when requested. */
  attentionProbs: tf.Tensor[] | null;
}

/**
 * Qwen3 / Qwen3-MoE / Intern-S1-Pro text model.
 *
 * $$ x_0 = E[\mathrm{ids}], \qquad x_{l+1} = \operatorname{Layer}_l(x_l), \qquad \mathrm{logits} = \operatorname{RMSNorm}(x_L)\, W_{\mathrm{lm}}^\top $$
 *
 * (spec 3.1): ids `[B, T]` → logits `[B, T, V]`, with a KV cache and the router outputs on request.
 * Reference twin: {@link reference!Qwen3TextModel | Qwen3TextModel}.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { Qwen3TextModel, parseTextConfig, memoryWeights, type TensorInput } from 'intern-s1-ts';
 * const cfg = parseTextConfig({ model_type: 'qwen3', vocab_size: 10, hidden_size: 8, intermediate_size: 12,
 *   num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 4,
 *   max_position_embeddings: 64, rope_theta: 1e6 });
 * const f = (...shape: number[]): TensorInput => ({ dtype: 'F32', shape, data: new Float32Array(shape.reduce((a, b) => a * b)).fill(0.05) });
 * const p = 'model.layers.0';
 * const w = memoryWeights({ 'model.embed_tokens.weight': f(10, 8), 'model.norm.weight': f(8), 'lm_head.weight': f(10, 8),
 *   [`${p}.input_layernorm.weight`]: f(8), [`${p}.post_attention_layernorm.weight`]: f(8),
 *   [`${p}.self_attn.q_proj.weight`]: f(8, 8), [`${p}.self_attn.k_proj.weight`]: f(4, 8), [`${p}.self_attn.v_proj.weight`]: f(4, 8),
 *   [`${p}.self_attn.o_proj.weight`]: f(8, 8), [`${p}.self_attn.q_norm.weight`]: f(4), [`${p}.self_attn.k_norm.weight`]: f(4),
 *   [`${p}.mlp.gate_proj.weight`]: f(12, 8), [`${p}.mlp.up_proj.weight`]: f(12, 8), [`${p}.mlp.down_proj.weight`]: f(8, 12) });
 * const model = Qwen3TextModel.fromWeights(cfg, w, { prefix: 'model.' });
 * const out = model.forward([[1, 2, 3]]);
 * console.log(out.logits!.shape); // => [1, 3, 10]
 * model.dispose();
 * ```
 */
export class Qwen3TextModel implements Disposable {
  /** Streaming counters (layers and lm_head slices decoded and uploaded at forward time). */
  readonly streamStats: {
    /** Streamed layers built so far (one per streamed layer per forward call). */
    layers: number;
    /** lm_head slices read so far. */
    lmHeadSlices: number;
    /** Float32 bytes uploaded for them. */
    bytes: number;
  } = { layers: 0, lmHeadSlices: 0, bytes: 0 };
  /**
   * The expert caches of the streamed MoE layers (experts on demand), by layer index: created at
   * a layer's first forward and kept across forwards (a streamed layer is rebuilt at each call,
   * its hot experts are not), disposed with the model. Resident layers hold theirs in
   * `layers[l].mlp.expertCache`.
   */
  readonly streamedExpertCaches = new Map<number, ExpertCache>();

  constructor(
    /** The text config. */
    readonly cfg: TextConfig,
    /** `[V, D]`, or null with lazy embeddings. */
    readonly embedTokens: tf.Tensor2D | null,
    /**
     * The resident decoder layers, in order: all `num_hidden_layers` of them, or under a memory
     * plan the first `plan.residentLayers` (the others are loaded for each forward call and released).
     */
    readonly layers: readonly Qwen3DecoderLayer[],
    /** The final RMSNorm `model.norm` `[D]`. */
    readonly norm: RMSNorm,
    /** `lm_headᵀ [D, V]`, or null when a memory plan reads lm_head in vocabulary slices. */
    readonly lmHeadT: tf.Tensor2D | null,
    /** RoPE (Qwen3) or FoPE (Pro), shared by every layer and owned by the model. */
    readonly position: PositionEncoding,
    /** The source and name of the embedding table, for lazy embeddings. */
    private readonly lazy: { weights: WeightSource; name: string } | null = null,
    /** What streams under a memory plan (null: everything resident). */
    readonly streaming: TextStreaming | null = null,
  ) {}

  /**
   * Load the text stack. Every tensor is checked against the config before anything is kept.
   * With `opts.memoryPlan` only the plan's resident part is loaded: the first
   * `plan.residentLayers` layers (the others are built from `weights` at each forward call and
   * released after use), the embedding table unless it reads rows, lm_head unless it is sliced.
   * @throws ShapeError / CheckpointError naming the tensor; ConfigError for bad router numbers.
   */
  static fromWeights(cfg: TextConfig, weights: WeightSource, opts: TextModelOptions = {}): Qwen3TextModel {
    const prefix = opts.prefix ?? 'model.language_model.';
    const { vocab_size: V, hidden_size: D } = cfg;
    const embedName = `${prefix}embed_tokens.weight`;
    const headName = cfg.tie_word_embeddings ? embedName : (opts.lmHead ?? 'lm_head.weight');
    expectShape('Qwen3TextModel', weights, embedName, [V, D]);
    expectShape('Qwen3TextModel', weights, headName, [V, D]);
    const plan = opts.memoryPlan;
    const resident = plan ? Math.min(plan.residentLayers, cfg.num_hidden_layers) : cfg.num_hidden_layers;
    const lazy = opts.lazyEmbeddings === true || plan?.embeddings === 'rows';
    const sliceRows = plan?.lmHead.mode === 'sliced' ? plan.lmHead.sliceRows : 0;
    return loadAll((keep) => {
      const pos = keep(positionEncoding(cfg, weights, `${prefix}rotary_emb`, { fopePadding: opts.fopePadding }));
      const layers: Qwen3DecoderLayer[] = [];
      const expertsOnDemand = perLayerExperts(opts.expertsOnDemand, moeLayerCount(cfg)); // the total split over the MoE layers
      for (let l = 0; l < resident; l++) {
        layers.push(keep(Qwen3DecoderLayer.fromWeights(cfg, weights, `${prefix}layers.${l}`, { layerIndex: l, positionEncoding: pos, maxPosition: opts.maxPosition, expertsOnDemand })));
      }
      const norm = keep(RMSNorm.fromWeights(weights, `${prefix}norm`, cfg.rms_norm_eps));
      const embed = lazy ? null : keep(weights.tensor(embedName) as tf.Tensor2D);
      const head = sliceRows ? null : keep(weights.tensor(headName, { transpose: true }) as tf.Tensor2D); // [D, V]
      const streaming = resident < cfg.num_hidden_layers || sliceRows ? { weights, prefix, headName, sliceRows, maxPosition: opts.maxPosition, expertsOnDemand } : null;
      return new Qwen3TextModel(cfg, embed, layers, norm, head, pos, lazy ? { weights, name: embedName } : null, streaming);
    });
  }

  /** A fresh KV cache with one slot per layer. */
  newCache(): Qwen3KVCache {
    return new Qwen3KVCache(this.cfg.num_hidden_layers);
  }

  /**
   * Token embeddings `[B, T, D]` for ids `[B, T]` (an int32 tensor or nested arrays).
   * @throws ShapeError for ids that are not `[B, T]`; ValueError for ids outside [0, V).
   */
  embed(ids: tf.Tensor | readonly (readonly number[])[]): tf.Tensor {
    const t = ids instanceof tf.Tensor ? ids : idsTensor(ids);
    try {
      checkRank('Qwen3TextModel.embed', 'ids', t, 2);
      if (this.lazy) return this.lazyEmbed(t);
      return embedding(this.embedTokens!, t); // [B, T, D]
    } finally {
      if (t !== ids) t.dispose();
    }
  }

  private lazyEmbed(ids: tf.Tensor): tf.Tensor {
    const v = ids.dataSync();
    const V = this.cfg.vocab_size;
    v.forEach((id, i) => {
      if (!(id >= 0 && id < V)) throw new ValueError(`Qwen3TextModel.embed: 'ids' holds ${id} at flat position ${i}, outside [0, ${V})`);
    });
    const rows = this.lazy!.weights.rows(this.lazy!.name, v);
    return tf.tensor3d(rows, [ids.shape[0] as number, ids.shape[1] as number, this.cfg.hidden_size]);
  }

  /**
   * Run the stack on input embeddings `[B, T, D]` (the multimodal models replace placeholder
   * rows before calling this). Positions default to the ids after the cache.
   * @throws ShapeError for bad shapes; ValueError for bad positions.
   */
  forwardEmbeds(embeds: tf.Tensor, positions?: PositionIds | tf.Tensor, cache?: Qwen3KVCache, opts: TextForwardOptions = {}): TextModelOutput {
    this.checkEmbeds(embeds, cache);
    return scope(() => {
      let x = embeds;
      const router: (RouterOutput | null)[] = [];
      const probs: tf.Tensor[] = [];
      for (let l = 0; l < this.cfg.num_hidden_layers; l++) {
        const layer = this.layerAt(l);
        let out: DecoderLayerOutput;
        try {
          out = layer.forward(x, positions, cache?.layers[l], opts);
        } finally {
          if (layer !== this.layers[l]) layer.dispose(); // a streamed layer is released right after use
        }
        if (x !== embeds) x.dispose(); // each layer's input is freed as soon as its output exists
        x = out.hidden;
        if (opts.returnRouter) router.push(out.router);
        else if (out.router) tf.dispose([out.router.logits, out.router.indices, out.router.weights]);
        if (out.attentionProbs) probs.push(out.attentionProbs);
      }
      const hidden = this.norm.forward(x); // [B, T, D]
      const logits = this.logitsOf(hidden, opts.logits ?? 'all');
      return { logits, hidden, router: opts.returnRouter ? router : null, attentionProbs: opts.returnAttentionProbs ? probs : null };
    });
  }

  /** Check the input embeddings `[B, T, D]` and the cache's depth. */
  private checkEmbeds(embeds: tf.Tensor, cache: Qwen3KVCache | undefined): void {
    checkFloat('Qwen3TextModel', 'embeds', embeds);
    checkRank('Qwen3TextModel', 'embeds', embeds, 3);
    if (embeds.shape[2] !== this.cfg.hidden_size) throw new ShapeError(`Qwen3TextModel: 'embeds' must be [B, T, D = ${this.cfg.hidden_size}], got ${fmtShape(embeds.shape)}`);
    const L = this.cfg.num_hidden_layers;
    if (cache && cache.layers.length !== L) throw new ShapeError(`Qwen3TextModel: the cache has ${cache.layers.length} layers, the model ${L}`);
  }

  private logitsOf(hidden: tf.Tensor, which: 'all' | 'last' | 'none'): tf.Tensor | null {
    if (which === 'none') return null;
    const [B, T, D] = hidden.shape;
    return scope(() => {
      const h = which === 'last' ? slice(hidden, [0, T - 1, 0], [B, 1, D]) : hidden; // [B, T', D], T' = T or 1
      if (this.lmHeadT) return dense(h, this.lmHeadT); // [B, T', V]
      const parts: tf.Tensor[] = [];
      this.lmHeadSlices(h, (_v0, logits) => {
        parts.push(logits);
        return true;
      });
      return parts.length === 1 ? parts[0] : tf.concat(parts, -1); // [B, T', V]
    });
  }

  /** Layer l: the resident one, or (streamed) built from the checkpoint now; the caller disposes a streamed one. */
  private layerAt(l: number): Qwen3DecoderLayer {
    if (l < this.layers.length) return this.layers[l];
    const s = this.streaming!;
    const before = tf.memory().numBytes;
    let expertCache = this.streamedExpertCaches.get(l);
    if (!expertCache && s.expertsOnDemand && this.cfg.model_type !== 'qwen3' && isMoeLayer(this.cfg, l)) {
      const rc = routingConfig(this.cfg);
      const dims = { D: this.cfg.hidden_size, I: this.cfg.moe_intermediate_size, E: rc.numExperts, G: rc.nGroups };
      expertCache = new ExpertCache(s.weights, `${s.prefix}layers.${l}.mlp`, dims, s.expertsOnDemand);
      this.streamedExpertCaches.set(l, expertCache);
    }
    const layer = Qwen3DecoderLayer.fromWeights(this.cfg, s.weights, `${s.prefix}layers.${l}`, { layerIndex: l, positionEncoding: this.position, maxPosition: s.maxPosition, expertsOnDemand: s.expertsOnDemand, expertCache });
    this.streamStats.layers++;
    this.streamStats.bytes += tf.memory().numBytes - before;
    return layer;
  }

  /**
   * The logits of `hidden [B, T, D]` one vocabulary slice at a time: `fn(v0, logits [B, T, n])`
   * for the slices `[v0, v0 + n)` in order (n = the plan's slice rows; one slice of V with a
   * resident lm_head), each `h · W[v0 : v0 + n]ᵀ` with the same product as the full
   * `h · lm_headᵀ`. `fn` owns `logits` (disposes or keeps it) and returns `false` to stop early.
   * With a sliced lm_head only one slice of the weight is on the backend at a time, so a running
   * top-k or log-sum-exp over the slices never needs the `[V, D]` weight or the `[B, T, V]` logits.
   */
  lmHeadSlices(hidden: tf.Tensor, fn: (v0: number, logits: tf.Tensor) => boolean | void): void {
    checkFloat('Qwen3TextModel.lmHeadSlices', 'hidden', hidden);
    checkRank('Qwen3TextModel.lmHeadSlices', 'hidden', hidden, 3);
    const V = this.cfg.vocab_size;
    if (this.lmHeadT) {
      fn(0, dense(hidden, this.lmHeadT));
      return;
    }
    const S = this.streaming!.sliceRows;
    for (let v0 = 0; v0 < V; v0 += S) {
      const w = this.headSlice(v0, Math.min(V, v0 + S)); // [D, n]
      let logits: tf.Tensor;
      try {
        logits = dense(hidden, w); // [B, T, n]
      } finally {
        w.dispose();
      }
      if (fn(v0, logits) === false) return;
    }
  }

  /** Rows `[v0, v1)` of lm_head read from the checkpoint, transposed to `[D, n]` (as the resident `lm_headᵀ`). */
  private headSlice(v0: number, v1: number): tf.Tensor2D {
    const s = this.streaming!;
    const D = this.cfg.hidden_size;
    const n = v1 - v0;
    const rows = s.weights.rows(s.headName, Array.from({ length: n }, (_, i) => v0 + i)); // [n, D]
    const t = new Float32Array(n * D);
    for (let r = 0; r < n; r++) for (let c = 0; c < D; c++) t[c * n + r] = rows[r * D + c];
    this.streamStats.lmHeadSlices++;
    this.streamStats.bytes += t.byteLength;
    return tf.tensor2d(t, [D, n]);
  }

  /** {@link embed} then {@link forwardEmbeds}. */
  forward(ids: tf.Tensor | readonly (readonly number[])[], positions?: PositionIds | tf.Tensor, cache?: Qwen3KVCache, opts: TextForwardOptions = {}): TextModelOutput {
    return scope(() => this.forwardEmbeds(this.embed(ids), positions, cache, opts));
  }

  /** Release every weight, the position encoding included. */
  dispose(): void {
    this.embedTokens?.dispose();
    for (const l of this.layers) l.dispose();
    this.norm.dispose();
    this.lmHeadT?.dispose();
    this.position.dispose();
    for (const c of this.streamedExpertCaches.values()) c.dispose();
    this.streamedExpertCaches.clear();
  }
}

/** Nested id arrays as an int32 `[B, T]` tensor. */
function idsTensor(ids: readonly (readonly number[])[]): tf.Tensor {
  if (!Array.isArray(ids) || ids.length === 0 || !Array.isArray(ids[0])) {
    throw new ShapeError(`Qwen3TextModel: 'ids' must be a non-empty [B][T] array or an int32 tensor`);
  }
  const T = ids[0].length;
  if (T === 0 || ids.some((r) => r.length !== T)) throw new ShapeError(`Qwen3TextModel: every row of 'ids' must have the same length T >= 1`);
  const flat = new Int32Array(ids.length * T);
  ids.forEach((r, b) => r.forEach((v: number, t: number) => {
    if (!Number.isInteger(v)) throw new ValueError(`Qwen3TextModel: 'ids[${b}][${t}]' must be an integer, got ${v}`);
    flat[b * T + t] = v;
  }));
  return tf.tensor2d(flat, [ids.length, T], 'int32');
}

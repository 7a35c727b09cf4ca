/**
 * Qwen3 self-attention (spec 3.2, 5, 10.2, 10.16) and its KV cache.
 *
 * ```
 * q = x·Wqᵀ → [B, T, H, d];  k = x·Wkᵀ, v = x·Wvᵀ → [B, T, Hkv, d]      (no biases in the family)
 * q = RMSNorm_d(q, q_norm);  k = RMSNorm_d(k, k_norm)                    per head, weight [d]
 * (q, k) = RoPE or FoPE at the token positions                           after the QK norm
 * cache: k, v appended AFTER norm and rotation                            (spec 3.2, 10.16)
 * o_n = softmax(q_n k_gᵀ · d^-½ + causal) v_g,   g = ⌊n / (H/Hkv)⌋        float32 softmax
 * out = concat_n(o_n) · Woᵀ                                              [B, T, D]
 * ```
 *
 * Fast path: q, k and v come from one 2-D product with the three weights transposed and
 * concatenated at load (`[D, (H + 2·Hkv)·d]`); attention is `attentionChunked` (per-KV-group 2-D
 * products, query blocks of `chunkSize`, so a long prefill's peak extra memory is linear in T).
 * The causal mask is aligned bottom-right: a query at cache index `past + i` sees keys `≤ past + i`.
 *
 * Legend: B batch, T new tokens, S = past + T keys, D width, H heads, Hkv kv heads, d head dim.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError, ValueError } from '../../errors.js';
import { expectShape } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import type { Disposable } from '../../nn/linear.js';
import { attentionChunked } from '../../ops/attention.js';
import { scope } from '../../nn/scope.js';
import { dense } from '../../ops/matmul.js';
import { rmsNorm } from '../../ops/norm.js';
import { reshape, unstack } from '../../ops/shape.js';
import { checkFloat, checkRank, fmtShape } from '../../util/check.js';
import { type PositionEncoding, type PositionIds, resolvePositions, sameRows } from './rotary.js';

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

/**
 * The KV cache of one layer: k and v `[B, S, Hkv, d]` after norm and rotation. Tensors are owned
 * by the cache; {@link dispose} frees them.
 */
export class KVCacheLayer implements Disposable {
  /** Cached keys `[B, S, Hkv, d]` (normed and rotated), or null while empty. */
  k: tf.Tensor | null = null;
  /** Cached values `[B, S, Hkv, d]`, or null while empty. */
  v: tf.Tensor | null = null;

  /** Cached positions S. */
  get length(): number {
    return this.k ? (this.k.shape[1] as number) : 0;
  }

  /**
   * Append new `k`, `v` `[B, T, Hkv, d]` (the cache takes ownership; what it holds is `tf.keep`'d,
   * so the scope of the forward that appends does not free it) and return the full ones.
   */
  append(k: tf.Tensor, v: tf.Tensor): {
    /** All cached keys `[B, S, Hkv, d]`, new ones included (owned by the cache). */
    k: tf.Tensor;
    /** All cached values `[B, S, Hkv, d]` (owned by the cache). */
    v: tf.Tensor;
  } {
    if (this.k && this.v) {
      if (this.k.shape[0] !== k.shape[0] || this.k.shape[2] !== k.shape[2] || this.k.shape[3] !== k.shape[3]) {
        throw new ShapeError(`KVCacheLayer: new keys ${fmtShape(k.shape)} do not extend the cached ${fmtShape(this.k.shape)}`);
      }
      const nk = tf.keep(tf.concat([this.k, k], 1)); // [B, S, Hkv, d]
      const nv = tf.keep(tf.concat([this.v, v], 1)); // [B, S, Hkv, d]
      tf.dispose([this.k, this.v, k, v]);
      this.k = nk;
      this.v = nv;
    } else {
      this.k = tf.keep(k);
      this.v = tf.keep(v);
    }
    return { k: this.k, v: this.v };
  }

  /** Free the cached tensors; the layer is empty afterwards and can be reused. */
  dispose(): void {
    tf.dispose([this.k, this.v].filter((t): t is tf.Tensor => t !== null));
    this.k = null;
    this.v = null;
  }
}

/**
 * A decoder's KV cache: one {@link KVCacheLayer} per layer.
 *
 * @example
 * ```ts
 * import { Qwen3KVCache } from 'intern-s1-ts';
 * const cache = new Qwen3KVCache(2);
 * console.log(cache.length); // => 0
 * cache.dispose();
 * ```
 */
export class Qwen3KVCache implements Disposable {
  /** One cache per decoder layer, in layer order. */
  readonly layers: KVCacheLayer[];

  /** An empty cache for `numLayers` layers. */
  constructor(numLayers: number) {
    this.layers = Array.from({ length: numLayers }, () => new KVCacheLayer());
  }

  /** Cached positions (of layer 0). */
  get length(): number {
    return this.layers[0]?.length ?? 0;
  }

  /** Free every layer's tensors (the cache is empty afterwards). */
  dispose(): void {
    for (const l of this.layers) l.dispose();
  }
}

/** The per-call options of {@link Qwen3Attention.forward}. */
export interface AttentionForwardOptions {
  /** Also return the attention probabilities `[B, H, T, S]`. */
  returnProbs?: boolean;
  /** Query block size of the chunked attention (default 256). */
  chunkSize?: number;
  /**
   * Left padding of a batch of sequences of different lengths: row b's first `leftPadding[b]`
   * cache slots are padding, hidden from every query (the attention mask of a left-padded batch).
   * Each row's output equals running that row alone (tested).
   */
  leftPadding?: readonly number[];
}

/** The attention's output and, on request, its probabilities. */
export interface AttentionOutput {
  /** `[B, T, D]`. */
  output: tf.Tensor;
  /** `[B, H, T, S]` when requested, else null. */
  probs: tf.Tensor | null;
}

/** Tensors of the attention (all pre-transposed for `x · W'`). */
export interface AttentionWeights {
  /** `[Wqᵀ | Wkᵀ | Wvᵀ]` `[D, (H + 2·Hkv)·d]`. */
  readonly qkvT: tf.Tensor2D;
  /** `[b_q | b_k | b_v]` `[(H + 2·Hkv)·d]`, or null without `attention_bias`. */
  readonly qkvBias: tf.Tensor1D | null;
  /** `Woᵀ` `[H·d, D]`. */
  readonly oT: tf.Tensor2D;
  /** `b_o` `[D]`, or null without `attention_bias`. */
  readonly oBias: tf.Tensor1D | null;
  /** `[d]`. */
  readonly qNorm: tf.Tensor1D;
  /** `[d]`. */
  readonly kNorm: tf.Tensor1D;
}

function loadWeights(cfg: AttentionConfig, w: WeightSource, prefix: string): AttentionWeights {
  const { hidden_size: D, num_attention_heads: H, num_key_value_heads: Hkv, head_dim: d } = cfg;
  const shapes: [string, number[]][] = [['q_proj', [H * d, D]], ['k_proj', [Hkv * d, D]], ['v_proj', [Hkv * d, D]], ['o_proj', [D, H * d]]];
  for (const [n, s] of shapes) expectShape('Qwen3Attention', w, `${prefix}.${n}.weight`, s);
  expectShape('Qwen3Attention', w, `${prefix}.q_norm.weight`, [d]);
  expectShape('Qwen3Attention', w, `${prefix}.k_norm.weight`, [d]);
  const bias = cfg.attention_bias;
  const [qkvT, oT, qNorm, kNorm, qkvBias, oBias] = tf.tidy(() => {
    const t = (n: string) => w.tensor(`${prefix}.${n}.weight`, { transpose: true });
    const b = (n: string) => w.tensor(`${prefix}.${n}.bias`);
    const main = [
      tf.concat([t('q_proj'), t('k_proj'), t('v_proj')], 1), // [D, (H+2Hkv)·d]
      t('o_proj'), // [H·d, D]
      w.tensor(`${prefix}.q_norm.weight`), // [d]
      w.tensor(`${prefix}.k_norm.weight`), // [d]
    ];
    return bias ? [...main, tf.concat([b('q_proj'), b('k_proj'), b('v_proj')]), b('o_proj')] : main;
  });
  return {
    qkvT: qkvT as tf.Tensor2D, oT: oT as tf.Tensor2D, qNorm: qNorm as tf.Tensor1D, kNorm: kNorm as tf.Tensor1D,
    qkvBias: (qkvBias as tf.Tensor1D | undefined) ?? null, oBias: (oBias as tf.Tensor1D | undefined) ?? null,
  };
}

/**
 * Qwen3 attention with QK norm, RoPE or FoPE, GQA, causal mask and KV cache (spec 3.2).
 * Loads `<prefix>.{q,k,v,o}_proj.weight` (and `.bias` when `attention_bias`) and
 * `<prefix>.{q,k}_norm.weight` (prefix `...layers.{l}.self_attn`). The position encoding is
 * shared by all layers and owned by the caller.
 *
 * $$ o_n = \operatorname{softmax}\!\Big(\frac{q_n k_g^\top}{\sqrt d} + M_{\mathrm{causal}}\Big) v_g, \quad g = \lfloor n / (H/H_{kv}) \rfloor, \quad q, k \text{ after } \operatorname{RMSNorm}_d \text{ and RoPE / FoPE} $$
 *
 * Reference twin: {@link reference!Qwen3Attention | Qwen3Attention}. Fast-path departures: q, k and v come from one
 * 2-D product with the three weights transposed and concatenated at load (the only fast product on
 * wasm), and attention runs per KV group in query blocks ({@link attentionChunked}), so peak memory
 * grows linearly in T.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { Qwen3Attention, Qwen3RotaryEmbedding, memoryWeights } from 'intern-s1-ts';
 * const f = (o: number, i: number) => ({ dtype: 'F32' as const, shape: [o, i], data: new Float32Array(o * i).fill(0.05) });
 * const w = memoryWeights({ 'a.q_proj.weight': f(16, 8), 'a.k_proj.weight': f(8, 8), 'a.v_proj.weight': f(8, 8),
 *   'a.o_proj.weight': f(8, 16), 'a.q_norm.weight': { dtype: 'F32', shape: [4], data: [1, 1, 1, 1] },
 *   'a.k_norm.weight': { dtype: 'F32', shape: [4], data: [1, 1, 1, 1] } });
 * const cfg = { hidden_size: 8, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 4, rms_norm_eps: 1e-6,
 *   attention_bias: false, max_position_embeddings: 32 };
 * const attn = Qwen3Attention.fromWeights(cfg, w, 'a', new Qwen3RotaryEmbedding(4, 1e6));
 * const { output } = attn.forward(tf.ones([1, 3, 8]));
 * console.log(output.shape); // => [1, 3, 8]
 * attn.dispose();
 * ```
 */
export class Qwen3Attention implements Disposable {
  constructor(
    /** The attention's config keys. */
    readonly cfg: AttentionConfig,
    /** The loaded, pre-transposed tensors. */
    readonly weights: AttentionWeights,
    /** RoPE or FoPE, shared by all layers and owned by the caller. */
    readonly position: PositionEncoding,
    /** Position ids must be below this (default `max_position_embeddings`). */
    readonly maxPosition: number = cfg.max_position_embeddings,
  ) {}

  /** Load the projections and norms under `prefix` (shapes checked against `cfg`); `maxPosition` overrides the position bound. */
  static fromWeights(cfg: AttentionConfig, weights: WeightSource, prefix: string, position: PositionEncoding, opts: { maxPosition?: number } = {}): Qwen3Attention {
    return new Qwen3Attention(cfg, loadWeights(cfg, weights, prefix), position, opts.maxPosition ?? cfg.max_position_embeddings);
  }

  /**
   * `x [B, T, D]` at `positions` (default: after the cache) → `{ output [B, T, D], probs }`.
   * With a cache, the new keys and values are appended after rotation and the queries attend to
   * all S cached keys causally.
   * @throws ShapeError for a bad x, positions of the wrong length or a cache of another batch
   *   size; ValueError for position ids outside [0, maxPosition).
   */
  forward(x: tf.Tensor, positions?: PositionIds | tf.Tensor, cache?: KVCacheLayer, opts: AttentionForwardOptions = {}): AttentionOutput {
    const { num_attention_heads: H, num_key_value_heads: Hkv, head_dim: d, rms_norm_eps: eps } = this.cfg;
    const [B, T] = x.shape;
    const rows = this.checkInput(x, positions, cache);
    const w = this.weights;
    return scope(() => {
      const [q0, k0, v0] = tf.split(dense(x, w.qkvT, w.qkvBias ?? undefined), [H * d, Hkv * d, Hkv * d], 2); // fused q | k | v projection
      const qn = rmsNorm(reshape(q0, [B, T, H, d]), w.qNorm, eps); // [B, T, H, d]
      const kn = rmsNorm(reshape(k0, [B, T, Hkv, d]), w.kNorm, eps); // [B, T, Hkv, d]
      const [q, k] = this.rotate(qn, kn, rows);
      const v = reshape(v0, [B, T, Hkv, d]); // [B, T, Hkv, d]
      const kv = cache ? cache.append(k, v) : { k, v }; // [B, S, Hkv, d]
      const r = opts.leftPadding?.some((p) => p > 0)
        ? leftPaddedAttention(q, kv.k, kv.v, opts.leftPadding, { chunkSize: opts.chunkSize, returnProbs: opts.returnProbs })
        : attentionChunked(q, kv.k, kv.v, { mask: 'causal', chunkSize: opts.chunkSize ?? 256, returnProbs: opts.returnProbs === true });
      const { output, probs } = r instanceof tf.Tensor ? { output: r, probs: null } : r; // [B, T, H, d], [B, H, T, S] | null
      return { output: dense(reshape(output, [B, T, H * d]), w.oT, w.oBias ?? undefined), probs }; // [B, T, D]
    });
  }

  /** Check x and the cache against the config, and resolve the position ids per batch row. */
  private checkInput(x: tf.Tensor, positions: PositionIds | tf.Tensor | undefined, cache: KVCacheLayer | undefined): number[][] {
    const D = this.cfg.hidden_size;
    checkFloat('Qwen3Attention', 'x', x);
    checkRank('Qwen3Attention', 'x', x, 3);
    const [B, T] = x.shape;
    if (x.shape[2] !== D || T === 0) throw new ShapeError(`Qwen3Attention: 'x' must be [B, T, D] with T >= 1 and D = ${D}, got ${fmtShape(x.shape)}`);
    if (cache?.k && cache.k.shape[0] !== B) throw new ShapeError(`Qwen3Attention: the cache holds batch size ${cache.k.shape[0]} but 'x' has ${B}`);
    return resolvePositions('Qwen3Attention', positions, B, T, cache?.length ?? 0, this.maxPosition);
  }

  /** Rotate q and k, with one table when every batch row has the same positions. */
  private rotate(q: tf.Tensor, k: tf.Tensor, rows: number[][]): [tf.Tensor, tf.Tensor] {
    const pos = this.position;
    if (sameRows(rows)) {
      const t = pos.tables(rows[0]);
      return [pos.apply(q, t), pos.apply(k, t)];
    }
    const qs: tf.Tensor[] = [];
    const ks: tf.Tensor[] = [];
    const [qb, kb] = [unstack(q), unstack(k)]; // B × [T, H, d], B × [T, Hkv, d]
    rows.forEach((r, b) => {
      const t = pos.tables(r);
      qs.push(pos.apply(qb[b], t));
      ks.push(pos.apply(kb[b], t));
    });
    return [tf.stack(qs), tf.stack(ks)];
  }

  /** Release the weights (not the shared position encoding). */
  dispose(): void {
    const w = this.weights;
    tf.dispose([w.qkvT, w.oT, w.qNorm, w.kNorm, ...[w.qkvBias, w.oBias].filter((b): b is tf.Tensor1D => b !== null)]);
  }
}

/**
 * Causal attention over a left-padded batch: row b attends only to its keys from cache index
 * `pad[b]` on, so each row's output equals running that row alone (its own keys, its own causal
 * mask); the queries that sit on padding get zeros.
 *
 * ```
 * S_b = S − pad_b keys;  queries i with past + i ≥ pad_b, past = S − T
 * o_b = attentionChunked(q_b[first:], k_b[pad_b:], v_b[pad_b:], causal)   (bottom-right aligned)
 * ```
 *
 * @param q - `[B, T, H, d]`; k, v `[B, S, Hkv, d]`.
 * @param pad - B integers in [0, S).
 * @returns `[B, T, H, d]`.
 * @throws ShapeError for a pad of the wrong length or out of range; ValueError with returnProbs.
 */
function leftPaddedAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, pad: readonly number[], opts: { chunkSize?: number; returnProbs?: boolean } = {}): tf.Tensor {
  const [B, T, H, d] = q.shape;
  const S = k.shape[1] as number;
  if (opts.returnProbs) throw new ValueError('Qwen3Attention: returnProbs is not available with leftPadding');
  if (pad.length !== B || pad.some((p) => !Number.isInteger(p) || p < 0 || p >= S)) {
    throw new ShapeError(`Qwen3Attention: 'leftPadding' must hold ${B} integers in [0, ${S}), got [${pad.join(', ')}]`);
  }
  return tf.tidy(() => {
    const past = S - T;
    const rows = pad.map((p, b) => {
      const first = Math.min(T, Math.max(0, p - past)); // queries before this sit on padding
      if (first === T) return tf.zeros([T, H, d]);
      const kb = tf.slice(k, [b, p, 0, 0], [1, S - p, -1, -1]).squeeze([0]); // [S_b, Hkv, d]
      const vb = tf.slice(v, [b, p, 0, 0], [1, S - p, -1, -1]).squeeze([0]); // [S_b, Hkv, d]
      const qb = tf.slice(q, [b, first, 0, 0], [1, T - first, -1, -1]).squeeze([0]); // [T − first, H, d]
      const o = attentionChunked(qb, kb, vb, { mask: 'causal', chunkSize: opts.chunkSize ?? 256 }) as tf.Tensor; // [T − first, H, d]
      return first > 0 ? tf.concat([tf.zeros([first, H, d]), o], 0) : o; // [T, H, d]
    });
    return tf.stack(rows); // [B, T, H, d]
  });
}

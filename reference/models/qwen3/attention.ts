/**
 * Reference Qwen3 self-attention (spec 3.2) and KV cache, float64:
 *
 * ```
 * q, k, v = x·Wqᵀ, x·Wkᵀ, x·Wvᵀ              [B, T, H, d], [B, T, Hkv, d] ×2
 * q, k    = RMSNorm_d per head; then RoPE / FoPE at the token positions
 * k, v    appended to the cache (after rotation)
 * o       = causal softmax attention, query head n reads kv head ⌊n/(H/Hkv)⌋
 * out     = o·Woᵀ
 * ```
 *
 * Legend: B batch, T new tokens, S keys, D width, H heads, Hkv kv heads, d head dim.
 *
 * @module
 */
import { type NDArray, reshape, zeros } from '../../ndarray.js';
import { Linear } from '../../nn/linear.js';
import { attention } from '../../ops/attention.js';
import { rmsNorm } from '../../ops/norm.js';
import { concat } from '../../ops/shape.js';
import type { WeightSource } from '../../weights.js';
import { type PositionEncoding, type PositionIds, resolvePositions } from './rotary.js';

/** The config keys of the attention. */
export interface AttentionConfig {
  /** Model width D. */
  readonly hidden_size: number;
  /** Query heads H. */
  readonly num_attention_heads: number;
  /** Key/value heads Hkv (H is a multiple of Hkv). */
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

/** The cache of one layer: k, v `[B, S, Hkv, d]`. */
export class KVCacheLayer {
  /** Cached keys `[B, S, Hkv, d]` (normed and rotated), or null while empty. */
  k: NDArray | null = null;
  /** Cached values `[B, S, Hkv, d]`, or null while empty. */
  v: NDArray | null = null;

  /** Cached positions S. */
  get length(): number {
    return this.k ? this.k.shape[1] : 0;
  }

  /** Append new `k`, `v` `[B, T, Hkv, d]` along S and return the full cache. */
  append(k: NDArray, v: NDArray): {
    /** All cached keys `[B, S, Hkv, d]`, new ones included. */
    k: NDArray;
    /** All cached values `[B, S, Hkv, d]`. */
    v: NDArray;
  } {
    this.k = this.k ? concat([this.k, k], 1) : k;
    this.v = this.v ? concat([this.v, v], 1) : v;
    return { k: this.k, v: this.v };
  }
}

/** One {@link KVCacheLayer} per layer. */
export class Qwen3KVCache {
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
}

/** Options: return the probabilities `[B, H, T, S]` (chunkSize is accepted and ignored). */
export interface AttentionForwardOptions {
  /** Also return the attention probabilities `[B, H, T, S]`. */
  returnProbs?: boolean;
  /** Accepted for parity with the fast path's query block size; ignored here. */
  chunkSize?: number;
}

/** `{ output [B, T, D], probs [B, H, T, S] | null }`. */
export interface AttentionOutput {
  /** `[B, T, D]`. */
  output: NDArray;
  /** `[B, H, T, S]` when requested, else null. */
  probs: NDArray | null;
}

/**
 * Qwen3 grouped-query self-attention with per-head QK RMSNorm (spec 3.2), float64. For a layer
 * input $x \in \mathbb{R}^{T \times D}$ and query head $n$ (with $R = H / H_{kv}$ query heads per
 * key/value head):
 *
 * $$
 * q_n = \operatorname{pos}\big(\operatorname{RMSNorm}_d(x W_{q,n}^\top)\big), \quad
 * k_g = \operatorname{pos}\big(\operatorname{RMSNorm}_d(x W_{k,g}^\top)\big), \quad
 * v_g = x W_{v,g}^\top, \qquad g = \lfloor n / R \rfloor
 * $$
 *
 * $$
 * o_n = \operatorname{softmax}\!\Big( \frac{q_n k_g^\top}{\sqrt{d}} + M_{\mathrm{causal}} \Big)\, v_g,
 * \qquad \mathrm{out} = [\,o_1 \cdots o_H\,]\, W_o^\top
 * $$
 *
 * where $\operatorname{pos}$ is RoPE (spec 5.1) or FoPE (spec 5.3) at the token positions, applied
 * after the QK norm, and the norm weight $[d]$ is shared by all heads. The cache stores $k$ and $v$
 * after the norm and the rotation. Shapes: `x [B, T, D]` → q `[B, T, H, d]`, k, v `[B, T, Hkv, d]`,
 * probabilities `[B, H, T, S]`, output `[B, T, D]`.
 */
export class Qwen3Attention {
  constructor(
    /** The attention's config keys. */
    readonly cfg: AttentionConfig,
    /** The projections and norm weights, in checkpoint layout. */
    readonly proj: {
      /** `q_proj`, `[H·d, D]` (+ bias with `attention_bias`). */
      q: Linear;
      /** `k_proj`, `[Hkv·d, D]` (+ bias). */
      k: Linear;
      /** `v_proj`, `[Hkv·d, D]` (+ bias). */
      v: Linear;
      /** `o_proj`, `[D, H·d]` (+ bias). */
      o: Linear;
      /** `q_norm.weight [d]`, the per-head RMSNorm of q. */
      qNorm: NDArray;
      /** `k_norm.weight [d]`, the per-head RMSNorm of k. */
      kNorm: NDArray;
    },
    /** RoPE or FoPE, shared by all layers. */
    readonly position: PositionEncoding,
    /** Position ids must be below this (default `max_position_embeddings`). */
    readonly maxPosition: number = cfg.max_position_embeddings,
  ) {}

  /** Load the projections and norms under `prefix`; `maxPosition` overrides the position bound. */
  static fromWeights(cfg: AttentionConfig, weights: WeightSource, prefix: string, position: PositionEncoding, opts: { maxPosition?: number } = {}): Qwen3Attention {
    const bias = cfg.attention_bias;
    const lin = (n: string) => Linear.fromWeights(weights, `${prefix}.${n}`, { bias });
    const proj = {
      q: lin('q_proj'), k: lin('k_proj'), v: lin('v_proj'), o: lin('o_proj'),
      qNorm: weights.array(`${prefix}.q_norm.weight`), kNorm: weights.array(`${prefix}.k_norm.weight`),
    };
    return new Qwen3Attention(cfg, proj, position, opts.maxPosition ?? cfg.max_position_embeddings);
  }

  /**
   * `x [B, T, D]` at `positions` (default: after the cache) → `{ output [B, T, D], probs }`; with a
   * cache the new keys and values are appended after rotation and the queries attend causally to
   * all S cached keys.
   */
  forward(x: NDArray, positions?: PositionIds, cache?: KVCacheLayer, opts: AttentionForwardOptions = {}): AttentionOutput {
    const { num_attention_heads: H, num_key_value_heads: Hkv, head_dim: d, rms_norm_eps: eps } = this.cfg;
    const [B, T] = x.shape;
    const rows = resolvePositions('Qwen3Attention', positions, B, T, cache?.length ?? 0, this.maxPosition);
    let q = rmsNorm(reshape(this.proj.q.forward(x), [B, T, H, d]), this.proj.qNorm, eps); // [B, T, H, d]
    let k = rmsNorm(reshape(this.proj.k.forward(x), [B, T, Hkv, d]), this.proj.kNorm, eps); // [B, T, Hkv, d]
    const v = reshape(this.proj.v.forward(x), [B, T, Hkv, d]); // [B, T, Hkv, d]
    q = this.rotate(q, rows);
    k = this.rotate(k, rows);
    const kv = cache ? cache.append(k, v) : { k, v }; // [B, S, Hkv, d]
    const r = attention(q, kv.k, kv.v, { mask: 'causal', returnProbs: true }); // [B, T, H, d], [B, H, T, S]
    const out = this.proj.o.forward(reshape(r.output, [B, T, H * d])); // [B, T, D]
    return { output: out, probs: opts.returnProbs ? r.probs : null };
  }

  /** Rotate each batch row with the tables of its own positions. */
  private rotate(x: NDArray, rows: number[][]): NDArray {
    const [B, T, n, d] = x.shape;
    const out = zeros(x.shape);
    for (let b = 0; b < B; b++) {
      const xb = reshape(x.pick(b, null, null, null) as NDArray, [T, n, d]);
      const yb = this.position.apply(xb, this.position.tables(rows[b]));
      out.data.set(yb.data, b * T * n * d);
    }
    return out;
  }
}

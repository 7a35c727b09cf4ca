/**
 * Reference block of the Pro vision tower (spec 6.2.2), float64:
 *
 * ```
 * X = X + Attn(LN1(X))
 * X = X + MLP(LN2(X))
 * ```
 *
 * Legend: P patches, C width, H heads, d = C / H, I MLP width.
 *
 * @module
 */
import { type NDArray, reshape, toFlat, zeros } from '../../ndarray.js';
import { Linear } from '../../nn/linear.js';
import { MLP } from '../../nn/mlp.js';
import { LayerNorm } from '../../nn/norm.js';
import { attention } from '../../ops/attention.js';
import { applyRope } from '../../ops/rope.js';
import type { WeightSource } from '../../weights.js';
import { PRO_VISION_LN_EPS, type ProVisionConfig, checkProVisionConfig, checkShape, join } from './config.js';

/** RoPE tables `[P, d]` and attention block lengths shared by every block. */
export interface ProVisionPositions {
  /** `[P, d]` RoPE cos table, rows in patch order. */
  readonly cos: NDArray;
  /** `[P, d]` RoPE sin table. */
  readonly sin: NDArray;
  /** Attention block lengths (one block per temporal group of each item), summing to P. */
  readonly seqLens: readonly number[];
}

function loadLinear(op: string, weights: WeightSource, prefix: string, out: number, inF: number): Linear {
  const w = weights.array(join(prefix, 'weight'));
  checkShape(op, join(prefix, 'weight'), w.shape, [out, inF]);
  const b = weights.array(join(prefix, 'bias'));
  checkShape(op, join(prefix, 'bias'), b.shape, [out]);
  return new Linear(w, b);
}

/** LayerNorm `<prefix>.{weight, bias} [C]`, eps 1e-6. */
export function loadVisionNorm(op: string, weights: WeightSource, prefix: string, C: number): LayerNorm {
  const w = weights.array(join(prefix, 'weight'));
  checkShape(op, join(prefix, 'weight'), w.shape, [C]);
  const b = weights.array(join(prefix, 'bias'));
  checkShape(op, join(prefix, 'bias'), b.shape, [C]);
  return new LayerNorm(w, b, PRO_VISION_LN_EPS);
}

/** `y = a + b` (same shape). */
function plus(a: NDArray, b: NDArray): NDArray {
  const [fa, fb] = [toFlat(a), toFlat(b)];
  const out = zeros(a.shape);
  for (let i = 0; i < out.size; i++) out.data[i] = fa[i] + fb[i];
  return out;
}

/** Columns `from .. from + n − 1` of a `[P, W]` array. */
function columns(a: NDArray, from: number, n: number): NDArray {
  const out = zeros([a.shape[0], n]);
  for (let j = 0; j < a.shape[0]; j++) for (let c = 0; c < n; c++) out.set(j, c, a.get(j, from + c));
  return out;
}

/**
 * `[q | k | v] = x·W_qkvᵀ + b` (q: columns 0..C−1, k: C..2C−1, v: 2C..3C−1; head h owns lanes
 * h·d .. h·d + d − 1), `q, k ← x·cos + rotate_half(x)·sin`, per head and per block of `seqLens`
 * `o = softmax(q kᵀ / √d) v`, then `proj`.
 */
export class ProVisionAttention {
  constructor(
    /** The vision config (width C, heads H). */
    readonly config: ProVisionConfig,
    /** Fused `qkv`, `[3C, C]` with bias (rows: q, then k, then v). */
    readonly qkv: Linear,
    /** Output projection `proj`, `[C, C]` with bias. */
    readonly proj: Linear,
  ) {}

  /** Load `<prefix>.qkv` and `<prefix>.proj` (weights and biases, shapes checked). */
  static fromWeights(config: ProVisionConfig, weights: WeightSource, prefix: string): ProVisionAttention {
    const C = config.hidden_size;
    return new ProVisionAttention(config, loadLinear('ProVisionAttention', weights, join(prefix, 'qkv'), 3 * C, C), loadLinear('ProVisionAttention', weights, join(prefix, 'proj'), C, C));
  }

  /** `x [P, C]` → `[P, C]`. */
  forward(x: NDArray, pos: ProVisionPositions): NDArray {
    const [P, C] = x.shape;
    const H = this.config.num_heads;
    const d = C / H;
    const qkv = this.qkv.forward(x); // [P, 3C]
    const heads = (i: number) => reshape(columns(qkv, i * C, C), [P, H, d]); // [P, H, d]
    const q = applyRope(heads(0), pos.cos, pos.sin);
    const k = applyRope(heads(1), pos.cos, pos.sin);
    const o = attention(q, k, heads(2), { mask: 'none', seqLens: pos.seqLens, scale: 1 / Math.sqrt(d) }); // [P, H, d]
    return this.proj.forward(reshape(o, [P, C]));
  }
}

/** `linear_fc2(act(linear_fc1(x)))`, act = `hidden_act` (tanh GELU). */
export class ProVisionMLP extends MLP {
  declare readonly config: ProVisionConfig;

  /** Load `<prefix>.linear_fc1` and `<prefix>.linear_fc2` (weights and biases, shapes checked). */
  static override fromWeights(config: ProVisionConfig, weights: WeightSource, prefix: string): ProVisionMLP {
    const m = MLP.fromWeights(config, weights, prefix, ['linear_fc1', 'linear_fc2']);
    return new ProVisionMLP(config, m.fc1, m.fc2);
  }
}

/** `X → X + Attn(LN1(X)) → · + MLP(LN2(·))`. */
export class ProVisionBlock {
  constructor(
    /** The vision config. */
    readonly config: ProVisionConfig,
    /** `norm1`, LayerNorm `[C]` before attention. */
    readonly norm1: LayerNorm,
    /** The self-attention block. */
    readonly attn: ProVisionAttention,
    /** `norm2`, LayerNorm `[C]` before the MLP. */
    readonly norm2: LayerNorm,
    /** The MLP block. */
    readonly mlp: ProVisionMLP,
  ) {}

  /** Load one block's weights under `prefix`, checking shapes against the config. */
  static fromWeights(config: ProVisionConfig, weights: WeightSource, prefix = 'model.visual.blocks.0'): ProVisionBlock {
    const op = 'ProVisionBlock';
    checkProVisionConfig(op, config);
    const C = config.hidden_size;
    return new ProVisionBlock(
      config,
      loadVisionNorm(op, weights, join(prefix, 'norm1'), C),
      ProVisionAttention.fromWeights(config, weights, join(prefix, 'attn')),
      loadVisionNorm(op, weights, join(prefix, 'norm2'), C),
      ProVisionMLP.fromWeights(config, weights, join(prefix, 'mlp')),
    );
  }

  /** `x [P, C]` → `[P, C]`. */
  forward(x: NDArray, pos: ProVisionPositions): NDArray {
    const h = plus(x, this.attn.forward(this.norm1.forward(x), pos));
    return plus(h, this.mlp.forward(this.norm2.forward(h)));
  }
}

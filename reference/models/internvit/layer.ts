/**
 * Reference InternViT encoder layer (spec 6.1.2), float64:
 *
 * ```
 * z = z + λ1 ⊙ Attn(Norm1(z))
 * z = z + λ2 ⊙ MLP(Norm2(z))
 * ```
 *
 * Legend: N images, T tokens, C width, H heads, d = C / H, I MLP width.
 *
 * @module
 */
import { type NDArray, reshape, toFlat, zeros } from '../../ndarray.js';
import { Linear } from '../../nn/linear.js';
import { MLP } from '../../nn/mlp.js';
import { LayerNorm, RMSNorm } from '../../nn/norm.js';
import { attention } from '../../ops/attention.js';
import type { WeightSource } from '../../weights.js';
import { type InternVitConfig, checkShape, checkVitConfig, join } from './config.js';

/** RMSNorm (`rms_norm`, Intern-S1) or LayerNorm (`layer_norm`, mini). */
export type VitNorm = RMSNorm | LayerNorm;

/** Output of `forward` with `returnProbs`. */
export interface VitAttentionResult {
  /** `[N, T, C]`. */
  output: NDArray;
  /** `[N, H, T, T]`. */
  probs: NDArray;
}

function loadVector(op: string, weights: WeightSource, name: string, C: number): NDArray {
  const a = weights.array(name);
  checkShape(op, name, a.shape, [C]);
  return a;
}

function loadLinear(op: string, weights: WeightSource, prefix: string, out: number, inF: number, bias: boolean): Linear {
  const w = weights.array(join(prefix, 'weight'));
  checkShape(op, join(prefix, 'weight'), w.shape, [out, inF]);
  return new Linear(w, bias ? loadVector(op, weights, join(prefix, 'bias'), out) : null);
}

function loadNorm(op: string, cfg: InternVitConfig, weights: WeightSource, prefix: string): VitNorm {
  const w = loadVector(op, weights, join(prefix, 'weight'), cfg.hidden_size);
  if (cfg.norm_type === 'rms_norm') return new RMSNorm(w, cfg.layer_norm_eps);
  return new LayerNorm(w, loadVector(op, weights, join(prefix, 'bias'), cfg.hidden_size), cfg.layer_norm_eps);
}

/** `y[..., c] = λ[c] · a[..., c]`. */
function scale(lambda: NDArray, a: NDArray): NDArray {
  const C = lambda.shape[0];
  const flat = toFlat(a);
  const out = zeros(a.shape);
  for (let i = 0; i < out.size; i++) out.data[i] = lambda.get(i % C) * flat[i];
  return out;
}

/** `y = a + b` (same shape). */
function plus(a: NDArray, b: NDArray): NDArray {
  const [fa, fb] = [toFlat(a), toFlat(b)];
  const out = zeros(a.shape);
  for (let i = 0; i < out.size; i++) out.data[i] = fa[i] + fb[i];
  return out;
}

/**
 * Attention: `q, k, v = z·W{q,k,v}ᵀ (+ b)`; with `use_qk_norm`, `q ← RMSNorm_C(q)` and
 * `k ← RMSNorm_C(k)` over the **whole width C** (all heads together, spec 10.2); then per head
 * `o_h = softmax(q_h k_hᵀ / √d) v_h` with no mask, heads concatenated, and `projection_layer`.
 */
export class InternVisionAttention {
  constructor(
    /** The vision config (width C, heads H, eps). */
    readonly config: InternVitConfig,
    /** `q_proj`, `[C, C]` (+ bias iff `attention_bias`). */
    readonly qProj: Linear,
    /** `k_proj`, `[C, C]` (+ bias iff `attention_bias`). */
    readonly kProj: Linear,
    /** `v_proj`, `[C, C]` (+ bias iff `attention_bias`). */
    readonly vProj: Linear,
    /** Full-width q RMSNorm, weight `[C]`, or null without `use_qk_norm`. */
    readonly qNorm: RMSNorm | null,
    /** Full-width k RMSNorm, weight `[C]`, or null without `use_qk_norm`. */
    readonly kNorm: RMSNorm | null,
    /** `projection_layer`, `[C, C]` with bias. */
    readonly projection: Linear,
  ) {}

  /** Load the projections (and q/k norms with `use_qk_norm`) under `prefix`, shapes checked. */
  static fromWeights(config: InternVitConfig, weights: WeightSource, prefix: string): InternVisionAttention {
    const op = 'InternVisionAttention';
    checkVitConfig(op, config);
    const C = config.hidden_size;
    const b = config.attention_bias;
    const norm = (name: string) =>
      config.use_qk_norm ? new RMSNorm(loadVector(op, weights, join(prefix, `${name}.weight`), C), config.layer_norm_eps) : null;
    return new InternVisionAttention(
      config,
      loadLinear(op, weights, join(prefix, 'q_proj'), C, C, b),
      loadLinear(op, weights, join(prefix, 'k_proj'), C, C, b),
      loadLinear(op, weights, join(prefix, 'v_proj'), C, C, b),
      norm('q_norm'),
      norm('k_norm'),
      loadLinear(op, weights, join(prefix, 'projection_layer'), C, C, true),
    );
  }

  /** `x [N, T, C]` → `[N, T, C]` (with `returnProbs`: also the probabilities `[N, H, T, T]`). */
  forward(x: NDArray, opts?: { returnProbs?: false }): NDArray;
  forward(x: NDArray, opts: { returnProbs: true }): VitAttentionResult;
  forward(x: NDArray, opts: { returnProbs?: boolean } = {}): NDArray | VitAttentionResult {
    const [N, T, C] = x.shape;
    const H = this.config.num_attention_heads;
    const d = C / H;
    let q = this.qProj.forward(x); // [N, T, C]
    let k = this.kProj.forward(x); // [N, T, C]
    const v = this.vProj.forward(x); // [N, T, C]
    if (this.qNorm) q = this.qNorm.forward(q); // over all C lanes at once
    if (this.kNorm) k = this.kNorm.forward(k);
    const split = (a: NDArray) => reshape(a, [N, T, H, d]); // head h owns lanes h·d .. h·d + d − 1
    const a = attention(split(q), split(k), split(v), { mask: 'none', scale: 1 / Math.sqrt(d), returnProbs: true });
    const output = this.projection.forward(reshape(a.output, [N, T, C])); // [N, T, C]
    return opts.returnProbs ? { output, probs: a.probs } : output;
  }
}

/** `fc2(act(fc1(x)))` with `act = hidden_act` (exact erf GELU). */
export class InternVisionMLP extends MLP {
  declare readonly config: InternVitConfig;

  /** Load `<prefix>.fc1` and `<prefix>.fc2` (weights and biases, shapes checked). */
  static override fromWeights(config: InternVitConfig, weights: WeightSource, prefix: string): InternVisionMLP {
    const m = MLP.fromWeights(config, weights, prefix, ['fc1', 'fc2']);
    return new InternVisionMLP(config, m.fc1, m.fc2);
  }
}

/** One pre-norm layer with layer scales `lambda_1`, `lambda_2` (HF `InternVLVisionLayer`). */
export class InternVisionEncoderLayer {
  constructor(
    /** The vision config. */
    readonly config: InternVitConfig,
    /** `layernorm_before` (Norm1), before attention. */
    readonly norm1: VitNorm,
    /** The self-attention block. */
    readonly attention: InternVisionAttention,
    /** Layer scale λ1 `[C]` on the attention branch (`lambda_1`). */
    readonly lambda1: NDArray,
    /** `layernorm_after` (Norm2), before the MLP. */
    readonly norm2: VitNorm,
    /** The MLP block. */
    readonly mlp: InternVisionMLP,
    /** Layer scale λ2 `[C]` on the MLP branch (`lambda_2`). */
    readonly lambda2: NDArray,
  ) {}

  /** Load one layer's weights under `prefix`, checking shapes against the config. */
  static fromWeights(config: InternVitConfig, weights: WeightSource, prefix = 'model.vision_tower.encoder.layer.0'): InternVisionEncoderLayer {
    const op = 'InternVisionEncoderLayer';
    checkVitConfig(op, config);
    const C = config.hidden_size;
    return new InternVisionEncoderLayer(
      config,
      loadNorm(op, config, weights, join(prefix, 'layernorm_before')),
      InternVisionAttention.fromWeights(config, weights, join(prefix, 'attention')),
      loadVector(op, weights, join(prefix, 'lambda_1'), C),
      loadNorm(op, config, weights, join(prefix, 'layernorm_after')),
      InternVisionMLP.fromWeights(config, weights, join(prefix, 'mlp')),
      loadVector(op, weights, join(prefix, 'lambda_2'), C),
    );
  }

  /** `x [N, T, C]` → `[N, T, C]` (with `returnProbs`: also `[N, H, T, T]`). */
  forward(x: NDArray, opts?: { returnProbs?: false }): NDArray;
  forward(x: NDArray, opts: { returnProbs: true }): VitAttentionResult;
  forward(x: NDArray, opts: { returnProbs?: boolean } = {}): NDArray | VitAttentionResult {
    const a = this.attention.forward(this.norm1.forward(x), { returnProbs: true });
    const h = plus(x, scale(this.lambda1, a.output)); // z + λ1 ⊙ Attn(Norm1(z))
    const output = plus(h, scale(this.lambda2, this.mlp.forward(this.norm2.forward(h)))); // h + λ2 ⊙ MLP(Norm2(h))
    return opts.returnProbs ? { output, probs: a.probs } : output;
  }
}

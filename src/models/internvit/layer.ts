/**
 * One InternViT encoder layer (spec 6.1.2): pre-norm attention and MLP, each scaled per channel
 * by a learned layer scale before its residual add.
 *
 * ```
 * z = z + λ1 ⊙ Attn(Norm1(z))
 * z = z + λ2 ⊙ MLP(Norm2(z))
 * ```
 *
 * Norm1/Norm2 are RMSNorm (Intern-S1, `norm_type: rms_norm`, weight only) or LayerNorm (mini,
 * `layer_norm`, weight and bias), eps `layer_norm_eps`. Written for wasm: every product is a 2-D
 * untransposed matmul against a weight transposed once at load, and attention runs per head
 * through the `attention` op.
 *
 * Legend: N images, T = 1 + P tokens, C width, H heads, d = C / H head dim, I MLP width.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import type { InternVitConfig } from '../../io/configs/vision.js';
import { join, loadAll, loadTensor, rejectUnused } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import { type Disposable, Linear } from '../../nn/linear.js';
import { MLP } from '../../nn/mlp.js';
import { LayerNorm, RMSNorm } from '../../nn/norm.js';
import { attention } from '../../ops/attention.js';
import { outputAndProbs, scope } from '../../nn/scope.js';
import { add, mul } from '../../ops/elementwise.js';
import { reshape } from '../../ops/shape.js';
import { checkFloat, checkRank, fmtShape } from '../../util/check.js';
import { checkVitConfig } from './config.js';

/** A ViT norm: RMSNorm or LayerNorm, chosen by `norm_type`. */
export type VitNorm = RMSNorm | LayerNorm;

/** Load `<prefix>.weight [C]` (and `<prefix>.bias [C]` for LayerNorm) as the config's norm type. */
function loadNorm(op: string, cfg: InternVitConfig, weights: WeightSource, prefix: string): VitNorm {
  const C = cfg.hidden_size;
  return loadAll((own) => {
    const w = own(loadTensor(op, weights, join(prefix, 'weight'), [C]) as tf.Tensor1D);
    if (cfg.norm_type === 'rms_norm') {
      rejectUnused(op, weights, join(prefix, 'bias'), `norm_type is rms_norm (no bias)`);
      return new RMSNorm(w, cfg.layer_norm_eps);
    }
    return new LayerNorm(w, own(loadTensor(op, weights, join(prefix, 'bias'), [C]) as tf.Tensor1D), cfg.layer_norm_eps);
  });
}

/** Throw unless `x` is a float32 `[N, T, C]` tensor with the layer's width. */
function checkTokens(op: string, x: tf.Tensor, C: number): void {
  checkFloat(op, 'x', x);
  checkRank(op, 'x', x, 3);
  if (x.shape[2] !== C) throw new ShapeError(`${op}: 'x' ${fmtShape(x.shape)} has width ${x.shape[2]} but the config has hidden_size ${C}`);
}

/** Output of {@link InternVisionAttention.forward} / {@link InternVisionEncoderLayer.forward} with `returnProbs`. */
export interface VitAttentionResult {
  /** `[N, T, C]`. */
  output: tf.Tensor;
  /** Attention probabilities `[N, H, T, T]`. */
  probs: tf.Tensor;
}

/**
 * InternViT self-attention (spec 6.1.2, gotcha 10.2): `q, k, v = z·W{q,k,v}ᵀ (+ b)`; with
 * `use_qk_norm` (Intern-S1) q and k are RMS-normalised over the **whole width C, across all
 * heads** (not per head as in the LMs), eps `layer_norm_eps`; then per head
 * `softmax(q kᵀ · d^-0.5) v` with no mask, heads concatenated, and `projection_layer` (with bias).
 *
 * Weights under `prefix` (`...encoder.layer.{i}.attention`): `{q,k,v}_proj.weight [C, C]`
 * (+ `.bias [C]` iff `attention_bias`), `{q,k}_norm.weight [C]` iff `use_qk_norm`,
 * `projection_layer.{weight [C, C], bias [C]}`.
 *
 * Usually built by {@link InternVisionEncoderLayer.fromWeights}; with the layer of its example,
 * `layer.attention.forward(x, { returnProbs: true }).probs` gives the `[N, H, T, T]` probabilities.
 */
export class InternVisionAttention implements Disposable {
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

  /** Load the weights under `prefix` (`...encoder.layer.{i}.attention`); unused q/k norms or biases are a CheckpointError. */
  static fromWeights(config: InternVitConfig, weights: WeightSource, prefix: string): InternVisionAttention {
    const op = 'InternVisionAttention';
    checkVitConfig(op, config);
    const C = config.hidden_size;
    const bias = config.attention_bias;
    return loadAll((own) => {
      const proj = (name: string, withBias: boolean) => {
        if (!withBias) rejectUnused(op, weights, join(prefix, `${name}.bias`), 'attention_bias is false');
        return own(Linear.fromWeights(weights, join(prefix, name), { bias: withBias, expect: [C, C] }));
      };
      const norm = (name: string) => {
        const p = join(prefix, name);
        if (!config.use_qk_norm) {
          rejectUnused(op, weights, join(p, 'weight'), 'use_qk_norm is false');
          return null;
        }
        return own(new RMSNorm(loadTensor(op, weights, join(p, 'weight'), [C]) as tf.Tensor1D, config.layer_norm_eps));
      };
      const q = proj('q_proj', bias);
      const k = proj('k_proj', bias);
      const v = proj('v_proj', bias);
      const qn = norm('q_norm');
      const kn = norm('k_norm');
      const out = proj('projection_layer', true);
      return new InternVisionAttention(config, q, k, v, qn, kn, out);
    });
  }

  /** `x [N, T, C]` → `[N, T, C]`, or `{ output, probs [N, H, T, T] }` with `returnProbs`. */
  forward(x: tf.Tensor, opts?: { returnProbs?: false }): tf.Tensor;
  forward(x: tf.Tensor, opts: { returnProbs: true }): VitAttentionResult;
  forward(x: tf.Tensor, opts?: { returnProbs?: boolean }): tf.Tensor | VitAttentionResult;
  forward(x: tf.Tensor, opts: { returnProbs?: boolean } = {}): tf.Tensor | VitAttentionResult {
    checkTokens('InternVisionAttention', x, this.config.hidden_size);
    const [N, T, C] = x.shape;
    const H = this.config.num_attention_heads;
    const d = C / H;
    return scope(() => {
      let q = this.qProj.forward(x); // [N, T, C]
      let k = this.kProj.forward(x); // [N, T, C]
      const v = this.vProj.forward(x); // [N, T, C]
      if (this.qNorm) q = this.qNorm.forward(q); // full-width RMSNorm across heads
      if (this.kNorm) k = this.kNorm.forward(k);
      const split = (a: tf.Tensor) => reshape(a, N === 1 ? [T, H, d] : [N, T, H, d]); // one image: the unbatched form
      const a = outputAndProbs(attention(split(q), split(k), split(v), { mask: 'none', scale: 1 / Math.sqrt(d), returnProbs: opts.returnProbs === true }));
      const output = this.projection.forward(reshape(a.output, [N, T, C])); // [N, T, C]
      return a.probs ? { output, probs: reshape(a.probs, [N, H, T, T]) } : output;
    });
  }

  /** Release every projection and norm weight. */
  dispose(): void {
    for (const m of [this.qProj, this.kProj, this.vProj, this.qNorm, this.kNorm, this.projection]) m?.dispose();
  }
}

/**
 * InternViT MLP (spec 6.1.2): `fc2(act(fc1(x)))`, `fc1 [I, C]`, `fc2 [C, I]`, both with bias;
 * `act` is `hidden_act` (`gelu`: exact erf GELU in both releases). Shapes `[..., C]` → `[..., C]`.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { InternVisionMLP, parseInternVitConfig, memoryWeights, type TensorInput } from 'intern-s1-ts';
 * const cfg = parseInternVitConfig({ hidden_size: 2, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 3 });
 * const t = (shape: number[], v: number): TensorInput => ({ dtype: 'F32', shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(v) });
 * const w = memoryWeights({ 'mlp.fc1.weight': t([3, 2], 1), 'mlp.fc1.bias': t([3], 0), 'mlp.fc2.weight': t([2, 3], 1), 'mlp.fc2.bias': t([2], 0) });
 * const mlp = InternVisionMLP.fromWeights(cfg, w, 'mlp');
 * mlp.forward(tf.tensor2d([[1, 1]])).print(); // ~> [[5.8635, 5.8635]]  -- fc1 gives 2 per unit, 3 · GELU(2)
 * mlp.dispose();
 * ```
 */
export class InternVisionMLP extends MLP {
  declare readonly config: InternVitConfig;

  /** Load `<prefix>.fc1` and `<prefix>.fc2` (weights and biases, shapes checked). */
  static override fromWeights(config: InternVitConfig, weights: WeightSource, prefix: string): InternVisionMLP {
    const m = MLP.fromWeights(config, weights, prefix, ['fc1', 'fc2']);
    return new InternVisionMLP(config, m.fc1, m.fc2);
  }
}

/**
 * One encoder layer, `z → z + λ1 ⊙ Attn(Norm1(z)) → · + λ2 ⊙ MLP(Norm2(·))` (spec 6.1.2; HF
 * `InternVLVisionLayer`).
 *
 * Weights under `prefix` (default `model.vision_tower.encoder.layer.0`): `layernorm_before`,
 * `layernorm_after` (`.weight [C]`, plus `.bias [C]` for LayerNorm), `lambda_1 [C]`, `lambda_2 [C]`,
 * `attention.*` ({@link InternVisionAttention}), `mlp.fc1`, `mlp.fc2` ({@link InternVisionMLP}).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { InternVisionEncoderLayer, parseInternVitConfig, memoryWeights, type TensorInput } from 'intern-s1-ts';
 * const cfg = parseInternVitConfig({ hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 2,
 *   intermediate_size: 8, norm_type: 'rms_norm', use_qk_norm: true, image_size: 8, patch_size: 4 });
 * const t = (shape: number[], v = 0.1): TensorInput => ({ dtype: 'F32', shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(v) });
 * const p = 'model.vision_tower.encoder.layer.0';
 * const w = memoryWeights({
 *   [`${p}.layernorm_before.weight`]: t([4], 1), [`${p}.layernorm_after.weight`]: t([4], 1),
 *   [`${p}.lambda_1`]: t([4]), [`${p}.lambda_2`]: t([4]),
 *   [`${p}.attention.q_proj.weight`]: t([4, 4]), [`${p}.attention.k_proj.weight`]: t([4, 4]),
 *   [`${p}.attention.v_proj.weight`]: t([4, 4]), [`${p}.attention.q_norm.weight`]: t([4], 1),
 *   [`${p}.attention.k_norm.weight`]: t([4], 1), [`${p}.attention.projection_layer.weight`]: t([4, 4]),
 *   [`${p}.attention.projection_layer.bias`]: t([4]), [`${p}.mlp.fc1.weight`]: t([8, 4]), [`${p}.mlp.fc1.bias`]: t([8]),
 *   [`${p}.mlp.fc2.weight`]: t([4, 8]), [`${p}.mlp.fc2.bias`]: t([4]) });
 * const layer = InternVisionEncoderLayer.fromWeights(cfg, w, p);
 * console.log(layer.forward(tf.ones([1, 5, 4])).shape); // => [1, 5, 4]
 * layer.dispose();
 * ```
 */
export class InternVisionEncoderLayer implements Disposable {
  constructor(
    /** The vision config. */
    readonly config: InternVitConfig,
    /** `layernorm_before` (Norm1), before attention. */
    readonly norm1: VitNorm,
    /** The self-attention block. */
    readonly attention: InternVisionAttention,
    /** Layer scale λ1 `[C]` on the attention branch (`lambda_1`). */
    readonly lambda1: tf.Tensor,
    /** `layernorm_after` (Norm2), before the MLP. */
    readonly norm2: VitNorm,
    /** The MLP block. */
    readonly mlp: InternVisionMLP,
    /** Layer scale λ2 `[C]` on the MLP branch (`lambda_2`). */
    readonly lambda2: tf.Tensor,
  ) {}

  /** Load one layer's weights under `prefix`, checking shapes against the config. */
  static fromWeights(config: InternVitConfig, weights: WeightSource, prefix = 'model.vision_tower.encoder.layer.0'): InternVisionEncoderLayer {
    const op = 'InternVisionEncoderLayer';
    checkVitConfig(op, config);
    const C = config.hidden_size;
    return loadAll((own) => {
      const n1 = own(loadNorm(op, config, weights, join(prefix, 'layernorm_before')));
      const attn = own(InternVisionAttention.fromWeights(config, weights, join(prefix, 'attention')));
      const l1 = own(loadTensor(op, weights, join(prefix, 'lambda_1'), [C]));
      const n2 = own(loadNorm(op, config, weights, join(prefix, 'layernorm_after')));
      const mlp = own(InternVisionMLP.fromWeights(config, weights, join(prefix, 'mlp')));
      const l2 = own(loadTensor(op, weights, join(prefix, 'lambda_2'), [C]));
      return new InternVisionEncoderLayer(config, n1, attn, l1, n2, mlp, l2);
    });
  }

  /** `x [N, T, C]` → `[N, T, C]`, or `{ output, probs [N, H, T, T] }` with `returnProbs`. */
  forward(x: tf.Tensor, opts?: { returnProbs?: false }): tf.Tensor;
  forward(x: tf.Tensor, opts: { returnProbs: true }): VitAttentionResult;
  forward(x: tf.Tensor, opts?: { returnProbs?: boolean }): tf.Tensor | VitAttentionResult;
  forward(x: tf.Tensor, opts: { returnProbs?: boolean } = {}): tf.Tensor | VitAttentionResult {
    checkTokens('InternVisionEncoderLayer', x, this.config.hidden_size);
    return scope(() => {
      const a = outputAndProbs(this.attention.forward(this.norm1.forward(x), opts));
      const h = add(x, mul(this.lambda1, a.output)); // z + λ1 ⊙ Attn(Norm1(z))
      const output = add(h, mul(this.lambda2, this.mlp.forward(this.norm2.forward(h)))); // h + λ2 ⊙ MLP(Norm2(h))
      return a.probs ? { output, probs: a.probs } : output; // probs [N, H, T, T]
    });
  }

  /** Release every weight of the layer. */
  dispose(): void {
    this.norm1.dispose();
    this.attention.dispose();
    this.lambda1.dispose();
    this.norm2.dispose();
    this.mlp.dispose();
    this.lambda2.dispose();
  }
}

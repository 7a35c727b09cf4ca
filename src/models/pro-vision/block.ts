/**
 * One block of the Intern-S1-Pro vision tower (spec 6.2.2; HF `Qwen3VLMoeVisionBlock`):
 *
 * ```
 * X = X + Attn(LN1(X))      // LayerNorm eps 1e-6, fused qkv (bias), 2-D RoPE on q and k, block-diagonal attention, proj (bias)
 * X = X + MLP(LN2(X))       // linear_fc1 (bias) → gelu_pytorch_tanh → linear_fc2 (bias)
 * ```
 *
 * Tokens are the P patches of every item packed along one axis; attention is restricted to each
 * (item, temporal group) block by `seqLens` (HF `cu_seqlens`, gotcha 10.14). Written for wasm: the
 * projections are 2-D untransposed matmuls against weights transposed once at load, attention runs
 * per head through the `attention` op.
 *
 * Legend: P patches, C width, H heads, d = C / H head dim, I MLP width.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import type { ProVisionConfig } from '../../io/configs/vision.js';
import { join, loadAll, loadTensor } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import { type Disposable, Linear } from '../../nn/linear.js';
import { MLP } from '../../nn/mlp.js';
import { LayerNorm } from '../../nn/norm.js';
import { scope } from '../../nn/scope.js';
import { attention } from '../../ops/attention.js';
import { add } from '../../ops/elementwise.js';
import { applyRope } from '../../ops/rope.js';
import { reshape } from '../../ops/shape.js';
import { checkFloat, checkRank, fmtShape } from '../../util/check.js';
import { PRO_VISION_LN_EPS, checkProVisionConfig } from './config.js';

/** The per-call position inputs every block shares: RoPE tables and the attention blocks. */
export interface ProVisionPositions {
  /** `[P, d]` cos table ({@link proVisionRopeTables}). */
  readonly cos: tf.Tensor;
  /** `[P, d]` sin table. */
  readonly sin: tf.Tensor;
  /** Attention block lengths ({@link proVisionSeqLens}), summing to P. */
  readonly seqLens: readonly number[];
}

/** Throw unless `x` is float32 `[P, C]`. */
function checkTokens(op: string, x: tf.Tensor, C: number): void {
  checkFloat(op, 'x', x);
  checkRank(op, 'x', x, 2);
  if (x.shape[1] !== C) throw new ShapeError(`${op}: 'x' ${fmtShape(x.shape)} has width ${x.shape[1]} but the config has hidden_size ${C}`);
}

/** Load a LayerNorm `<prefix>.{weight, bias} [C]` (eps 1e-6). */
export function loadVisionNorm(op: string, weights: WeightSource, prefix: string, C: number): LayerNorm {
  return loadAll((own) => {
    const w = own(loadTensor(op, weights, join(prefix, 'weight'), [C]) as tf.Tensor1D);
    const b = own(loadTensor(op, weights, join(prefix, 'bias'), [C]) as tf.Tensor1D);
    return new LayerNorm(w, b, PRO_VISION_LN_EPS);
  });
}

/**
 * Vision self-attention (spec 6.2.2): `[q | k | v] = x·W_qkvᵀ + b` (rows 0..C−1 of the weight are
 * q, C..2C−1 k, 2C..3C−1 v; head h owns lanes h·d .. h·d + d − 1 of each), RoPE on q and k
 * (`x·cos + rotate_half(x)·sin`, float32), `softmax(q kᵀ / √d) v` per head within each block of
 * `seqLens` (bidirectional), heads concatenated, `proj` (bias).
 *
 * Weights under `prefix` (`model.visual.blocks.{i}.attn`): `qkv.weight [3C, C]`, `qkv.bias [3C]`,
 * `proj.weight [C, C]`, `proj.bias [C]`.
 */
export class ProVisionAttention implements Disposable {
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
    checkProVisionConfig('ProVisionAttention', config);
    const C = config.hidden_size;
    return loadAll((own) => {
      const qkv = own(Linear.fromWeights(weights, join(prefix, 'qkv'), { bias: true, expect: [3 * C, C] }));
      const proj = own(Linear.fromWeights(weights, join(prefix, 'proj'), { bias: true, expect: [C, C] }));
      return new ProVisionAttention(config, qkv, proj);
    });
  }

  /** `x [P, C]` → `[P, C]`. */
  forward(x: tf.Tensor, pos: ProVisionPositions): tf.Tensor {
    checkTokens('ProVisionAttention', x, this.config.hidden_size);
    const [P, C] = x.shape;
    const H = this.config.num_heads;
    const d = C / H;
    return scope(() => {
      const [q, k, v] = tf.split(this.qkv.forward(x), 3, 1).map((t) => reshape(t, [P, H, d])); // [P, H, d] each
      const o = attention(applyRope(q, pos.cos, pos.sin), applyRope(k, pos.cos, pos.sin), v, { seqLens: pos.seqLens, scale: 1 / Math.sqrt(d) }); // [P, H, d]
      return this.proj.forward(reshape(o, [P, C])); // [P, C]
    });
  }

  /** Release `qkv` and `proj`. */
  dispose(): void {
    this.qkv.dispose();
    this.proj.dispose();
  }
}

/**
 * Vision MLP (spec 6.2.2): `linear_fc2(act(linear_fc1(x)))`, `act = hidden_act`
 * (`gelu_pytorch_tanh` in the release), both linears with bias. `[..., C]` → `[..., C]`.
 *
 * Weights under `prefix` (`model.visual.blocks.{i}.mlp`): `linear_fc1.{weight [I, C], bias [I]}`,
 * `linear_fc2.{weight [C, I], bias [C]}`.
 */
export class ProVisionMLP extends MLP {
  declare readonly config: ProVisionConfig;

  /** Load `<prefix>.linear_fc1` and `<prefix>.linear_fc2` (weights and biases, shapes checked). */
  static override fromWeights(config: ProVisionConfig, weights: WeightSource, prefix: string): ProVisionMLP {
    checkProVisionConfig('ProVisionMLP', config);
    const m = MLP.fromWeights(config, weights, prefix, ['linear_fc1', 'linear_fc2']);
    return new ProVisionMLP(config, m.fc1, m.fc2);
  }
}

/**
 * One pre-norm block, `X → X + Attn(LN1(X)) → · + MLP(LN2(·))` (HF `Qwen3VLMoeVisionBlock`).
 *
 * Weights under `prefix` (default `model.visual.blocks.0`): `norm1`, `norm2` (`.weight [C]`,
 * `.bias [C]`), `attn.*` ({@link ProVisionAttention}), `mlp.*` ({@link ProVisionMLP}).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { ProVisionBlock, parseProVisionConfig, memoryWeights, proVisionRopeTables, proVisionSeqLens, type TensorInput } from 'intern-s1-ts';
 * const cfg = parseProVisionConfig({ depth: 1, hidden_size: 8, intermediate_size: 16, num_heads: 2,
 *   out_hidden_size: 8, num_position_embeddings: 4 });
 * const t = (shape: number[], v = 0.05): TensorInput => ({ dtype: 'F32', shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(v) });
 * const p = 'model.visual.blocks.0';
 * const w = memoryWeights({
 *   [`${p}.norm1.weight`]: t([8], 1), [`${p}.norm1.bias`]: t([8]), [`${p}.norm2.weight`]: t([8], 1), [`${p}.norm2.bias`]: t([8]),
 *   [`${p}.attn.qkv.weight`]: t([24, 8]), [`${p}.attn.qkv.bias`]: t([24]), [`${p}.attn.proj.weight`]: t([8, 8]), [`${p}.attn.proj.bias`]: t([8]),
 *   [`${p}.mlp.linear_fc1.weight`]: t([16, 8]), [`${p}.mlp.linear_fc1.bias`]: t([16]),
 *   [`${p}.mlp.linear_fc2.weight`]: t([8, 16]), [`${p}.mlp.linear_fc2.bias`]: t([8]) });
 * const block = ProVisionBlock.fromWeights(cfg, w, p);
 * const grid = [[1, 2, 2]];
 * const { cos, sin } = proVisionRopeTables(grid, 4);
 * console.log(block.forward(tf.randomNormal([4, 8]), { cos, sin, seqLens: proVisionSeqLens(grid) }).shape); // => [4, 8]
 * block.dispose();
 * ```
 */
export class ProVisionBlock implements Disposable {
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
    return loadAll((own) => {
      const n1 = own(loadVisionNorm(op, weights, join(prefix, 'norm1'), C));
      const attn = own(ProVisionAttention.fromWeights(config, weights, join(prefix, 'attn')));
      const n2 = own(loadVisionNorm(op, weights, join(prefix, 'norm2'), C));
      const mlp = own(ProVisionMLP.fromWeights(config, weights, join(prefix, 'mlp')));
      return new ProVisionBlock(config, n1, attn, n2, mlp);
    });
  }

  /** `x [P, C]` → `[P, C]`. */
  forward(x: tf.Tensor, pos: ProVisionPositions): tf.Tensor {
    checkTokens('ProVisionBlock', x, this.config.hidden_size);
    return scope(() => {
      const h = add(x, this.attn.forward(this.norm1.forward(x), pos)); // [P, C]
      return add(h, this.mlp.forward(this.norm2.forward(h))); // [P, C]
    });
  }

  /** Release every weight of the block. */
  dispose(): void {
    this.norm1.dispose();
    this.attn.dispose();
    this.norm2.dispose();
    this.mlp.dispose();
  }
}

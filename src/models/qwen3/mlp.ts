/**
 * The SwiGLU feed-forward of the Qwen3 decoder (spec 3.3): the dense FFN of Intern-S1-mini, and
 * the expert FFN of the MoE layers (spec 3.4).
 *
 * ```
 * FFN(m) = down( act(gate(m)) ⊙ up(m) )        act = hidden_act (silu), no biases
 * ```
 *
 * Fast path: `gate` and `up` are transposed and concatenated once at load into one `[D, 2I]`
 * matrix, so the two input projections are a single 2-D untransposed product (the fast form on
 * wasm), then split.
 *
 * Legend: N rows, D model width, I FFN width.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../errors.js';
import { expectShape } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import { activation, type ActivationFn } from '../../nn/activation.js';
import type { Disposable } from '../../nn/linear.js';
import { scope } from '../../nn/scope.js';
import { mul } from '../../ops/elementwise.js';
import { dense } from '../../ops/matmul.js';
import { checkFloat, checkMinRank, fmtShape } from '../../util/check.js';

/** The weights of one SwiGLU: `gateUpT = [gateᵀ | upᵀ]` `[D, 2I]`, `downT = downᵀ` `[I, D]`. */
export interface SwiGluWeights {
  /** `[gateᵀ | upᵀ]`, `[D, 2I]`. */
  readonly gateUpT: tf.Tensor2D;
  /** `downᵀ`, `[I, D]`. */
  readonly downT: tf.Tensor2D;
}

/**
 * Load `<prefix>.{gate_proj,up_proj,down_proj}.weight` (`[I, D]`, `[I, D]`, `[D, I]`) as
 * {@link SwiGluWeights}.
 * @throws ShapeError naming the tensor when a shape differs; CheckpointError when one is missing.
 */
export function loadSwiGlu(op: string, weights: WeightSource, prefix: string, D: number, I: number): SwiGluWeights {
  expectShape(op, weights, `${prefix}.gate_proj.weight`, [I, D]);
  expectShape(op, weights, `${prefix}.up_proj.weight`, [I, D]);
  expectShape(op, weights, `${prefix}.down_proj.weight`, [D, I]);
  const gateUpT = tf.tidy(() => {
    const g = weights.tensor(`${prefix}.gate_proj.weight`, { transpose: true }); // [D, I]
    const u = weights.tensor(`${prefix}.up_proj.weight`, { transpose: true }); // [D, I]
    return tf.concat([g, u], 1) as tf.Tensor2D; // [D, 2I]
  });
  try {
    return { gateUpT, downT: weights.tensor(`${prefix}.down_proj.weight`, { transpose: true }) as tf.Tensor2D };
  } catch (e) {
    gateUpT.dispose();
    throw e;
  }
}

/** `down(act(gate(x)) ⊙ up(x))` for `x [..., D]` → `[..., D]` (no validation; callers check). */
export function swiGlu(x: tf.Tensor, w: SwiGluWeights, act: ActivationFn): tf.Tensor {
  return scope(() => {
    const [g, u] = tf.split(dense(x, w.gateUpT), 2, -1); // [..., I] each, from one fused [..., 2I] product
    return dense(mul(act(g), u), w.downT); // [..., D]
  });
}

/** Check that `x` is a float32 `[..., D]` (the input of a feed-forward of width D). */
export function checkLastDim(op: string, x: tf.Tensor, D: number): void {
  checkFloat(op, 'x', x);
  checkMinRank(op, 'x', x, 1);
  if (x.shape[x.rank - 1] !== D) throw new ShapeError(`${op}: 'x' must have last dimension D = ${D}, got ${fmtShape(x.shape)}`);
}

/** The config keys of the dense FFN. */
export interface MlpConfig {
  /** Model width D. */
  readonly hidden_size: number;
  /** FFN width I. */
  readonly intermediate_size: number;
  /** Activation of the gate (`silu` in the releases). */
  readonly hidden_act: string;
}

/**
 * Dense SwiGLU FFN (spec 3.3; Intern-S1-mini's every layer): `down(silu(gate(m)) ⊙ up(m))`.
 * Loads `<prefix>.{gate_proj,up_proj}.weight [I, D]` and `<prefix>.down_proj.weight [D, I]`
 * with I = `intermediate_size` (prefix `...layers.{l}.mlp`).
 *
 * $$ \mathrm{FFN}(m) = W_{\mathrm{down}}\big(\operatorname{silu}(W_{\mathrm{gate}}\, m) \odot W_{\mathrm{up}}\, m\big) $$
 *
 * Reference twin: {@link reference!Qwen3MLP | Qwen3MLP}; here gate and up are one 2-D product with the two
 * weights transposed and concatenated at load.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { Qwen3MLP, memoryWeights } from 'intern-s1-ts';
 * const w = (o: number, i: number) => ({ dtype: 'F32' as const, shape: [o, i], data: new Float32Array(o * i).fill(0.1) });
 * const ws = memoryWeights({ 'mlp.gate_proj.weight': w(6, 4), 'mlp.up_proj.weight': w(6, 4), 'mlp.down_proj.weight': w(4, 6) });
 * const mlp = Qwen3MLP.fromWeights({ hidden_size: 4, intermediate_size: 6, hidden_act: 'silu' }, ws, 'mlp');
 * console.log(mlp.forward(tf.ones([2, 4])).shape); // => [2, 4]
 * mlp.dispose();
 * ```
 */
export class Qwen3MLP implements Disposable {
  private readonly act: ActivationFn;

  constructor(
    /** The pre-transposed gate/up and down weights. */
    readonly weights: SwiGluWeights,
    /** Activation name of the gate (`silu`). */
    readonly hiddenAct: string,
  ) {
    this.act = activation(hiddenAct);
  }

  /** Model width D. */
  get hiddenSize(): number {
    return this.weights.gateUpT.shape[0];
  }

  /** Load `<prefix>.{gate_proj,up_proj,down_proj}.weight`, checking shapes against `cfg`. */
  static fromWeights(cfg: MlpConfig, weights: WeightSource, prefix: string): Qwen3MLP {
    const act = activation(cfg.hidden_act); // validate before loading anything
    void act;
    return new Qwen3MLP(loadSwiGlu('Qwen3MLP', weights, prefix, cfg.hidden_size, cfg.intermediate_size), cfg.hidden_act);
  }

  /** `x [..., D]` → `[..., D]`. */
  forward(x: tf.Tensor): tf.Tensor {
    checkLastDim('Qwen3MLP', x, this.hiddenSize);
    return swiGlu(x, this.weights, this.act);
  }

  /** Release the weights. */
  dispose(): void {
    this.weights.gateUpT.dispose();
    this.weights.downT.dispose();
  }
}

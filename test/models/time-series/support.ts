/** Shared helpers of the time-series tests: seeded tiny checkpoints and signals. */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import type { TimeSeriesConfig } from '../../../src/io/configs/time-series.js';
import { parseTimeSeriesConfig } from '../../../src/io/configs/time-series.js';
import type { WeightSource } from '../../../src/io/weights.js';
import { type NDArray, fromArray } from '../../../reference/ndarray.js';
import { mulberry32, normals } from '../../support/arbitraries.js';
import { type TensorSpec, randomWeights } from '../../support/weights.js';

/** Sizes of a tiny tower. `patchFfn` is the patch layer's FFN width (2048 in the release). */
export interface TinySizes {
  patchFfn?: number;
  d?: number;
  layers?: number;
  heads?: number;
  ffn?: number;
  maxPos?: number;
  out?: number;
  text?: number;
  act?: string;
  /** Also store `encoder_embed.pos_encoder.pe` (these rows, from `pe`). */
  pe?: { rows: number; values: Float32Array };
  /** Store a k_proj bias (HF Whisper has none). */
  kBias?: boolean;
}

export const PREFIX = 'model.time_series';

/** The sizes of the tiny tower the model, patch-encoder and Whisper tests share (seed 42). */
export const TOWER_SIZES: TinySizes = { patchFfn: 16, d: 16, layers: 2, heads: 4, ffn: 24, maxPos: 6, out: 20, text: 12 };

/** A rate from the whole range (0.5 Hz to 10 kHz), including the float32-trap band. */
export const rateArb: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(1, 20, 100, 180, 300, 1000, 2500, 3000, 10000),
  fc.double({ min: Math.log10(0.5), max: 4, noNaN: true }).map((e) => 10 ** e),
);

/** The tensor specs of a tiny tower under {@link PREFIX}. */
export function towerSpecs(s: TinySizes = {}): Record<string, TensorSpec> {
  const F = s.patchFfn ?? 32;
  const d = s.d ?? 16;
  const ffn = s.ffn ?? 24;
  const out = s.out ?? 20;
  const text = s.text ?? 12;
  const e = `${PREFIX}.encoder_embed`;
  const t = `${e}.transformer_encoder.layers.0`;
  const w = (shape: number[], std = 0.15): TensorSpec => ({ shape, std });
  const ln = (n: number): TensorSpec => ({ shape: [n], std: 0.1, mean: 1 });
  const specs: Record<string, TensorSpec> = {
    [`${e}.conv.weight`]: w([128, 1, 5], 0.5), [`${e}.conv.bias`]: w([128], 0.1),
    [`${t}.self_attn.in_proj_weight`]: w([384, 128], 0.1), [`${t}.self_attn.in_proj_bias`]: w([384], 0.05),
    [`${t}.self_attn.out_proj.weight`]: w([128, 128], 0.1), [`${t}.self_attn.out_proj.bias`]: w([128], 0.05),
    [`${t}.linear1.weight`]: w([F, 128], 0.1), [`${t}.linear1.bias`]: w([F], 0.05),
    [`${t}.linear2.weight`]: w([128, F], 0.1), [`${t}.linear2.bias`]: w([128], 0.05),
    [`${t}.norm1.weight`]: ln(128), [`${t}.norm1.bias`]: w([128], 0.05),
    [`${t}.norm2.weight`]: ln(128), [`${t}.norm2.bias`]: w([128], 0.05),
    [`${PREFIX}.encoder.adapt_in.weight`]: w([80, 256], 0.1), [`${PREFIX}.encoder.adapt_in.bias`]: w([80], 0.05),
    [`${PREFIX}.encoder.conv1.weight`]: w([d, 80, 3], 0.1), [`${PREFIX}.encoder.conv1.bias`]: w([d], 0.05),
    [`${PREFIX}.encoder.conv2.weight`]: w([d, d, 3], 0.2), [`${PREFIX}.encoder.conv2.bias`]: w([d], 0.05),
    [`${PREFIX}.encoder.embed_positions.weight`]: w([s.maxPos ?? 6, d], 0.2),
    [`${PREFIX}.encoder.layer_norm.weight`]: ln(d), [`${PREFIX}.encoder.layer_norm.bias`]: w([d], 0.05),
    [`${PREFIX}.encoder.adapt_out.weight`]: w([out, d], 0.2), [`${PREFIX}.encoder.adapt_out.bias`]: w([out], 0.05),
    [`${PREFIX}.projector.layer_norm.weight`]: ln(out), [`${PREFIX}.projector.layer_norm.bias`]: w([out], 0.05),
    [`${PREFIX}.projector.linear_1.weight`]: w([text, out], 0.2), [`${PREFIX}.projector.linear_1.bias`]: w([text], 0.05),
    [`${PREFIX}.projector.linear_2.weight`]: w([text, text], 0.2), [`${PREFIX}.projector.linear_2.bias`]: w([text], 0.05),
  };
  for (let j = 0; j < (s.layers ?? 2); j++) {
    const l = `${PREFIX}.encoder.layers.${j}`;
    for (const p of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      specs[`${l}.self_attn.${p}.weight`] = w([d, d], 0.25);
      if (p !== 'k_proj' || s.kBias) specs[`${l}.self_attn.${p}.bias`] = w([d], 0.05);
    }
    Object.assign(specs, {
      [`${l}.self_attn_layer_norm.weight`]: ln(d), [`${l}.self_attn_layer_norm.bias`]: w([d], 0.05),
      [`${l}.final_layer_norm.weight`]: ln(d), [`${l}.final_layer_norm.bias`]: w([d], 0.05),
      [`${l}.fc1.weight`]: w([ffn, d], 0.25), [`${l}.fc1.bias`]: w([ffn], 0.05),
      [`${l}.fc2.weight`]: w([d, ffn], 0.25), [`${l}.fc2.bias`]: w([d], 0.05),
    });
  }
  return specs;
}

/** The `ts_config` of a tiny tower. */
export function towerConfig(s: TinySizes = {}): TimeSeriesConfig {
  return parseTimeSeriesConfig({
    d_model: s.d ?? 16, encoder_layers: s.layers ?? 2, encoder_attention_heads: s.heads ?? 2,
    encoder_ffn_dim: s.ffn ?? 24, max_source_positions: s.maxPos ?? 6, ts_adapt_out_dim: s.out ?? 20,
    activation_function: s.act ?? 'gelu',
  }, s.text ?? 12);
}

/** A seeded tiny tower: config and weights (plus an optional pe buffer). */
export function tinyTower(seed: number, s: TinySizes = {}): { cfg: TimeSeriesConfig; weights: WeightSource } {
  const weights = randomWeights(towerSpecs(s), seed);
  if (!s.pe) return { cfg: towerConfig(s), weights };
  const pe = s.pe;
  const name = `${PREFIX}.encoder_embed.pos_encoder.pe`;
  const wrapped: WeightSource = Object.create(weights);
  wrapped.has = (n) => n === name || weights.has(n);
  wrapped.info = (n) => (n === name ? { shape: [pe.rows, 1, 128], dtype: 'F32' } : weights.info(n));
  wrapped.rows = (n, idx) => (n === name ? Float32Array.from(Array.from(idx).flatMap((r) => Array.from(pe.values.subarray(r * 128, (r + 1) * 128)))) : weights.rows(n, idx));
  wrapped.array = (n) => (n === name ? fromArray(pe.values, [pe.rows, 1, 128]) : weights.array(n));
  return { cfg: towerConfig(s), weights: wrapped };
}

/** A seeded signal `[T, C]` (float32 values): a few sines plus noise, with per-channel offsets. */
export function makeSignal(seed: number, T: number, C: number): { data: Float32Array; tensor: () => tf.Tensor2D; nd: () => NDArray } {
  const rand = mulberry32(seed);
  const noise = normals(rand, T * C, 0.3);
  const data = new Float32Array(T * C);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < C; c++) data[t * C + c] = Math.sin(0.05 * (c + 1) * t) + 2 * c + 0.5 * Math.cos(0.013 * t) + noise[t * C + c];
  }
  return { data, tensor: () => tf.tensor2d(data, [T, C]), nd: () => fromArray(data, [T, C]) };
}

/** A seeded standard-normal matrix `[rows, cols]` (float32 values), as a tensor and as the reference's array. */
export function randomMatrix(seed: number, rows: number, cols: number): { data: Float32Array; tensor: () => tf.Tensor2D; nd: () => NDArray } {
  const data = Float32Array.from(normals(mulberry32(seed), rows * cols));
  return { data, tensor: () => tf.tensor2d(data, [rows, cols]), nd: () => fromArray(data, [rows, cols]) };
}

/** Relative error `||a − e|| / ||e||`. */
export function relErr(a: ArrayLike<number>, e: ArrayLike<number>): number {
  if (a.length !== e.length) throw new Error(`length ${a.length} != ${e.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < e.length; i++) {
    num += (a[i] - e[i]) ** 2;
    den += e[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-300);
}

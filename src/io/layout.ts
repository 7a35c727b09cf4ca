/**
 * The tensors a config implies (spec 9.1–9.3): canonical HF names, shapes, and what each is, so
 * tiny checkpoints can be generated and real ones checked against their config (`inspect`).
 *
 * @module
 */
import {
  type InternS1Config, type InternS1ProConfig, type InternVitConfig, type ModelConfig, type ProVisionConfig,
  type TextConfig, type TimeSeriesConfig, TS_EMBED_DIM, configVariant, fopeEnabled, isMoeLayer, textConfigOf,
} from './config.js';

/** What a tensor is (sets its initialisation in tiny checkpoints and its component in `inspect`). */
export type TensorKind =
  | 'linear' | 'conv' | 'bias' | 'norm' | 'norm_bias' | 'embedding' | 'position' | 'router'
  | 'layer_scale' | 'fope' | 'buffer';

/** One tensor of a checkpoint layout. */
export interface LayoutEntry {
  /** Canonical HF name. */
  readonly name: string;
  /** Shape in the canonical `[out, in]` layout. */
  readonly shape: readonly number[];
  /** What the tensor is. */
  readonly kind: TensorKind;
  /** Stored as FP8 + `_scale_inv` in the FP8 releases (text attention and expert projections). */
  readonly fp8: boolean;
  /** May be absent from a checkpoint (a persistent buffer the model can recompute). */
  readonly optional?: boolean;
  /** Fan-in of a linear / conv weight (for initialisation). */
  readonly fanIn?: number;
}

type Add = (name: string, shape: number[], kind: TensorKind, extra?: { fp8?: boolean; optional?: boolean; fanIn?: number }) => void;

/** Linear `weight [out, in]` (+ `bias [out]`). */
function linear(add: Add, name: string, out: number, inp: number, bias: boolean, fp8 = false): void {
  add(`${name}.weight`, [out, inp], 'linear', { fp8, fanIn: inp });
  if (bias) add(`${name}.bias`, [out], 'bias');
}

function norm(add: Add, name: string, n: number, bias: boolean): void {
  add(`${name}.weight`, [n], 'norm');
  if (bias) add(`${name}.bias`, [n], 'norm_bias');
}

/**
 * The number K of FoPE frequencies (spec 5.3): `num_inv_freq` if set, else the count of
 * `ω_i = θ^(−2i/d)` (i < d/2) above `2π / max_position_embeddings`, compared in float32 as the
 * reference code does (Pro: 45).
 */
export function fopeNumFrequencies(cfg: TextConfig): number {
  const r = cfg.rope_scaling;
  if (r?.num_inv_freq != null) return r.num_inv_freq;
  const floor = Math.fround((2 * Math.PI) / cfg.max_position_embeddings);
  let k = 0;
  for (let i = 0; i < cfg.head_dim / 2; i++) {
    const w = Math.fround(1 / Math.fround(cfg.rope_theta ** Math.fround((2 * i) / cfg.head_dim)));
    if (w > floor) k++;
  }
  return k;
}

function textLayout(add: Add, t: TextConfig, p: string): void {
  const D = t.hidden_size;
  const qd = t.num_attention_heads * t.head_dim;
  const kvd = t.num_key_value_heads * t.head_dim;
  add(`${p}embed_tokens.weight`, [t.vocab_size, D], 'embedding');
  if (fopeEnabled(t)) {
    const K = fopeNumFrequencies(t);
    const heads = t.rope_scaling?.fope_sep_head ? t.num_key_value_heads : 1;
    add(`${p}rotary_emb.cos_coef`, [heads, K, K], 'fope');
    add(`${p}rotary_emb.sin_coef`, [heads, K, K], 'fope');
  }
  for (let l = 0; l < t.num_hidden_layers; l++) {
    const L = `${p}layers.${l}`;
    norm(add, `${L}.input_layernorm`, D, false);
    linear(add, `${L}.self_attn.q_proj`, qd, D, t.attention_bias, true);
    linear(add, `${L}.self_attn.k_proj`, kvd, D, t.attention_bias, true);
    linear(add, `${L}.self_attn.v_proj`, kvd, D, t.attention_bias, true);
    linear(add, `${L}.self_attn.o_proj`, D, qd, t.attention_bias, true);
    norm(add, `${L}.self_attn.q_norm`, t.head_dim, false);
    norm(add, `${L}.self_attn.k_norm`, t.head_dim, false);
    norm(add, `${L}.post_attention_layernorm`, D, false);
    if (t.model_type !== 'qwen3' && isMoeLayer(t, l)) {
      add(`${L}.mlp.gate.weight`, [t.num_experts, D], 'router', { fanIn: D });
      for (let e = 0; e < t.num_experts; e++) {
        linear(add, `${L}.mlp.experts.${e}.gate_proj`, t.moe_intermediate_size, D, false, true);
        linear(add, `${L}.mlp.experts.${e}.up_proj`, t.moe_intermediate_size, D, false, true);
        linear(add, `${L}.mlp.experts.${e}.down_proj`, D, t.moe_intermediate_size, false, true);
      }
    } else {
      linear(add, `${L}.mlp.gate_proj`, t.intermediate_size, D, false, true);
      linear(add, `${L}.mlp.up_proj`, t.intermediate_size, D, false, true);
      linear(add, `${L}.mlp.down_proj`, D, t.intermediate_size, false, true);
    }
  }
  norm(add, `${p}norm`, D, false);
}

function internVitLayout(add: Add, cfg: InternS1Config): void {
  const v: InternVitConfig = cfg.vision_config;
  const C = v.hidden_size;
  const p = 'model.vision_tower.';
  const grid = (v.image_size[0] / v.patch_size[0]) * (v.image_size[1] / v.patch_size[1]);
  const ln = v.norm_type === 'layer_norm';
  add(`${p}embeddings.cls_token`, [1, 1, C], 'position');
  if (v.use_absolute_position_embeddings) add(`${p}embeddings.position_embeddings`, [1, grid + 1, C], 'position');
  const fan = v.num_channels * v.patch_size[0] * v.patch_size[1];
  add(`${p}embeddings.patch_embeddings.projection.weight`, [C, v.num_channels, v.patch_size[0], v.patch_size[1]], 'conv', { fanIn: fan });
  add(`${p}embeddings.patch_embeddings.projection.bias`, [C], 'bias');
  for (let i = 0; i < v.num_hidden_layers; i++) {
    const L = `${p}encoder.layer.${i}`;
    for (const q of ['q', 'k', 'v']) linear(add, `${L}.attention.${q}_proj`, C, C, v.attention_bias);
    if (v.use_qk_norm) for (const n of ['q_norm', 'k_norm']) norm(add, `${L}.attention.${n}`, C, false);
    linear(add, `${L}.attention.projection_layer`, C, C, true);
    norm(add, `${L}.layernorm_before`, C, ln);
    norm(add, `${L}.layernorm_after`, C, ln);
    add(`${L}.lambda_1`, [C], 'layer_scale');
    add(`${L}.lambda_2`, [C], 'layer_scale');
    linear(add, `${L}.mlp.fc1`, v.intermediate_size, C, true);
    linear(add, `${L}.mlp.fc2`, C, v.intermediate_size, true);
  }
  if (!v.use_mean_pooling) norm(add, `${p}layernorm`, C, true);
  const wide = Math.round(C / (cfg.downsample_ratio * cfg.downsample_ratio));
  const D = cfg.text_config.hidden_size;
  norm(add, 'model.multi_modal_projector.layer_norm', wide, true);
  linear(add, 'model.multi_modal_projector.linear_1', D, wide, true);
  linear(add, 'model.multi_modal_projector.linear_2', D, D, true);
}

function proVisionLayout(add: Add, v: ProVisionConfig): void {
  const C = v.hidden_size;
  const p = 'model.visual.';
  const fan = v.in_channels * v.temporal_patch_size * v.patch_size * v.patch_size;
  add(`${p}patch_embed.proj.weight`, [C, v.in_channels, v.temporal_patch_size, v.patch_size, v.patch_size], 'conv', { fanIn: fan });
  add(`${p}patch_embed.proj.bias`, [C], 'bias');
  add(`${p}pos_embed.weight`, [v.num_position_embeddings, C], 'position');
  for (let i = 0; i < v.depth; i++) {
    const B = `${p}blocks.${i}`;
    norm(add, `${B}.norm1`, C, true);
    norm(add, `${B}.norm2`, C, true);
    linear(add, `${B}.attn.qkv`, 3 * C, C, true);
    linear(add, `${B}.attn.proj`, C, C, true);
    linear(add, `${B}.mlp.linear_fc1`, v.intermediate_size, C, true);
    linear(add, `${B}.mlp.linear_fc2`, C, v.intermediate_size, true);
  }
  const wide = C * v.spatial_merge_size ** 2;
  norm(add, `${p}merger.norm`, C, true);
  linear(add, `${p}merger.linear_fc1`, wide, wide, true);
  linear(add, `${p}merger.linear_fc2`, v.out_hidden_size, wide, true);
}

/** Width of the feed-forward layer of the adaptive-patching transformer (spec 7.2, fixed by the code). */
export const TS_EMBED_FFN = 2048;

function timeSeriesLayout(add: Add, ts: TimeSeriesConfig): void {
  const p = 'model.time_series.';
  const E = TS_EMBED_DIM;
  const T = `${p}encoder_embed.transformer_encoder.layers.0`;
  add(`${p}encoder_embed.conv.weight`, [E, 1, 5], 'conv', { fanIn: 5 });
  add(`${p}encoder_embed.conv.bias`, [E], 'bias');
  add(`${p}encoder_embed.pos_encoder.pe`, [20000, 1, E], 'buffer', { optional: true });
  add(`${T}.self_attn.in_proj_weight`, [3 * E, E], 'linear', { fanIn: E });
  add(`${T}.self_attn.in_proj_bias`, [3 * E], 'bias');
  linear(add, `${T}.self_attn.out_proj`, E, E, true);
  linear(add, `${T}.linear1`, TS_EMBED_FFN, E, true);
  linear(add, `${T}.linear2`, E, TS_EMBED_FFN, true);
  norm(add, `${T}.norm1`, E, true);
  norm(add, `${T}.norm2`, E, true);
  const d = ts.d_model;
  const F = ts.encoder_ffn_dim;
  linear(add, `${p}encoder.adapt_in`, ts.num_mel_bins, ts.ts_adapt_in_dim, true);
  add(`${p}encoder.conv1.weight`, [d, ts.num_mel_bins, 3], 'conv', { fanIn: 3 * ts.num_mel_bins });
  add(`${p}encoder.conv1.bias`, [d], 'bias');
  add(`${p}encoder.conv2.weight`, [d, d, 3], 'conv', { fanIn: 3 * d });
  add(`${p}encoder.conv2.bias`, [d], 'bias');
  add(`${p}encoder.embed_positions.weight`, [ts.max_source_positions, d], 'position');
  for (let j = 0; j < ts.encoder_layers; j++) {
    const L = `${p}encoder.layers.${j}`;
    linear(add, `${L}.self_attn.q_proj`, d, d, true);
    linear(add, `${L}.self_attn.k_proj`, d, d, false); // HF Whisper: no k bias (spec 7.3)
    linear(add, `${L}.self_attn.v_proj`, d, d, true);
    linear(add, `${L}.self_attn.out_proj`, d, d, true);
    norm(add, `${L}.self_attn_layer_norm`, d, true);
    linear(add, `${L}.fc1`, F, d, true);
    linear(add, `${L}.fc2`, d, F, true);
    norm(add, `${L}.final_layer_norm`, d, true);
  }
  norm(add, `${p}encoder.layer_norm`, d, true);
  linear(add, `${p}encoder.adapt_out`, ts.ts_adapt_out_dim, d, true);
  norm(add, `${p}projector.layer_norm`, ts.ts_hidden_dim, true);
  linear(add, `${p}projector.linear_1`, ts.out_hidden_size, ts.ts_hidden_dim, true);
  linear(add, `${p}projector.linear_2`, ts.out_hidden_size, ts.out_hidden_size, true);
}

/** The prefix of the text decoder's names: `model.language_model.` in the multimodal models, `model.` in a bare text checkpoint. */
export function textPrefix(cfg: ModelConfig): string {
  return configVariant(cfg) === 'text' ? 'model.' : 'model.language_model.';
}

/**
 * Every tensor `cfg` implies, in a fixed order (text, vision, projector, time series, lm_head),
 * with canonical names, `[out, in]` shapes (spec 9.1–9.3), and which are FP8 in FP8 releases.
 *
 * @example
 * ```ts
 * import { checkpointLayout, parseConfig } from 'intern-s1-ts';
 * const cfg = parseConfig({ model_type: 'qwen3', vocab_size: 8, hidden_size: 4, intermediate_size: 8,
 *   num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 2,
 *   max_position_embeddings: 64, rope_theta: 1e4 });
 * console.log(checkpointLayout(cfg).map((e) => e.name)); // model.embed_tokens.weight, ...
 * ```
 */
export function checkpointLayout(cfg: ModelConfig): LayoutEntry[] {
  const out: LayoutEntry[] = [];
  const add: Add = (name, shape, kind, extra = {}) => out.push({ name, shape, kind, fp8: extra.fp8 ?? false, ...(extra.optional ? { optional: true } : {}), ...(extra.fanIn ? { fanIn: extra.fanIn } : {}) });
  const text = textConfigOf(cfg);
  textLayout(add, text, textPrefix(cfg));
  if (cfg.model_type === 'intern_s1' || cfg.model_type === 'interns1') internVitLayout(add, cfg);
  if (cfg.model_type === 'interns1_pro') proVisionLayout(add, (cfg as InternS1ProConfig).vision_config);
  const ts = 'ts_config' in cfg ? cfg.ts_config : null;
  if (ts) timeSeriesLayout(add, ts);
  if (!text.tie_word_embeddings) add('lm_head.weight', [text.vocab_size, text.hidden_size], 'linear', { fanIn: text.hidden_size });
  return out;
}

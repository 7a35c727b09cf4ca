/**
 * Vision-tower configs (spec 1.2, 6, 9.6): InternViT (Intern-S1 and -mini, both norm types, QK
 * norm) and the Qwen3-VL-style Intern-S1-Pro tower.
 *
 * @module
 */
import { type Activation, Fields, divisible, freeze } from './fields.js';

/** InternViT (spec 6.1.2). Defaults are those of the HF `InternVLVisionConfig`. */
export interface InternVitConfig {
  /** As written in the checkpoint (`intern_s1_vision`, `intern_vit_6b`, ...); default `intern_vit`. */
  readonly model_type: string;
  /** Width C (S1 3200, mini 1024). Required. */
  readonly hidden_size: number;
  /** Number of encoder layers (S1 45, mini 24). Required. */
  readonly num_hidden_layers: number;
  /** Attention heads (C must be a multiple). Required. */
  readonly num_attention_heads: number;
  /** MLP width (S1 12800, mini 4096). Required. */
  readonly intermediate_size: number;
  /** MLP activation; default `gelu` (erf). */
  readonly hidden_act: Activation;
  /** `rms_norm` (S1: weight only) or `layer_norm` (mini: weight + bias); default `layer_norm`. */
  readonly norm_type: 'rms_norm' | 'layer_norm';
  /** Epsilon of the ViT norms; default 1e-6. */
  readonly layer_norm_eps: number;
  /** RMSNorm over the full width of q and k (S1); default false. InternVL-chat alias `qk_normalization`. */
  readonly use_qk_norm: boolean;
  /** Biases on q/k/v (mini); default false. InternVL-chat alias `qkv_bias`. */
  readonly attention_bias: boolean;
  /** Tile size `[h, w]` (int or pair in the JSON); default [448, 448]. */
  readonly image_size: readonly [number, number];
  /** Patch size `[h, w]` (int or pair); default [14, 14]. Must divide image_size. */
  readonly patch_size: readonly [number, number];
  /** Input channels; default 3. */
  readonly num_channels: number;
  /** Initial value of the layer scales `lambda_1/2` (training only); default 0.1. */
  readonly layer_scale_init_value: number;
  /** Mean pooling instead of a final LayerNorm (no `layernorm` weight when true); default true. */
  readonly use_mean_pooling: boolean;
  /** Learned absolute position embeddings (CLS + grid); default true. */
  readonly use_absolute_position_embeddings: boolean;
  /** Stochastic depth (training only); default 0. */
  readonly drop_path_rate: number;
}

/**
 * Parse and validate an InternViT `vision_config`.
 *
 * @throws ConfigError for a missing key, width not a multiple of heads, patch not dividing the
 *   image, an unknown norm type or activation.
 * @example
 * ```ts
 * import { parseInternVitConfig } from 'intern-s1-ts';
 * const v = parseInternVitConfig({ hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2,
 *   intermediate_size: 32, image_size: 448, patch_size: 14 }, 'vision_config');
 * console.log(v.image_size); // => [448, 448]
 * ```
 */
export function parseInternVitConfig(json: unknown, path = 'vision_config'): InternVitConfig {
  const f = Fields.of(json, path);
  const hidden_size = f.int('hidden_size');
  const heads = f.int('num_attention_heads');
  divisible(f, 'hidden_size', hidden_size, 'num_attention_heads', heads);
  const image_size = f.pair('image_size', [448, 448]);
  const patch_size = f.pair('patch_size', [14, 14]);
  if (image_size[0] % patch_size[0] !== 0 || image_size[1] % patch_size[1] !== 0) {
    f.fail('image_size', `[${image_size}] is not a multiple of patch_size [${patch_size}]`);
  }
  return freeze({
    model_type: f.str('model_type', 'intern_vit'), hidden_size, num_hidden_layers: f.int('num_hidden_layers'),
    num_attention_heads: heads, intermediate_size: f.int('intermediate_size'), hidden_act: f.act('hidden_act', 'gelu'),
    norm_type: f.oneOf('norm_type', ['rms_norm', 'layer_norm'] as const, 'layer_norm'),
    layer_norm_eps: f.num('layer_norm_eps', 1e-6),
    use_qk_norm: f.bool(f.alias('use_qk_norm', 'qk_normalization') ?? 'use_qk_norm', false),
    attention_bias: f.bool(f.alias('attention_bias', 'qkv_bias') ?? 'attention_bias', false),
    image_size, patch_size, num_channels: f.int('num_channels', 3),
    layer_scale_init_value: f.num('layer_scale_init_value', 0.1, false),
    use_mean_pooling: f.bool('use_mean_pooling', true),
    use_absolute_position_embeddings: f.bool('use_absolute_position_embeddings', true),
    drop_path_rate: f.num('drop_path_rate', 0, false),
  });
}

/** The Intern-S1-Pro vision tower (spec 6.2). Defaults are the released Pro values. */
export interface ProVisionConfig {
  /** Default `interns1_pro_vision`. */
  readonly model_type: string;
  /** Number of blocks (Pro 24). Required. */
  readonly depth: number;
  /** Width C (Pro 1024). Required. */
  readonly hidden_size: number;
  /** MLP activation; default `gelu_pytorch_tanh`. */
  readonly hidden_act: Activation;
  /** MLP width (Pro 4096). Required. */
  readonly intermediate_size: number;
  /** Attention heads; C / heads must be a multiple of 4 (2-D RoPE splits half the lanes into rows and columns). Required. */
  readonly num_heads: number;
  /** Input channels; default 3. */
  readonly in_channels: number;
  /** Spatial patch size p; default 16. */
  readonly patch_size: number;
  /** Merge window m (m×m patches → one token); default 2. */
  readonly spatial_merge_size: number;
  /** Frames per temporal patch Tp; default 2. */
  readonly temporal_patch_size: number;
  /** Merger output width (= the text hidden_size). Required. */
  readonly out_hidden_size: number;
  /** Learned position grid size N² (Pro 2304 = 48²); must be a square. Required. */
  readonly num_position_embeddings: number;
  /** Blocks whose features are injected into the LM (absent in Pro); default []. */
  readonly deepstack_visual_indexes: readonly number[];
}

/**
 * Parse and validate an Intern-S1-Pro `vision_config`.
 *
 * @throws ConfigError for a missing key, heads not dividing the width, a head dim not a multiple
 *   of 4, a non-square position grid, deepstack indexes out of range.
 * @example
 * ```ts
 * import { parseProVisionConfig } from 'intern-s1-ts';
 * const v = parseProVisionConfig({ depth: 2, hidden_size: 16, intermediate_size: 32, num_heads: 2,
 *   out_hidden_size: 16, num_position_embeddings: 2304 });
 * console.log(v.patch_size); // => 16
 * ```
 */
export function parseProVisionConfig(json: unknown, path = 'vision_config'): ProVisionConfig {
  const f = Fields.of(json, path);
  const hidden_size = f.int('hidden_size');
  const num_heads = f.int('num_heads');
  divisible(f, 'hidden_size', hidden_size, 'num_heads', num_heads);
  if ((hidden_size / num_heads) % 4 !== 0) f.fail('num_heads', `head dim ${hidden_size / num_heads} must be a multiple of 4 (2-D RoPE)`);
  const num_position_embeddings = f.int('num_position_embeddings');
  if (!Number.isInteger(Math.sqrt(num_position_embeddings))) f.fail('num_position_embeddings', `must be a square (an N×N grid), got ${num_position_embeddings}`);
  const depth = f.int('depth');
  const deepstack = f.intList('deepstack_visual_indexes', []);
  if (deepstack.some((i) => i >= depth)) f.fail('deepstack_visual_indexes', `indexes must be < depth (${depth})`);
  return freeze({
    model_type: f.str('model_type', 'interns1_pro_vision'), depth, hidden_size,
    hidden_act: f.act('hidden_act', 'gelu_pytorch_tanh'), intermediate_size: f.int('intermediate_size'), num_heads,
    in_channels: f.int('in_channels', 3), patch_size: f.int('patch_size', 16), spatial_merge_size: f.int('spatial_merge_size', 2),
    temporal_patch_size: f.int('temporal_patch_size', 2), out_hidden_size: f.int('out_hidden_size'),
    num_position_embeddings, deepstack_visual_indexes: deepstack,
  });
}

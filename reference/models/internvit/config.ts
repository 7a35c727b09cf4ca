/**
 * The config fields the reference InternViT reads (spec 9.6), picked from the one config type of
 * src/io/configs/vision.ts (shared: configs have no twin), and the reference's checks.
 *
 * @module
 */
import type { InternVitConfig as SrcInternVitConfig } from '../../../src/io/configs/vision.js';

/**
 * The InternViT `vision_config` fields the reference reads: a subset of the one parsed config type
 * (src/io/configs/vision.ts, shared: configs have no twin).
 */
export type InternVitConfig = Pick<SrcInternVitConfig,
  'hidden_size' | 'num_hidden_layers' | 'num_attention_heads' | 'intermediate_size' | 'hidden_act' | 'norm_type' | 'layer_norm_eps' | 'use_qk_norm' | 'attention_bias' | 'image_size' | 'patch_size' | 'num_channels' | 'use_mean_pooling' | 'use_absolute_position_embeddings'>;

/** The top-level keys the vision tower reads (spec 6.1.3, 9.6). */
export interface InternS1VisionConfig {
  /** The InternViT encoder's config. */
  readonly vision_config: InternVitConfig;
  /** r = 0.5: the pixel shuffle merges s×s = 2×2 patches, s = 1/r. */
  readonly downsample_ratio: number;
  /** Activation between the projector's two linears. */
  readonly projector_hidden_act: string;
  /** -1: the last hidden state; else an index into the L + 1 hidden states. */
  readonly vision_feature_layer: number;
  /** Only `default` (drop CLS) feeds a pixel shuffle. */
  readonly vision_feature_select_strategy: string;
}

/** The projector's only config key. */
export interface InternS1ProjectorConfig {
  /** Activation between the projector's two linears. */
  readonly projector_hidden_act: string;
}

/** Throw unless the config is one the model can run (the fast path throws ConfigErrors for the same cases). */
export function checkVitConfig(op: string, cfg: InternVitConfig): void {
  if (cfg.norm_type !== 'rms_norm' && cfg.norm_type !== 'layer_norm') {
    throw new Error(`${op}: unsupported norm_type '${cfg.norm_type}' (known: rms_norm, layer_norm)`);
  }
  if (cfg.hidden_size % cfg.num_attention_heads !== 0) {
    throw new Error(`${op}: 'hidden_size' ${cfg.hidden_size} is not a multiple of 'num_attention_heads' ${cfg.num_attention_heads}`);
  }
}

export { checkShape, join } from '../../../src/io/weight-names.js';

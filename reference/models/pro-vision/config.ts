/**
 * The config fields the reference Pro vision tower reads (spec 9.6), picked from the one config
 * type of src/io/configs/vision.ts (shared: configs have no twin), and the reference's checks.
 *
 * @module
 */
import type { ProVisionConfig as SrcProVisionConfig } from '../../../src/io/configs/vision.js';

/**
 * The `vision_config` fields the reference Pro tower reads: a subset of the one parsed config type
 * (src/io/configs/vision.ts, shared: configs have no twin).
 */
export type ProVisionConfig = Pick<SrcProVisionConfig,
  'depth' | 'hidden_size' | 'hidden_act' | 'intermediate_size' | 'num_heads' | 'in_channels' | 'patch_size' | 'spatial_merge_size' | 'temporal_patch_size' | 'out_hidden_size' | 'num_position_embeddings'>;

export { PRO_VISION_LN_EPS, PRO_VISION_ROPE_THETA } from '../../../src/models/pro-vision/constants.js';

/** Throw unless the config is one the tower can run (the fast path throws ConfigErrors for the same cases). */
export function checkProVisionConfig(op: string, cfg: ProVisionConfig): void {
  const C = cfg.hidden_size;
  if (C % cfg.num_heads !== 0 || (C / cfg.num_heads) % 4 !== 0) {
    throw new Error(`${op}: head dim hidden_size / num_heads = ${C} / ${cfg.num_heads} must be a whole multiple of 4`);
  }
  const n = Math.round(Math.sqrt(cfg.num_position_embeddings));
  if (n * n !== cfg.num_position_embeddings) throw new Error(`${op}: 'num_position_embeddings' must be a square, got ${cfg.num_position_embeddings}`);
}

/** K = in_channels · temporal_patch_size · patch_size² (1536). */
export function patchFeatures(cfg: ProVisionConfig): number {
  return cfg.in_channels * cfg.temporal_patch_size * cfg.patch_size * cfg.patch_size;
}

/** N = √num_position_embeddings (48). */
export function positionGridSide(cfg: ProVisionConfig): number {
  return Math.round(Math.sqrt(cfg.num_position_embeddings));
}

export { checkShape, join } from '../../../src/io/weight-names.js';

/**
 * What the Intern-S1-Pro vision modules read from a config (spec 1.2, 6.2, 9.6), the constants the
 * released code fixes, and the checks the modules make before loading weights. The field names are
 * the checkpoint's own JSON names (DESIGN.md convention 4); {@link ProVisionConfig} from
 * `parseProVisionConfig` / `parseConfig(...).vision_config` satisfies them.
 *
 * @module
 */
import { ConfigError } from '../../errors.js';
import type { ProVisionConfig } from '../../io/configs/vision.js';
import { activation } from '../../nn/activation.js';

export { PRO_VISION_LN_EPS, PRO_VISION_ROPE_THETA } from './constants.js';

/**
 * Check the config fields the Pro tower relies on, throwing a ConfigError naming `op` and the
 * field. `parseProVisionConfig` already checks most of these; hand-built configs get the same
 * messages before anything is loaded.
 */
export function checkProVisionConfig(op: string, cfg: ProVisionConfig): void {
  const ints = [
    ['depth', cfg.depth, 0], ['hidden_size', cfg.hidden_size, 1], ['intermediate_size', cfg.intermediate_size, 1],
    ['num_heads', cfg.num_heads, 1], ['in_channels', cfg.in_channels, 1], ['patch_size', cfg.patch_size, 1],
    ['spatial_merge_size', cfg.spatial_merge_size, 1], ['temporal_patch_size', cfg.temporal_patch_size, 1],
    ['out_hidden_size', cfg.out_hidden_size, 1], ['num_position_embeddings', cfg.num_position_embeddings, 1],
  ] as const;
  for (const [k, v, min] of ints) {
    if (!Number.isSafeInteger(v) || v < min) throw new ConfigError(`${op}: '${k}' must be an integer >= ${min}, got ${v}`);
  }
  const C = cfg.hidden_size;
  if (C % cfg.num_heads !== 0) throw new ConfigError(`${op}: 'hidden_size' ${C} is not a multiple of 'num_heads' ${cfg.num_heads}`);
  if ((C / cfg.num_heads) % 4 !== 0) {
    throw new ConfigError(`${op}: head dim ${C / cfg.num_heads} (hidden_size / num_heads) must be a multiple of 4 for the 2-D RoPE`);
  }
  const n = Math.round(Math.sqrt(cfg.num_position_embeddings));
  if (n * n !== cfg.num_position_embeddings) {
    throw new ConfigError(`${op}: 'num_position_embeddings' must be a square (an N×N grid), got ${cfg.num_position_embeddings}`);
  }
  activation(cfg.hidden_act); // ConfigError for an unknown name
}

/** Width K of one flattened patch, `in_channels · temporal_patch_size · patch_size²` (1536). */
export function patchFeatures(cfg: ProVisionConfig): number {
  return cfg.in_channels * cfg.temporal_patch_size * cfg.patch_size * cfg.patch_size;
}

/** Side N of the learned position grid, `√num_position_embeddings` (48). */
export function positionGridSide(cfg: ProVisionConfig): number {
  return Math.round(Math.sqrt(cfg.num_position_embeddings));
}

/**
 * What the InternViT modules read from a config (spec 9.6), and the checks they make before
 * loading weights. The field names are the checkpoint's own JSON names (DESIGN.md convention 4);
 * {@link InternVitConfig} and {@link InternS1Config} from `parseConfig` satisfy these types.
 *
 * @module
 */
import { ConfigError } from '../../errors.js';
import type { InternS1Config } from '../../io/configs/model.js';
import type { InternVitConfig } from '../../io/configs/vision.js';

/**
 * The top-level keys the vision tower reads (spec 1.2, 6.1.3, 9.6): the ViT config, the
 * pixel-shuffle ratio, the projector activation and which ViT layer feeds the projector.
 * An {@link InternS1Config} from `parseConfig` is one.
 */
export type InternS1VisionConfig = Pick<InternS1Config,
  'vision_config' | 'downsample_ratio' | 'projector_hidden_act' | 'vision_feature_layer' | 'vision_feature_select_strategy'>;

/** The projector's only config key (spec 6.1.3): its activation, `projector_hidden_act`. */
export type InternS1ProjectorConfig = Pick<InternS1Config, 'projector_hidden_act'>;

const NORM_TYPES = ['rms_norm', 'layer_norm'];

/**
 * Check the InternViT config fields a module relies on, throwing a ConfigError naming `op` and the
 * field. `parseInternVitConfig` already checks these; hand-built configs get the same messages.
 */
export function checkVitConfig(op: string, cfg: InternVitConfig): void {
  if (!NORM_TYPES.includes(cfg.norm_type)) {
    throw new ConfigError(`${op}: unsupported norm_type '${String(cfg.norm_type)}' (known: rms_norm, layer_norm)`);
  }
  const C = cfg.hidden_size;
  const H = cfg.num_attention_heads;
  for (const [k, v] of [['hidden_size', C], ['num_attention_heads', H], ['intermediate_size', cfg.intermediate_size], ['num_channels', cfg.num_channels]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`${op}: '${k}' must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(cfg.num_hidden_layers) || cfg.num_hidden_layers < 0) {
    throw new ConfigError(`${op}: 'num_hidden_layers' must be a non-negative integer, got ${cfg.num_hidden_layers}`);
  }
  if (C % H !== 0) throw new ConfigError(`${op}: 'hidden_size' ${C} is not a multiple of 'num_attention_heads' ${H}`);
  if (!(cfg.layer_norm_eps >= 0) || !Number.isFinite(cfg.layer_norm_eps)) {
    throw new ConfigError(`${op}: 'layer_norm_eps' must be a finite non-negative number, got ${cfg.layer_norm_eps}`);
  }
  const [ih, iw] = cfg.image_size;
  const [ph, pw] = cfg.patch_size;
  if (![ih, iw, ph, pw].every((v) => Number.isInteger(v) && v > 0) || ih % ph !== 0 || iw % pw !== 0) {
    throw new ConfigError(`${op}: 'image_size' [${cfg.image_size}] must be a positive multiple of 'patch_size' [${cfg.patch_size}]`);
  }
}

/**
 * Pixel-shuffle factor `s = 1 / downsample_ratio` (2 for the released 0.5), a whole number ≥ 1,
 * or a ConfigError naming `op`.
 */
export function shuffleFactor(op: string, ratio: number): number {
  const s = 1 / ratio;
  const r = Math.round(s);
  if (!(ratio > 0 && ratio <= 1) || Math.abs(s - r) > 1e-9) {
    throw new ConfigError(`${op}: 'downsample_ratio' must be 1/s for a whole s >= 1 (0.5 in the releases), got ${ratio}`);
  }
  return r;
}

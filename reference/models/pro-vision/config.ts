/**
 * The config fields the reference Pro vision tower reads (spec 9.6), as a structural type: the
 * fast path's parsed `ProVisionConfig` satisfies it, so both sides are built from the same config
 * object without the reference importing anything from `src/`.
 *
 * @module
 */

/** Intern-S1-Pro `vision_config` (spec 1.2, 6.2, 9.6). */
export interface ProVisionConfig {
  /** Number of blocks (24). */
  readonly depth: number;
  /** Width C (1024). */
  readonly hidden_size: number;
  /** `gelu_pytorch_tanh`. */
  readonly hidden_act: string;
  /** MLP width I (4096). */
  readonly intermediate_size: number;
  /** Heads H (16, head dim 64). */
  readonly num_heads: number;
  /** Cin (3). */
  readonly in_channels: number;
  /** p (16). */
  readonly patch_size: number;
  /** m (2). */
  readonly spatial_merge_size: number;
  /** Tp (2). */
  readonly temporal_patch_size: number;
  /** D, the text width (4096). */
  readonly out_hidden_size: number;
  /** N² (2304 = 48²). */
  readonly num_position_embeddings: number;
}

/** Epsilon of every LayerNorm of the tower (fixed in the code, spec 1.2). */
export const PRO_VISION_LN_EPS = 1e-6;

/** θ of the 2-D vision RoPE (fixed in the code, spec 6.2.2). */
export const PRO_VISION_ROPE_THETA = 10000;

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

/** `[name].shape` must equal `want`. */
export function checkShape(op: string, name: string, shape: readonly number[], want: readonly number[]): void {
  if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
    throw new Error(`${op}: '${name}' has shape [${shape.join(', ')}], expected [${want.join(', ')}]`);
  }
}

/** Join a prefix and a name with a dot. */
export function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

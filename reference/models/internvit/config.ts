/**
 * The config fields the reference InternViT reads (spec 9.6), as structural types: the fast path's
 * parsed `InternVitConfig` / `InternS1Config` objects satisfy them, so both sides are built from
 * the same config object without the reference importing anything from `src/`.
 *
 * @module
 */

/** InternViT `vision_config` (spec 1.2, 6.1.2, 9.6). */
export interface InternVitConfig {
  /** Width C. */
  readonly hidden_size: number;
  /** Number of encoder layers L. */
  readonly num_hidden_layers: number;
  /** Heads H (d = C / H). */
  readonly num_attention_heads: number;
  /** MLP width I. */
  readonly intermediate_size: number;
  /** `gelu` (erf) in both releases. */
  readonly hidden_act: string;
  /** `rms_norm` (Intern-S1) or `layer_norm` (Intern-S1-mini). */
  readonly norm_type: string;
  /** eps of every norm of the encoder (and of the q/k norms). */
  readonly layer_norm_eps: number;
  /** RMSNorm of q and k over the full width (Intern-S1). */
  readonly use_qk_norm: boolean;
  /** Biases on q/k/v (Intern-S1-mini). */
  readonly attention_bias: boolean;
  /** `[h, w]`, 448×448. */
  readonly image_size: readonly [number, number];
  /** `[h, w]`, 14×14. */
  readonly patch_size: readonly [number, number];
  /** Input channels Cin (3). */
  readonly num_channels: number;
  /** True in both releases: no final LayerNorm. */
  readonly use_mean_pooling: boolean;
  /** Whether learned absolute position embeddings (CLS + grid) are added. */
  readonly use_absolute_position_embeddings: boolean;
}

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

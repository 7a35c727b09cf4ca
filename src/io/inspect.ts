/**
 * A checkpoint summary for `intern-s1 inspect`: config, parameters per component, dtypes, bytes,
 * tensors grouped by name pattern, and a check of the tensors against the config's layout.
 * Reads headers only.
 *
 * @module
 */
import { type ModelConfig, configVariant, fopeEnabled, textConfigOf } from './config.js';
import { type Checkpoint } from './checkpoint.js';
import { DTYPE_BYTES } from './dtype.js';
import { checkpointLayout, fopeNumFrequencies } from './layout.js';
import { canonicalNames } from './names.js';

/** The components parameters are counted in. */
export type ParameterComponent = 'text' | 'experts' | 'vision' | 'projector' | 'time_series' | 'other';

/** One group of tensors whose names differ only in their numbers (`layers.*.mlp.gate.weight`). */
export interface TensorGroup {
  /** The stored name with each layer / expert number replaced by `*`. */
  readonly pattern: string;
  /** Number of stored tensors in the group. */
  readonly count: number;
  /** Distinct shapes, as `[a, b]` strings. */
  readonly shapes: string[];
  /** Distinct storage dtypes (`BF16`, `F8_E4M3`, ...). */
  readonly dtypes: string[];
  /** Elements summed over the group's tensors (0 for a `*_scale_inv` group). */
  readonly parameters: number;
  /** Stored bytes summed over the group's tensors. */
  readonly bytes: number;
}

/** What {@link inspectCheckpoint} returns (also the `--json` output). */
export interface CheckpointReport {
  /** The file or folder inspected. */
  readonly path: string;
  /** Number of safetensors files (shards). */
  readonly files: number;
  /** A summary of config.json (variant, sizes, MoE, vision, time series), or null when there is none. */
  readonly config: Record<string, unknown> | null;
  /** Parameters per component and in total (quantisation scales excluded). */
  readonly parameters: Record<ParameterComponent | 'total', number>;
  /** FP8 block scales (`*_scale_inv`): count and bytes. */
  readonly scales: {
    /** Number of `*_scale_inv` tensors. */
    readonly tensors: number;
    /** Their stored bytes. */
    readonly bytes: number;
  };
  /** Per storage dtype: how many tensors and how many stored bytes. */
  readonly dtypes: Record<string, {
    /** Number of tensors stored in this dtype. */
    tensors: number;
    /** Their stored bytes. */
    bytes: number;
  }>;
  /** Stored bytes of all tensor data (headers excluded). */
  readonly totalBytes: number;
  /** Number of stored tensors, scales included. */
  readonly tensors: number;
  /** Tensors grouped by name pattern, in storage order of first appearance. */
  readonly groups: TensorGroup[];
  /** Tensors the config implies but the checkpoint lacks, and the reverse (null without a config). */
  readonly layout: {
    /** Canonical names the config requires that the checkpoint lacks (optional buffers excluded). */
    readonly missing: string[];
    /** Names in the checkpoint (after name mapping) that the config does not imply (`*_scale_inv` excluded). */
    readonly unexpected: string[];
    /**
     * Tensors present under the name the config implies but with another shape, as
     * `name: checkpoint [a, b], config.json implies [c, d]` (the config contradicts the weights).
     */
    readonly mismatched: string[];
  } | null;
}

/** Which component a canonical name belongs to. */
export function componentOf(name: string): ParameterComponent {
  if (/\.mlp\.experts\./.test(name)) return 'experts';
  if (name.startsWith('model.time_series.')) return 'time_series';
  if (name.startsWith('model.multi_modal_projector.') || name.startsWith('model.visual.merger.')) return 'projector';
  if (name.startsWith('model.vision_tower.') || name.startsWith('model.visual.')) return 'vision';
  if (name.startsWith('model.') || name === 'lm_head.weight') return 'text';
  return 'other';
}

/** Summary numbers of a config for the report. */
export function configSummary(cfg: ModelConfig): Record<string, unknown> {
  const t = textConfigOf(cfg);
  const moe = t.model_type === 'qwen3' ? null : { experts: t.num_experts, top_k: t.num_experts_per_tok, groups: t.model_type === 'interns1_pro_text' ? t.router_n_groups : null, expert_ffn: t.moe_intermediate_size };
  const out: Record<string, unknown> = {
    variant: configVariant(cfg), model_type: cfg.model_type, text_model_type: t.model_type, vocab_size: t.vocab_size,
    hidden_size: t.hidden_size, layers: t.num_hidden_layers, heads: t.num_attention_heads, kv_heads: t.num_key_value_heads,
    head_dim: t.head_dim, moe, rope_theta: t.rope_theta, fope_frequencies: fopeEnabled(t) ? fopeNumFrequencies(t) : null,
  };
  if (cfg.model_type === 'interns1_pro') {
    out.vision = { kind: 'pro', depth: cfg.vision_config.depth, hidden_size: cfg.vision_config.hidden_size, patch_size: cfg.vision_config.patch_size };
  } else if ('vision_config' in cfg) {
    out.vision = { kind: 'internvit', layers: cfg.vision_config.num_hidden_layers, hidden_size: cfg.vision_config.hidden_size, norm_type: cfg.vision_config.norm_type, qk_norm: cfg.vision_config.use_qk_norm };
  }
  if ('ts_config' in cfg) out.time_series = cfg.ts_config ? { d_model: cfg.ts_config.d_model, layers: cfg.ts_config.encoder_layers } : null;
  if ('quantization_config' in cfg && cfg.quantization_config) out.fp8_block = cfg.quantization_config.weight_block_size;
  return out;
}

/** Layer and expert numbers replaced by `*`. */
function patternOf(name: string): string {
  return name.replace(/\.\d+(?=\.|$)/g, '.*');
}

/**
 * Summarise a checkpoint from its headers. `onFile` reports progress while shard headers load.
 *
 * @example
 * ```ts
 * import { initTiny, openCheckpoint, inspectCheckpoint } from 'intern-s1-ts';
 * initTiny('/tmp/tiny-pro', { variant: 'pro', force: true });
 * const r = inspectCheckpoint(openCheckpoint('/tmp/tiny-pro'));
 * console.log(r.parameters.total, r.layout?.missing.length); // ..., 0
 * ```
 */
export function inspectCheckpoint(ckpt: Checkpoint, onFile?: (done: number, total: number) => void): CheckpointReport {
  ckpt.store.loadAll((d, t) => onFile?.(d, t));
  const params: Record<ParameterComponent | 'total', number> = { text: 0, experts: 0, vision: 0, projector: 0, time_series: 0, other: 0, total: 0 };
  const dtypes: Record<string, { tensors: number; bytes: number }> = {};
  const groups = new Map<string, { count: number; shapes: Set<string>; dtypes: Set<string>; parameters: number; bytes: number }>();
  const scales = { tensors: 0, bytes: 0 };
  let totalBytes = 0;
  const stored = ckpt.store.names();
  for (const s of stored) {
    const info = ckpt.store.info(s);
    const n = info.shape.reduce((a, b) => a * b, 1);
    const bytes = n * DTYPE_BYTES[info.dtype];
    totalBytes += bytes;
    (dtypes[info.dtype] ??= { tensors: 0, bytes: 0 }).tensors++;
    dtypes[info.dtype].bytes += bytes;
    const g = groups.get(patternOf(s)) ?? { count: 0, shapes: new Set(), dtypes: new Set(), parameters: 0, bytes: 0 };
    groups.set(patternOf(s), g);
    g.count++; g.shapes.add(`[${info.shape.join(', ')}]`); g.dtypes.add(info.dtype); g.bytes += bytes;
    if (s.endsWith('_scale_inv')) { scales.tensors++; scales.bytes += bytes; continue; }
    g.parameters += n;
    const canon = canonicalNames(s, () => info)[0] ?? s;
    params[componentOf(canon)] += n;
    params.total += n;
  }
  let layout: CheckpointReport['layout'] = null;
  if (ckpt.config) {
    const have = new Set(ckpt.weights.names());
    const want = checkpointLayout(ckpt.config);
    const known = new Set(want.map((e) => e.name));
    const mismatched: string[] = [];
    for (const e of want) {
      if (!have.has(e.name)) continue;
      const got = ckpt.weights.info(e.name).shape;
      if (got.length !== e.shape.length || got.some((d, i) => d !== e.shape[i])) {
        mismatched.push(`${e.name}: checkpoint [${got.join(', ')}], config.json implies [${e.shape.join(', ')}]`);
      }
    }
    layout = {
      missing: want.filter((e) => !e.optional && !have.has(e.name)).map((e) => e.name),
      unexpected: [...have].filter((n) => !known.has(n) && !n.endsWith('_scale_inv')),
      mismatched,
    };
  }
  return {
    path: ckpt.path, files: ckpt.files.length, config: ckpt.config ? configSummary(ckpt.config) : null, parameters: params, scales, dtypes,
    totalBytes, tensors: stored.length, layout,
    groups: [...groups].map(([pattern, g]) => ({ pattern, count: g.count, shapes: [...g.shapes], dtypes: [...g.dtypes], parameters: g.parameters, bytes: g.bytes })),
  };
}

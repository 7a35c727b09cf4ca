/**
 * Top-level multimodal configs (spec 1, 8, 9.4, 9.6) and {@link parseConfig}, which recognises
 * the variant from `model_type`.
 *
 * @module
 */
import { ConfigError } from '../../errors.js';
import { type Activation, Fields, freeze } from './fields.js';
import { type InternS1ProTextConfig, type Qwen3MoeTextConfig, type Qwen3TextConfig, type TextConfig, parseTextConfig } from './text.js';
import { type InternVitConfig, type ProVisionConfig, parseInternVitConfig, parseProVisionConfig } from './vision.js';
import { type TimeSeriesConfig, parseTimeSeriesConfig } from './time-series.js';

/** `quantization_config` of the FP8 releases (spec 9.4). */
export interface QuantizationConfig {
  /** Only `fp8` is supported. */
  readonly quant_method: 'fp8';
  /** Only `e4m3` (float8_e4m3fn). */
  readonly fmt: 'e4m3';
  /** Scale block `[rows, cols]`; Pro [128, 128]. Default [128, 128]. */
  readonly weight_block_size: readonly [number, number];
  /** `dynamic` activation quantisation in GPU engines (ignored here: weights are dequantised). */
  readonly activation_scheme: string;
  /** `ue8m0` (power-of-two scales) or null. */
  readonly scale_fmt: string | null;
  /** Module name prefixes kept in BF16 (norms, router gates, embeddings, vision, lm_head). */
  readonly modules_to_not_convert: readonly string[];
}

/** Intern-S1 / Intern-S1-mini (HF `InternS1ForConditionalGeneration`). */
export interface InternS1Config {
  /** `intern_s1` (transformers) or `interns1` (hub remote code [I]). */
  readonly model_type: 'intern_s1' | 'interns1';
  /** Qwen3-MoE (S1) or Qwen3 dense (mini); `llm_config` is accepted as an alias of `text_config`. */
  readonly text_config: Qwen3TextConfig | Qwen3MoeTextConfig;
  /** InternViT. */
  readonly vision_config: InternVitConfig;
  /** A time-series tower (only in forks, spec 1), or null. */
  readonly ts_config: TimeSeriesConfig | null;
  /** `<IMG_CONTEXT>` id, replaced by image features (spec 8.1). Required (152957 per XT, 151667 HF default [U]). */
  readonly image_token_id: number;
  /** Tokens per 448² tile = (grid · downsample_ratio)²; default 256. */
  readonly image_seq_length: number;
  /** Pixel-shuffle ratio r; default 0.5. */
  readonly downsample_ratio: number;
  /** Projector activation; default `gelu`. */
  readonly projector_hidden_act: Activation;
  /** Which ViT layer feeds the projector (negative counts from the end); default -1. */
  readonly vision_feature_layer: number;
  /** `default` drops the CLS token, `full` keeps it; default `default`. */
  readonly vision_feature_select_strategy: 'default' | 'full';
  /** Whether lm_head shares embed_tokens (top-level or text key); default false. */
  readonly tie_word_embeddings: boolean;
  /** FP8 quantisation, or null for BF16 releases. */
  readonly quantization_config: QuantizationConfig | null;
}

/** The parsed `config.json` of Intern-S1-Pro (HF `InternS1ProForConditionalGeneration`). */
export interface InternS1ProConfig {
  /** Always `interns1_pro`. */
  readonly model_type: 'interns1_pro';
  /** The Pro text decoder (grouped routing, FoPE). */
  readonly text_config: InternS1ProTextConfig;
  /** The Qwen3-VL-style vision tower. */
  readonly vision_config: ProVisionConfig;
  /** The time-series tower, or null (the Feb-2026 hub config has none, spec 7.6). */
  readonly ts_config: TimeSeriesConfig | null;
  /** `<|image_pad|>` id (151655). Required. */
  readonly image_token_id: number;
  /** `<|video_pad|>` id; default 151656. */
  readonly video_token_id: number;
  /** `<|vision_start|>` id; default 151652. */
  readonly vision_start_token_id: number;
  /** `<|vision_end|>` id; default 151653. */
  readonly vision_end_token_id: number;
  /** `<TS_CONTEXT>` id, replaced by time-series features; default 151685 [I spec 8.2]. */
  readonly ts_token_id: number;
  /** `<|ts|>` id; default 151683 [I]. */
  readonly ts_start_token_id: number;
  /** `<|/ts|>` id; default 151684 [I]. */
  readonly ts_end_token_id: number;
  /** Whether lm_head shares embed_tokens; default false. */
  readonly tie_word_embeddings: boolean;
  /** FP8 quantisation (the Pro release is FP8-only), or null. */
  readonly quantization_config: QuantizationConfig | null;
}

/** Any config {@link parseConfig} returns: a multimodal model or a bare text decoder. */
export type ModelConfig = InternS1Config | InternS1ProConfig | TextConfig;

/** Which member of the family a config describes. */
export type Variant = 's1' | 'mini' | 'pro' | 'text';

/**
 * Parse the `quantization_config` of a top-level config object (any variant, text-only
 * checkpoints included), or null when there is none.
 *
 * @throws ConfigError for a method other than fp8 / format other than e4m3, or a bad block size.
 */
export function parseQuantizationConfig(json: unknown): QuantizationConfig | null {
  return parseQuant(Fields.of(json, ''));
}

function parseQuant(f: Fields): QuantizationConfig | null {
  const q = f.sub('quantization_config');
  if (!q) return null;
  const mods = q.has('modules_to_not_convert') ? q.json.modules_to_not_convert : [];
  if (!Array.isArray(mods) || mods.some((m) => typeof m !== 'string')) q.fail('modules_to_not_convert', 'must be a list of strings');
  const block = q.intList('weight_block_size', [128, 128], 1);
  if (block.length !== 2) q.fail('weight_block_size', `must be [rows, cols], got [${block}]`);
  return {
    quant_method: q.oneOf('quant_method', ['fp8'] as const), fmt: q.oneOf('fmt', ['e4m3'] as const, 'e4m3'),
    weight_block_size: [block[0], block[1]], activation_scheme: q.str('activation_scheme', 'dynamic'),
    scale_fmt: q.has('scale_fmt') ? q.str('scale_fmt') : null, modules_to_not_convert: (mods as string[]).slice(),
  };
}

/** The text sub-config with its model_type filled in when missing (inferred from the variant). */
function textJson(f: Fields, key: string, fallback: string): unknown {
  const t = Fields.of(f.json[key], key);
  return t.has('model_type') ? t.json : { ...t.json, model_type: fallback };
}

function checkIds(f: Fields, vocab: number, ids: Record<string, number>): void {
  for (const [k, id] of Object.entries(ids)) {
    if (id >= vocab) f.fail(k, `(${id}) must be < text_config.vocab_size (${vocab})`);
  }
}

function parseS1(f: Fields, model_type: 'intern_s1' | 'interns1'): InternS1Config {
  const key = f.alias('text_config', 'llm_config') ?? 'text_config';
  const tf = Fields.of(f.json[key] ?? f.fail('text_config', 'missing required key'), key);
  const topTie = f.has('tie_word_embeddings') ? f.bool('tie_word_embeddings') : undefined;
  const text = parseTextConfig(textJson(f, key, tf.has('num_experts') ? 'qwen3_moe' : 'qwen3'), key, topTie);
  if (text.model_type === 'interns1_pro_text') f.fail(`${key}.model_type`, `'interns1_pro_text' belongs to model_type 'interns1_pro'`);
  const vision = parseInternVitConfig(f.sub('vision_config')?.json ?? f.fail('vision_config', 'missing required key'));
  const ratio = f.num('downsample_ratio', 0.5);
  const grid = vision.image_size.map((s, i) => (s / vision.patch_size[i]) * ratio);
  if (!grid.every(Number.isInteger)) f.fail('downsample_ratio', `(${ratio}) times the patch grid [${vision.image_size.map((s, i) => s / vision.patch_size[i])}] must be whole`);
  const image_seq_length = f.int('image_seq_length', grid[0] * grid[1]);
  if (image_seq_length !== grid[0] * grid[1]) f.fail('image_seq_length', `(${image_seq_length}) must equal the tokens per tile ${grid[0]}x${grid[1]} = ${grid[0] * grid[1]}`);
  const L = vision.num_hidden_layers;
  const vfl = f.int('vision_feature_layer', -1, -L);
  if (vfl >= L) f.fail('vision_feature_layer', `must be in [${-L}, ${L - 1}], got ${vfl}`);
  const image_token_id = f.int('image_token_id', undefined, 0);
  checkIds(f, text.vocab_size, { image_token_id });
  const ts = f.sub('ts_config');
  return freeze({
    model_type, text_config: text, vision_config: vision, ts_config: ts ? parseTimeSeriesConfig(ts.json, text.hidden_size) : null,
    image_token_id, image_seq_length, downsample_ratio: ratio, projector_hidden_act: f.act('projector_hidden_act', 'gelu'),
    vision_feature_layer: vfl, vision_feature_select_strategy: f.oneOf('vision_feature_select_strategy', ['default', 'full'] as const, 'default'),
    tie_word_embeddings: text.tie_word_embeddings, quantization_config: parseQuant(f),
  });
}

function parsePro(f: Fields): InternS1ProConfig {
  if (!f.has('text_config')) f.fail('text_config', 'missing required key');
  const topTie = f.has('tie_word_embeddings') ? f.bool('tie_word_embeddings') : undefined;
  const text = parseTextConfig(textJson(f, 'text_config', 'interns1_pro_text'), 'text_config', topTie);
  if (text.model_type !== 'interns1_pro_text') f.fail('text_config.model_type', `must be 'interns1_pro_text' for model_type 'interns1_pro', got '${text.model_type}'`);
  const vision = parseProVisionConfig(f.sub('vision_config')?.json ?? f.fail('vision_config', 'missing required key'));
  if (vision.out_hidden_size !== text.hidden_size) {
    f.fail('vision_config.out_hidden_size', `(${vision.out_hidden_size}) must equal text_config.hidden_size (${text.hidden_size})`);
  }
  const ts = f.sub('ts_config');
  const ids = {
    image_token_id: f.int('image_token_id', undefined, 0), video_token_id: f.int('video_token_id', 151656, 0),
    vision_start_token_id: f.int('vision_start_token_id', 151652, 0), vision_end_token_id: f.int('vision_end_token_id', 151653, 0),
  };
  const tsIds = {
    ts_token_id: f.int('ts_token_id', 151685, 0), ts_start_token_id: f.int('ts_start_token_id', 151683, 0),
    ts_end_token_id: f.int('ts_end_token_id', 151684, 0),
  };
  checkIds(f, text.vocab_size, ts ? { ...ids, ...tsIds } : ids);
  return freeze({
    model_type: 'interns1_pro', text_config: text, vision_config: vision,
    ts_config: ts ? parseTimeSeriesConfig(ts.json, text.hidden_size) : null, ...ids, ...tsIds,
    tie_word_embeddings: text.tie_word_embeddings, quantization_config: parseQuant(f),
  });
}

const TOP_TYPES = ['intern_s1', 'interns1', 'interns1_pro', 'qwen3', 'qwen3_moe', 'interns1_pro_text'] as const;

/**
 * Parse and validate a checkpoint's `config.json`, recognising the variant from `model_type`:
 * `intern_s1` / `interns1` (Intern-S1, or -mini when the text model is dense `qwen3`),
 * `interns1_pro`, or a bare text decoder (`qwen3`, `qwen3_moe`, `interns1_pro_text`).
 * The result is deeply frozen and keyed by the JSON names (DESIGN.md convention 4).
 *
 * @param json - the parsed config.json.
 * @throws ConfigError naming the key for a missing or inconsistent value.
 * @example
 * ```ts
 * import { parseConfig, configVariant, tinyConfigJson } from 'intern-s1-ts';
 * // a real one: JSON.parse(readFileSync('Intern-S1-Pro/config.json', 'utf8'))
 * const cfg = parseConfig(tinyConfigJson('pro'));
 * console.log(configVariant(cfg)); // => 'pro'
 * ```
 */
export function parseConfig(json: unknown): ModelConfig {
  const f = Fields.of(json, '');
  if (!f.has('model_type')) f.fail('model_type', 'missing required key');
  const mt = f.oneOf('model_type', TOP_TYPES);
  if (mt === 'intern_s1' || mt === 'interns1') return parseS1(f, mt);
  if (mt === 'interns1_pro') return parsePro(f);
  return parseTextConfig(json, '');
}

/** `'s1'`, `'mini'` (dense text), `'pro'`, or `'text'` for a bare text decoder config. */
export function configVariant(cfg: ModelConfig): Variant {
  if (cfg.model_type === 'interns1_pro') return 'pro';
  if (cfg.model_type === 'intern_s1' || cfg.model_type === 'interns1') return cfg.text_config.model_type === 'qwen3' ? 'mini' : 's1';
  return 'text';
}

/** The text decoder config of any {@link ModelConfig}. */
export function textConfigOf(cfg: ModelConfig): TextConfig {
  return 'text_config' in cfg ? cfg.text_config : cfg;
}

/** Throw a ConfigError unless `cfg` is the variant a caller needs. */
export function expectVariant(cfg: ModelConfig, ...want: Variant[]): void {
  const v = configVariant(cfg);
  if (!want.includes(v)) throw new ConfigError(`config: this needs a ${want.join(' or ')} config, got ${v} (model_type '${cfg.model_type}')`);
}

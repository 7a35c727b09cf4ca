/**
 * Text-decoder configs (spec 1.1, 3, 5.3, 9.6): Qwen3 dense (Intern-S1-mini), Qwen3-MoE
 * (Intern-S1) and Intern-S1-Pro text (grouped routing, FoPE). Keys are the checkpoint's own
 * `config.json` names. Keys that set the model's numbers are required; the others default to the
 * Hugging Face class defaults, noted per field.
 *
 * @module
 */
import { ConfigError } from '../../errors.js';
import { type Activation, Fields, divisible, freeze } from './fields.js';

/**
 * `rope_scaling` (or transformers v5 `rope_parameters`), normalised. Only the `"default"` rope
 * type exists in the Intern-S1 family; FoPE (spec 5.3) is on when any FoPE key is non-null.
 */
export interface RopeScaling {
  /** `rope_type` (legacy spelling `type`); only `"default"` is supported. */
  readonly rope_type: 'default';
  /** FoPE: gain of the Xavier-normal noise added to the identity coefficients (Pro: 0.5). */
  readonly fope_init_factor: number | null;
  /** FoPE: one coefficient matrix per KV head (Pro: true). */
  readonly fope_sep_head: boolean | null;
  /** FoPE: number of retained frequencies; null = those above 2π/max_position_embeddings (Pro: null → 45). */
  readonly num_inv_freq: number | null;
}

/** Keys every text decoder reads (spec 9.6). */
export interface TextConfigBase {
  /** `qwen3` (dense), `qwen3_moe`, or `interns1_pro_text`. */
  readonly model_type: 'qwen3' | 'qwen3_moe' | 'interns1_pro_text';
  /** Vocabulary size V: rows of `embed_tokens` and `lm_head` (S1/mini 153216, Pro 155008). Required. */
  readonly vocab_size: number;
  /** Model width D. Required. */
  readonly hidden_size: number;
  /** Number of decoder layers. Required. */
  readonly num_hidden_layers: number;
  /** Query heads H. Required. */
  readonly num_attention_heads: number;
  /** Key/value heads Hkv (H must be a multiple). Required. */
  readonly num_key_value_heads: number;
  /** Head dimension d (128 in the family; H·d need not equal D). Required, even (RoPE pairs lanes). */
  readonly head_dim: number;
  /** FFN activation; default `silu`. */
  readonly hidden_act: Activation;
  /** Training context length L; FoPE keeps the frequencies above 2π/L. Required. */
  readonly max_position_embeddings: number;
  /** RMSNorm epsilon; default 1e-6. */
  readonly rms_norm_eps: number;
  /** RoPE base θ (S1 1e6 [I], Pro 5e6). Required (from `rope_theta` or `rope_parameters.rope_theta`). */
  readonly rope_theta: number;
  /** RoPE / FoPE parameters, or null when the config has none. */
  readonly rope_scaling: RopeScaling | null;
  /** Biases on q/k/v/o projections; default false. */
  readonly attention_bias: boolean;
  /** Whether `lm_head` shares `embed_tokens`; default false (untied in the whole family). */
  readonly tie_word_embeddings: boolean;
  /** Dense FFN width (used by dense layers only; S1/Pro have none). Default 0 = absent. */
  readonly intermediate_size: number;
  /** Beginning-of-text id, or null. */
  readonly bos_token_id: number | null;
  /** End-of-text id(s), or null. */
  readonly eos_token_id: number | readonly number[] | null;
}

/** Qwen3 dense decoder (Intern-S1-mini, spec 3.3). */
export interface Qwen3TextConfig extends TextConfigBase {
  readonly model_type: 'qwen3';
}

/** Mixture-of-experts keys (spec 3.4, 4). */
export interface MoeKeys {
  /** Expert FFN width (1536 in S1/Pro). Required. */
  readonly moe_intermediate_size: number;
  /** Routed experts per layer E. Required. */
  readonly num_experts: number;
  /** Experts per token k (1 ≤ k ≤ E). Required. */
  readonly num_experts_per_tok: number;
  /** Renormalise the k routing weights to sum 1; default false (HF), true in S1/Pro. */
  readonly norm_topk_prob: boolean;
  /** Every `decoder_sparse_step`-th layer is MoE (layer l when (l+1) % step = 0); default 1. */
  readonly decoder_sparse_step: number;
  /** Layers forced dense; default []. */
  readonly mlp_only_layers: readonly number[];
  /** Load-balancing loss weight (training only); default 0.001. */
  readonly router_aux_loss_coef: number;
}

/** The text config of a Qwen3-MoE decoder (Intern-S1). */
export interface Qwen3MoeTextConfig extends TextConfigBase, MoeKeys {
  readonly model_type: 'qwen3_moe';
}

/** Intern-S1-Pro decoder: Qwen3-MoE with grouped routing and FoPE (spec 4.2, 5.3). */
export interface InternS1ProTextConfig extends TextConfigBase, MoeKeys {
  readonly model_type: 'interns1_pro_text';
  /** Router groups G (Pro: 8): E and k must be multiples; null = plain top-k. Default null. */
  readonly router_n_groups: number | null;
}

/** Any text decoder config. */
export type TextConfig = Qwen3TextConfig | Qwen3MoeTextConfig | InternS1ProTextConfig;

/** Whether FoPE is on (spec 5.3: any FoPE key non-null). */
export function fopeEnabled(cfg: TextConfigBase): boolean {
  const r = cfg.rope_scaling;
  return r !== null && (r.fope_init_factor !== null || r.fope_sep_head !== null || r.num_inv_freq !== null);
}

/** Whether layer `l` has an MoE FFN (false for dense models). */
export function isMoeLayer(cfg: TextConfig, l: number): boolean {
  if (cfg.model_type === 'qwen3') return false;
  return !cfg.mlp_only_layers.includes(l) && (l + 1) % cfg.decoder_sparse_step === 0;
}

function parseRope(f: Fields, headDim: number): { theta: number; scaling: RopeScaling | null } {
  const r = f.sub('rope_scaling') ?? f.sub('rope_parameters');
  const theta = f.has('rope_theta') ? f.num('rope_theta') : r?.has('rope_theta') ? r.num('rope_theta') : f.num('rope_theta');
  if (r?.has('rope_theta') && f.has('rope_theta') && r.num('rope_theta') !== theta) {
    throw new ConfigError(`config ${f.key('rope_theta')} (${theta}) disagrees with ${r.key('rope_theta')} (${r.num('rope_theta')})`);
  }
  if (!r) return { theta, scaling: null };
  const typeKey = r.has('rope_type') ? 'rope_type' : 'type';
  r.oneOf(typeKey, ['default'] as const, 'default');
  const numInv = r.intOrNull('num_inv_freq', null, 1);
  if (numInv !== null && numInv > headDim / 2) r.fail('num_inv_freq', `must be <= head_dim / 2 (${headDim / 2}), got ${numInv}`);
  const scaling: RopeScaling = {
    rope_type: 'default',
    fope_init_factor: r.has('fope_init_factor') ? r.num('fope_init_factor', undefined, false) : null,
    fope_sep_head: r.has('fope_sep_head') ? r.bool('fope_sep_head') : null,
    num_inv_freq: numInv,
  };
  return { theta, scaling };
}

function parseBase(f: Fields, model_type: TextConfigBase['model_type'], topTie?: boolean): TextConfigBase {
  const H = f.int('num_attention_heads');
  const Hkv = f.int('num_key_value_heads');
  divisible(f, 'num_attention_heads', H, 'num_key_value_heads', Hkv, 'a multiple of');
  const head_dim = f.int('head_dim');
  if (head_dim % 2 !== 0) f.fail('head_dim', `must be even (rotary embeddings pair lanes i and i + d/2), got ${head_dim}`);
  const vocab_size = f.int('vocab_size');
  const { theta, scaling } = parseRope(f, head_dim);
  const eos = f.json.eos_token_id;
  const ids = [f.intOrNull('bos_token_id'), ...(Array.isArray(eos) ? f.intList('eos_token_id') : [f.intOrNull('eos_token_id')])];
  for (const id of ids) if (id !== null && id >= vocab_size) f.fail('vocab_size', `(${vocab_size}) must exceed the special token id ${id}`);
  return {
    model_type, vocab_size, hidden_size: f.int('hidden_size'), num_hidden_layers: f.int('num_hidden_layers'),
    num_attention_heads: H, num_key_value_heads: Hkv, head_dim, hidden_act: f.act('hidden_act', 'silu'),
    max_position_embeddings: f.int('max_position_embeddings'), rms_norm_eps: f.num('rms_norm_eps', 1e-6),
    rope_theta: theta, rope_scaling: scaling, attention_bias: f.bool('attention_bias', false),
    tie_word_embeddings: f.bool('tie_word_embeddings', topTie ?? false),
    intermediate_size: f.int('intermediate_size', model_type === 'qwen3' ? undefined : 0, model_type === 'qwen3' ? 1 : 0),
    bos_token_id: ids[0], eos_token_id: Array.isArray(eos) ? ids.slice(1) as number[] : ids[1],
  };
}

function parseMoe(f: Fields, L: number, groups: number | null): MoeKeys {
  const E = f.int('num_experts');
  const k = f.int('num_experts_per_tok');
  if (k > E) f.fail('num_experts_per_tok', `(${k}) must be <= num_experts (${E})`);
  if (groups !== null) {
    divisible(f, 'num_experts', E, 'router_n_groups', groups);
    divisible(f, 'num_experts_per_tok', k, 'router_n_groups', groups);
  }
  const mlp_only_layers = f.intList('mlp_only_layers', []);
  const bad = mlp_only_layers.find((l) => l >= L);
  if (bad !== undefined) f.fail('mlp_only_layers', `layer ${bad} is out of range [0, ${L})`);
  return {
    moe_intermediate_size: f.int('moe_intermediate_size'), num_experts: E, num_experts_per_tok: k,
    norm_topk_prob: f.bool('norm_topk_prob', false), decoder_sparse_step: f.int('decoder_sparse_step', 1),
    mlp_only_layers, router_aux_loss_coef: f.num('router_aux_loss_coef', 0.001, false),
  };
}

/**
 * Parse and validate a text-decoder config (a top-level text config, or a `text_config`).
 *
 * @param json - the object from config.json.
 * @param path - its key path for messages (`'text_config'`, or `''` at top level).
 * @param topTie - the top-level `tie_word_embeddings`, used when the text config lacks it.
 * @throws ConfigError naming the key: missing required key, heads not a multiple of KV heads,
 *   odd head_dim, k > E, E or k not divisible by router_n_groups, unknown activation or rope type.
 * @example
 * ```ts
 * import { parseTextConfig } from 'intern-s1-ts';
 * const cfg = parseTextConfig({ model_type: 'qwen3', vocab_size: 64, hidden_size: 16, intermediate_size: 32,
 *   num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 8,
 *   max_position_embeddings: 128, rope_theta: 1e6 });
 * console.log(cfg.hidden_act); // => 'silu'
 * ```
 */
export function parseTextConfig(json: unknown, path = '', topTie?: boolean): TextConfig {
  const f = Fields.of(json, path);
  const model_type = f.oneOf('model_type', ['qwen3', 'qwen3_moe', 'interns1_pro_text'] as const);
  const base = parseBase(f, model_type, topTie);
  if (model_type === 'qwen3') return freeze({ ...base, model_type });
  if (model_type === 'qwen3_moe') return freeze({ ...base, ...parseMoe(f, base.num_hidden_layers, null), model_type });
  const router_n_groups = f.intOrNull('router_n_groups', null, 1);
  return freeze({ ...base, ...parseMoe(f, base.num_hidden_layers, router_n_groups), model_type, router_n_groups });
}

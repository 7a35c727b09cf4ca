/**
 * The text-decoder components of `intern-s1 run` (spec 3, 4, 5):
 *
 * - `text.layer.N`: decoder layer N, `hidden_states [B, T, D]` (+ optional `position_ids [B, T]`,
 *   default 0..T−1) → `hidden_states [B, T, D]`, and for MoE layers `router_logits [B·T, E]`,
 *   `router_indices [B·T, K]` (I32, global ids, grouped routing lists them group by group) and
 *   `router_weights [B·T, K]`. Intern-S1-Pro layers use FoPE (`rotary_emb.cos_coef` / `sin_coef`).
 * - `text`: the whole text stack, `input_ids [B, T]` → `logits [B, T, V]` and `hidden_states
 *   [B, T, D]` after `model.norm` (HF's `last_hidden_state`).
 *
 * Works for Intern-S1, Intern-S1-mini, Intern-S1-Pro and plain Qwen3 / Qwen3-MoE text
 * checkpoints; the weight prefix follows the config (`model.language_model.` or `model.`).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { NDArray } from '../../../reference/ndarray.js';
import * as ref from '../../../reference/models/qwen3/index.js';
import { ValueError } from '../../errors.js';
import { planModelMemory } from '../../io/budget.js';
import { type ComponentContext, type FastOutputs, type ReferenceOutputs, registerComponent } from '../../io/components.js';
import { fopeEnabled, isMoeLayer, type TextConfig } from '../../io/configs/text.js';
import { textConfigOf } from '../../io/configs/model.js';
import { textPrefix } from '../../io/layout.js';
import { Qwen3DecoderLayer, Qwen3TextModel } from '../../models/qwen3/index.js';

/** The text config and weight prefix of the checkpoint, or a ValueError naming the component. */
function textOf(ctx: ComponentContext): { cfg: TextConfig; prefix: string } {
  if (!ctx.config) throw new ValueError(`${ctx.name}: needs the checkpoint's config.json (a bare safetensors file has none)`);
  return { cfg: textConfigOf(ctx.config), prefix: textPrefix(ctx.config) };
}

/** The layer index of `text.layer.N`, checked against num_hidden_layers. */
function layerOf(ctx: ComponentContext): number {
  const { cfg } = textOf(ctx);
  const l = ctx.params.N;
  if (!(l >= 0 && l < cfg.num_hidden_layers)) throw new ValueError(`${ctx.name}: layer ${l} does not exist (num_hidden_layers = ${cfg.num_hidden_layers})`);
  return l;
}

/** Every tensor layer l reads (spec 9.1-9.3). */
function layerNames(cfg: TextConfig, prefix: string, l: number): string[] {
  const L = `${prefix}layers.${l}`;
  const names = [`${L}.input_layernorm.weight`, `${L}.post_attention_layernorm.weight`, `${L}.self_attn.q_norm.weight`, `${L}.self_attn.k_norm.weight`];
  for (const p of ['q_proj', 'k_proj', 'v_proj', 'o_proj']) {
    names.push(`${L}.self_attn.${p}.weight`);
    if (cfg.attention_bias) names.push(`${L}.self_attn.${p}.bias`);
  }
  const ffn = (q: string) => ['gate_proj', 'up_proj', 'down_proj'].map((p) => `${q}.${p}.weight`);
  if (cfg.model_type !== 'qwen3' && isMoeLayer(cfg, l)) {
    names.push(`${L}.mlp.gate.weight`);
    for (let e = 0; e < cfg.num_experts; e++) names.push(...ffn(`${L}.mlp.experts.${e}`));
  } else {
    names.push(...ffn(`${L}.mlp`));
  }
  if (fopeEnabled(cfg)) names.push(`${prefix}rotary_emb.cos_coef`, `${prefix}rotary_emb.sin_coef`);
  return names;
}

/** Position ids `[B, T]` (or `[T]`) as rows of plain numbers. */
function rowsOf(a: NDArray): number[][] {
  const T = a.shape[a.shape.length - 1];
  const B = a.size / T;
  return Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => (a.shape.length === 2 ? a.get(b, t) : a.get(t))));
}

registerComponent({
  name: 'text.layer.N',
  description: 'text decoder layer N: pre-norm attention (QK norm, RoPE / FoPE, GQA, causal) and dense or MoE FFN (spec 3.1-3.4, 4, 5)',
  inputs: [
    { name: 'hidden_states', dtypes: ['F32', 'F64'], shape: ['B', 'T', 'D'], description: 'the layer input [B, T, D]' },
    { name: 'position_ids', dtypes: ['I64', 'I32'], shapes: [['B', 'T'], ['T']], optional: true, description: 'positions [B, T] (default 0..T-1)' },
  ],
  outputs: [
    { name: 'hidden_states', dtype: 'F32', description: 'the layer output [B, T, D]' },
    { name: 'router_logits', dtype: 'F32', optional: true, description: 'MoE layers: router logits [B·T, E]' },
    { name: 'router_indices', dtype: 'I32', optional: true, description: 'MoE layers: chosen experts [B·T, K]' },
    { name: 'router_weights', dtype: 'F32', optional: true, description: 'MoE layers: routing weights [B·T, K]' },
  ],
  dims: (ctx) => ({ D: textOf(ctx).cfg.hidden_size }),
  weightsNeeded: (ctx) => {
    const { cfg, prefix } = textOf(ctx);
    return layerNames(cfg, prefix, layerOf(ctx));
  },
  run(ctx, { hidden_states, position_ids }): FastOutputs {
    const { cfg, prefix } = textOf(ctx);
    const l = layerOf(ctx);
    const layer = Qwen3DecoderLayer.fromWeights(cfg, ctx.weights, `${prefix}layers.${l}`, { layerIndex: l, rotaryPrefix: `${prefix}rotary_emb` });
    try {
      const out = layer.forward(hidden_states, position_ids as tf.Tensor | undefined);
      const r = out.router;
      return { hidden_states: out.hidden, ...(r ? { router_logits: r.logits, router_indices: r.indices, router_weights: r.weights } : {}) };
    } finally {
      layer.dispose();
    }
  },
  reference(ctx, { hidden_states, position_ids }): ReferenceOutputs {
    const { cfg, prefix } = textOf(ctx);
    const l = layerOf(ctx);
    const layer = ref.Qwen3DecoderLayer.fromWeights(cfg, ctx.weights, `${prefix}layers.${l}`, { layerIndex: l, rotaryPrefix: `${prefix}rotary_emb` });
    const out = layer.forward(hidden_states, position_ids ? rowsOf(position_ids) : undefined);
    const r = out.router;
    return {
      hidden_states: out.hidden,
      ...(r ? { router_logits: r.logits, router_indices: { dtype: 'I32' as const, array: r.indices }, router_weights: r.weights } : {}),
    };
  },
});

registerComponent({
  name: 'text',
  description: 'the whole text stack: embed_tokens, every decoder layer, model.norm, lm_head (spec 3.1)',
  inputs: [{ name: 'input_ids', dtypes: ['I64', 'I32'], shape: ['B', 'T'], description: 'token ids [B, T]' }],
  outputs: [
    { name: 'logits', dtype: 'F32', description: 'next-token logits [B, T, V]' },
    { name: 'hidden_states', dtype: 'F32', description: 'final hidden states after model.norm [B, T, D]' },
  ],
  weightsNeeded: (ctx) => {
    const { cfg, prefix } = textOf(ctx);
    const names = [`${prefix}embed_tokens.weight`, `${prefix}norm.weight`, ...(cfg.tie_word_embeddings ? [] : ['lm_head.weight'])];
    for (let l = 0; l < cfg.num_hidden_layers; l++) names.push(...layerNames(cfg, prefix, l));
    return [...new Set(names)];
  },
  run(ctx, { input_ids }): FastOutputs {
    const { cfg, prefix } = textOf(ctx);
    // Under the memory budget (INTERN_S1_MEMORY_BUDGET or the backend's default, src/io/budget.ts):
    // layers that do not fit stream from the checkpoint; the numbers are the same.
    const memoryPlan = planModelMemory(ctx.config!, ctx.weights, { backend: tf.getBackend(), lazyEmbeddings: true });
    const model = Qwen3TextModel.fromWeights(cfg, ctx.weights, { prefix, lazyEmbeddings: true, memoryPlan });
    try {
      const out = model.forward(input_ids);
      return { logits: out.logits!, hidden_states: out.hidden };
    } finally {
      model.dispose();
    }
  },
  reference(ctx, { input_ids }): ReferenceOutputs {
    const { cfg, prefix } = textOf(ctx);
    const out = ref.Qwen3TextModel.fromWeights(cfg, ctx.weights, { prefix }).forward(rowsOf(input_ids));
    return { logits: out.logits!, hidden_states: out.hidden };
  },
});

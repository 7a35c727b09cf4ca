/**
 * config.json objects of the tiny checkpoints: the released configs' keys and non-size values,
 * at width 16 and 2 layers.
 *
 * @module
 */
import { ValueError } from '../errors.js';

/** Which member of the family a tiny checkpoint imitates. */
export type TinyVariant = 's1' | 'mini' | 'pro';

/** The vocabulary and FP8 options of {@link tinyConfigJson}. */
export interface TinyConfigOptions {
  /** A vocabulary smaller than the real one ("tiny-vocab"; at least 16). */
  readonly vocabSize?: number;
  /** When set, a `quantization_config` for FP8 weights with this block size. */
  readonly fp8Block?: number;
}

/** Real vocabulary sizes (spec 1.1). */
const REAL_VOCAB: Record<TinyVariant, number> = { s1: 153216, mini: 153216, pro: 155008 };

/**
 * Special token ids: the released ones (Pro spec 8.2; S1 `<IMG_CONTEXT>` 152957 per XTuner [V XT],
 * the HF class default 151667 being generic InternVL), or in tiny-vocab mode the top ids of the
 * small vocabulary, in this order.
 */
function specialIds(variant: TinyVariant, V: number): Record<string, number> {
  const real: Record<string, number> = variant === 'pro'
    ? { image_token_id: 151655, video_token_id: 151656, vision_start_token_id: 151652, vision_end_token_id: 151653, ts_token_id: 151685, ts_start_token_id: 151683, ts_end_token_id: 151684, bos_token_id: 151643, eos_token_id: 151645 }
    : { image_token_id: 152957, bos_token_id: 151643, eos_token_id: 151645 };
  if (V >= REAL_VOCAB[variant]) return real;
  return Object.fromEntries(Object.keys(real).map((k, i) => [k, V - 1 - i]));
}

const TINY_TEXT = {
  hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, hidden_act: 'silu',
  rms_norm_eps: 1e-6, attention_bias: false, tie_word_embeddings: false,
};

const MOE = { moe_intermediate_size: 8, num_experts: 8, norm_topk_prob: true, decoder_sparse_step: 1, mlp_only_layers: [], router_aux_loss_coef: 0.001 };

function vit(variant: 's1' | 'mini'): Record<string, unknown> {
  const s1 = variant === 's1';
  return {
    model_type: 'intern_s1_vision', hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32,
    hidden_act: 'gelu', norm_type: s1 ? 'rms_norm' : 'layer_norm', layer_norm_eps: 1e-6, use_qk_norm: s1, attention_bias: !s1,
    image_size: [448, 448], patch_size: [14, 14], num_channels: 3, layer_scale_init_value: 0.1, use_mean_pooling: true,
    use_absolute_position_embeddings: true, drop_path_rate: 0,
  };
}

function quant(block: number, variant: TinyVariant): Record<string, unknown> {
  const vision = variant === 'pro' ? 'model.visual' : 'model.vision_tower';
  return {
    quant_method: 'fp8', fmt: 'e4m3', weight_block_size: [block, block], activation_scheme: 'dynamic', scale_fmt: 'ue8m0',
    modules_to_not_convert: ['lm_head', 'model.language_model.embed_tokens', 'model.language_model.norm', vision, 'model.time_series', 'model.multi_modal_projector'],
  };
}

/**
 * Largest `vocabSize` of a tiny checkpoint: 2^20 = 1,048,576 ids (the real vocabularies are
 * 153,216 and 155,008). The embedding and lm_head hold V·16 values each, so this keeps a tiny
 * checkpoint under 130 MB in f32; a vocabulary of 10^12 was "Invalid typed array length"
 * (issue #12 item 5).
 */
export const TINY_MAX_VOCAB = 2 ** 20;

/**
 * The config.json object of a tiny checkpoint.
 *
 * - `s1`: `intern_s1` with a Qwen3-MoE text model (8 experts, top-2) and an RMSNorm, QK-norm InternViT.
 * - `mini`: `intern_s1` with a dense Qwen3 text model and a LayerNorm InternViT with q/k/v biases.
 * - `pro`: `interns1_pro` with grouped routing (8 experts, 4 groups, top-4), FoPE (head_dim 16:
 *   6 of 8 frequencies kept, so the padded lanes are exercised), the Pro vision tower and a
 *   time-series tower (`ts_config`, spec 7.6).
 *
 * @param variant - which model.
 * @param opts - tiny vocabulary; FP8 block size.
 * @throws ValueError for a vocabulary under 16.
 * @example
 * ```ts
 * import { tinyConfigJson, parseConfig } from 'intern-s1-ts';
 * const cfg = parseConfig(tinyConfigJson('pro'));
 * console.log(cfg.model_type); // => 'interns1_pro'
 * ```
 */
export function tinyConfigJson(variant: TinyVariant, opts: TinyConfigOptions = {}): Record<string, unknown> {
  if (!['s1', 'mini', 'pro'].includes(variant)) throw new ValueError(`tiny: variant must be s1, mini or pro, got '${variant}'`);
  const V = opts.vocabSize ?? REAL_VOCAB[variant];
  if (!Number.isInteger(V) || V < 16 || V > TINY_MAX_VOCAB) {
    throw new ValueError(`tiny: vocabSize must be an integer in [16, ${TINY_MAX_VOCAB}] (TINY_MAX_VOCAB), got ${V}`);
  }
  const ids = specialIds(variant, V);
  const { bos_token_id, eos_token_id, ...media } = ids;
  const q = opts.fp8Block ? { quantization_config: quant(opts.fp8Block, variant) } : {};
  if (variant === 'pro') {
    return {
      architectures: ['InternS1ProForConditionalGeneration'], model_type: 'interns1_pro', tie_word_embeddings: false, ...media,
      text_config: {
        model_type: 'interns1_pro_text', vocab_size: V, ...TINY_TEXT, head_dim: 16, intermediate_size: 32, ...MOE,
        num_experts_per_tok: 4, router_n_groups: 4, max_position_embeddings: 262144, rope_theta: 5000000,
        rope_scaling: { rope_type: 'default', fope_init_factor: 0.5, fope_sep_head: true, num_inv_freq: null },
        bos_token_id, eos_token_id,
      },
      vision_config: {
        model_type: 'interns1_pro_vision', depth: 2, hidden_size: 16, hidden_act: 'gelu_pytorch_tanh', intermediate_size: 32,
        num_heads: 2, in_channels: 3, patch_size: 16, spatial_merge_size: 2, temporal_patch_size: 2, out_hidden_size: 16,
        num_position_embeddings: 2304,
      },
      ts_config: {
        d_model: 16, encoder_layers: 2, encoder_attention_heads: 2, encoder_ffn_dim: 32, max_source_positions: 1500,
        num_mel_bins: 80, scale_embedding: false, activation_function: 'gelu', ts_adapt_in_dim: 256, ts_adapt_out_dim: 32,
        ts_hidden_dim: 32, out_hidden_size: 16,
      },
      ...q,
    };
  }
  const text = variant === 's1'
    ? { model_type: 'qwen3_moe', vocab_size: V, ...TINY_TEXT, head_dim: 8, intermediate_size: 32, ...MOE, num_experts_per_tok: 2 }
    : { model_type: 'qwen3', vocab_size: V, ...TINY_TEXT, head_dim: 8, intermediate_size: 32 };
  return {
    architectures: ['InternS1ForConditionalGeneration'], model_type: 'intern_s1', ...media, image_seq_length: 256, downsample_ratio: 0.5,
    projector_hidden_act: 'gelu', vision_feature_layer: -1, vision_feature_select_strategy: 'default', tie_word_embeddings: false,
    text_config: { ...text, max_position_embeddings: 40960, rope_theta: 1000000, rope_scaling: null, bos_token_id, eos_token_id },
    vision_config: vit(variant),
    ...q,
  };
}

/**
 * Configs: the real Intern-S1-Pro config.json (from INTERN_S1_PRO_FILES), tiny configs of every
 * variant, both rope spellings, both InternViT size spellings, and every inconsistency as a
 * ConfigError naming the key.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describePro } from '../support/pro-files.js';
import { ConfigError } from '../../src/errors.js';
import {
  type InternS1Config, type InternS1ProConfig, configVariant, fopeEnabled, isMoeLayer, parseConfig, parseQuantizationConfig, textConfigOf,
} from '../../src/io/config.js';


const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

const text = {
  vocab_size: 200, hidden_size: 16, num_hidden_layers: 3, num_attention_heads: 4, num_key_value_heads: 2,
  head_dim: 8, max_position_embeddings: 4096, rope_theta: 1e6, rms_norm_eps: 1e-6, bos_token_id: 1, eos_token_id: [2, 3],
};
const moe = { ...text, model_type: 'qwen3_moe', num_experts: 8, num_experts_per_tok: 2, moe_intermediate_size: 8, norm_topk_prob: true };
const proText = {
  ...moe, model_type: 'interns1_pro_text', router_n_groups: 2, rope_theta: 5e6,
  rope_scaling: { rope_type: 'default', fope_init_factor: 0.5, fope_sep_head: true, num_inv_freq: null },
};
const vit = { hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, norm_type: 'rms_norm', use_qk_norm: true, image_size: [448, 448], patch_size: [14, 14] };
const tiny: Record<string, Record<string, unknown>> = {
  s1: { model_type: 'intern_s1', text_config: moe, vision_config: vit, image_token_id: 150, downsample_ratio: 0.5 },
  mini: { model_type: 'interns1', text_config: { ...text, model_type: 'qwen3', intermediate_size: 32 }, vision_config: { ...vit, norm_type: 'layer_norm', use_qk_norm: false, attention_bias: true, image_size: 448, patch_size: 14 }, image_token_id: 150 },
  pro: {
    model_type: 'interns1_pro', tie_word_embeddings: false, text_config: proText, image_token_id: 150, video_token_id: 151, vision_start_token_id: 152, vision_end_token_id: 153,
    ts_token_id: 160, ts_start_token_id: 161, ts_end_token_id: 162,
    vision_config: { depth: 2, hidden_size: 16, intermediate_size: 32, num_heads: 2, out_hidden_size: 16, num_position_embeddings: 2304 },
    ts_config: { d_model: 16, encoder_layers: 2, encoder_attention_heads: 2, encoder_ffn_dim: 32, ts_adapt_out_dim: 24, ts_hidden_dim: 24 },
  },
};

describePro('the real Intern-S1-Pro config.json', (dir) => {
  const proFile = path.join(dir, 'config.json');
  it('parses as pro with the values of spec 1.1, 1.2, 8.2, 9.4', () => {
    const json = JSON.parse(readFileSync(proFile, 'utf8'));
    const cfg = parseConfig(json) as InternS1ProConfig;
    expect(configVariant(cfg)).toBe('pro');
    const t = cfg.text_config;
    expect([t.model_type, t.vocab_size, t.hidden_size, t.num_hidden_layers, t.num_attention_heads, t.num_key_value_heads, t.head_dim])
      .toEqual(['interns1_pro_text', 155008, 4096, 94, 64, 4, 128]);
    expect([t.num_experts, t.num_experts_per_tok, t.router_n_groups, t.moe_intermediate_size, t.norm_topk_prob]).toEqual([512, 8, 8, 1536, true]);
    expect([t.rope_theta, t.max_position_embeddings, t.rms_norm_eps, t.hidden_act, t.tie_word_embeddings]).toEqual([5e6, 262144, 1e-6, 'silu', false]);
    expect(t.rope_scaling).toEqual({ rope_type: 'default', fope_init_factor: 0.5, fope_sep_head: true, num_inv_freq: null });
    expect(fopeEnabled(t)).toBe(true);
    expect([0, 93].map((l) => isMoeLayer(t, l))).toEqual([true, true]);
    const v = cfg.vision_config;
    expect([v.depth, v.hidden_size, v.num_heads, v.intermediate_size, v.patch_size, v.spatial_merge_size, v.temporal_patch_size, v.out_hidden_size, v.num_position_embeddings, v.hidden_act])
      .toEqual([24, 1024, 16, 4096, 16, 2, 2, 4096, 2304, 'gelu_pytorch_tanh']);
    expect(cfg.ts_config).toBeNull();
    expect([cfg.image_token_id, cfg.video_token_id, cfg.vision_start_token_id, cfg.vision_end_token_id]).toEqual([151655, 151656, 151652, 151653]);
    expect([cfg.ts_token_id, cfg.ts_start_token_id, cfg.ts_end_token_id]).toEqual([151685, 151683, 151684]);
    expect(cfg.quantization_config?.weight_block_size).toEqual([128, 128]);
    expect(cfg.quantization_config?.scale_fmt).toBe('ue8m0');
    expect(cfg.quantization_config?.modules_to_not_convert).toContain('lm_head');
    expect(() => { (t as { hidden_size: number }).hidden_size = 1; }).toThrow(TypeError);
    expect(() => { (t.rope_scaling as { num_inv_freq: number | null }).num_inv_freq = 4; }).toThrow(TypeError);
  });
  it('the transformers v5 rope_parameters spelling gives the same text config', () => {
    const json = JSON.parse(readFileSync(proFile, 'utf8'));
    const v5 = clone(json);
    v5.text_config.rope_parameters = { ...v5.text_config.rope_scaling, rope_theta: v5.text_config.rope_theta };
    delete v5.text_config.rope_scaling;
    delete v5.text_config.rope_theta;
    expect(parseConfig(v5)).toEqual(parseConfig(json));
  });
}, 'config.json');

describe('tiny configs of every variant', () => {
  it('s1, mini, pro and bare text configs parse, with defaults filled', () => {
    const s1 = parseConfig(tiny.s1) as InternS1Config;
    expect(configVariant(s1)).toBe('s1');
    expect([s1.image_seq_length, s1.vision_feature_layer, s1.projector_hidden_act, s1.vision_config.layer_norm_eps]).toEqual([256, -1, 'gelu', 1e-6]);
    expect(s1.text_config.rope_scaling).toBeNull();
    expect(fopeEnabled(s1.text_config)).toBe(false);
    const mini = parseConfig(tiny.mini) as InternS1Config;
    expect(configVariant(mini)).toBe('mini');
    expect(mini.vision_config.image_size).toEqual([448, 448]);
    expect(mini.vision_config.patch_size).toEqual([14, 14]);
    expect(isMoeLayer(mini.text_config, 0)).toBe(false);
    const pro = parseConfig(tiny.pro) as InternS1ProConfig;
    expect(configVariant(pro)).toBe('pro');
    expect(pro.ts_config).toMatchObject({ d_model: 16, max_source_positions: 1500, num_mel_bins: 80, ts_adapt_in_dim: 256, ts_hidden_dim: 24, out_hidden_size: 16 });
    for (const t of [moe, proText, { ...text, model_type: 'qwen3', intermediate_size: 32 }]) {
      const c = parseConfig(t);
      expect(configVariant(c)).toBe('text');
      expect(textConfigOf(c).model_type).toBe(t.model_type);
    }
  });
  it('InternVL-chat vision aliases qk_normalization / qkv_bias', () => {
    const c = parseConfig({ ...tiny.s1, vision_config: { ...vit, use_qk_norm: undefined, qk_normalization: true, qkv_bias: true } }) as InternS1Config;
    expect([c.vision_config.use_qk_norm, c.vision_config.attention_bias]).toEqual([true, true]);
  });
  it('text model_type inferred when missing; llm_config accepted; decoder_sparse_step and mlp_only_layers', () => {
    const noType = { ...tiny.s1, text_config: { ...moe, model_type: undefined, decoder_sparse_step: 2, mlp_only_layers: [2] } };
    const c = parseConfig(noType) as InternS1Config;
    expect(c.text_config.model_type).toBe('qwen3_moe');
    expect([0, 1, 2].map((l) => isMoeLayer(c.text_config, l))).toEqual([false, true, false]);
    const llm = parseConfig({ ...tiny.mini, text_config: undefined, llm_config: tiny.mini.text_config }) as InternS1Config;
    expect(configVariant(llm)).toBe('mini');
  });
  it('quantization_config of a bare text config', () => {
    expect(parseQuantizationConfig({ ...moe, quantization_config: { quant_method: 'fp8', weight_block_size: [64, 32] } })?.weight_block_size).toEqual([64, 32]);
    expect(parseQuantizationConfig(moe)).toBeNull();
  });
});

type Mut = (c: Record<string, any>) => void;
const cases: [string, keyof typeof tiny, Mut, RegExp][] = [
  ['missing required key', 'pro', (c) => { delete c.text_config.hidden_size; }, /text_config\.hidden_size: missing required key/],
  ['missing model_type', 'pro', (c) => { delete c.model_type; }, /config model_type: missing required key/],
  ['unknown model_type', 'pro', (c) => { c.model_type = 'llava'; }, /model_type: must be one of .* got 'llava'/],
  ['wrong type', 'mini', (c) => { c.text_config.num_hidden_layers = '2'; }, /text_config\.num_hidden_layers: must be an integer >= 1, got '2'/],
  ['heads not dividing the ViT width', 's1', (c) => { c.vision_config.num_attention_heads = 3; }, /vision_config\.hidden_size \(16\) is not divisible by vision_config\.num_attention_heads \(3\)/],
  ['heads not dividing the Pro ViT width', 'pro', (c) => { c.vision_config.num_heads = 3; }, /vision_config\.hidden_size \(16\) is not divisible by vision_config\.num_heads \(3\)/],
  ['heads not dividing the TS width', 'pro', (c) => { c.ts_config.encoder_attention_heads = 3; }, /ts_config\.d_model \(16\) is not divisible by ts_config\.encoder_attention_heads \(3\)/],
  ['Hkv not dividing H', 's1', (c) => { c.text_config.num_key_value_heads = 3; }, /text_config\.num_attention_heads \(4\) is not a multiple of text_config\.num_key_value_heads \(3\)/],
  ['experts not divisible by groups', 'pro', (c) => { c.text_config.router_n_groups = 3; c.text_config.num_experts_per_tok = 3; }, /text_config\.num_experts \(8\) is not divisible by text_config\.router_n_groups \(3\)/],
  ['k not divisible by groups', 'pro', (c) => { c.text_config.num_experts_per_tok = 3; }, /text_config\.num_experts_per_tok \(3\) is not divisible by text_config\.router_n_groups \(2\)/],
  ['k > E', 's1', (c) => { c.text_config.num_experts_per_tok = 9; }, /text_config\.num_experts_per_tok: \(9\) must be <= num_experts \(8\)/],
  ['unknown activation', 'mini', (c) => { c.text_config.hidden_act = 'swiglu'; }, /text_config\.hidden_act: unknown activation 'swiglu'/],
  ['unknown projector activation', 's1', (c) => { c.projector_hidden_act = 'mish'; }, /projector_hidden_act: unknown activation 'mish'/],
  ['unknown norm type', 's1', (c) => { c.vision_config.norm_type = 'batch_norm'; }, /vision_config\.norm_type: must be one of 'rms_norm', 'layer_norm'/],
  ['unsupported rope type', 's1', (c) => { c.text_config.rope_scaling = { rope_type: 'yarn', factor: 4 }; }, /text_config\.rope_scaling\.rope_type: must be one of 'default', got 'yarn'/],
  ['rope_theta disagreeing with rope_parameters', 's1', (c) => { c.text_config.rope_parameters = { rope_type: 'default', rope_theta: 10 }; }, /text_config\.rope_theta \(1000000\) disagrees with text_config\.rope_parameters\.rope_theta \(10\)/],
  ['num_inv_freq above head_dim / 2', 'pro', (c) => { c.text_config.rope_scaling.num_inv_freq = 5; }, /num_inv_freq: must be <= head_dim \/ 2 \(4\)/],
  ['odd head_dim', 'mini', (c) => { c.text_config.head_dim = 7; }, /text_config\.head_dim: must be even/],
  ['mlp_only_layers out of range', 's1', (c) => { c.text_config.mlp_only_layers = [3]; }, /mlp_only_layers: layer 3 is out of range \[0, 3\)/],
  ['special id beyond the vocabulary', 'mini', (c) => { c.text_config.eos_token_id = 200; }, /text_config\.vocab_size: \(200\) must exceed the special token id 200/],
  ['image token beyond the vocabulary', 'pro', (c) => { c.video_token_id = 999; }, /video_token_id: \(999\) must be < text_config\.vocab_size \(200\)/],
  ['vision output width ≠ text width', 'pro', (c) => { c.vision_config.out_hidden_size = 32; }, /vision_config\.out_hidden_size: \(32\) must equal text_config\.hidden_size \(16\)/],
  ['Pro ViT head dim not a multiple of 4', 'pro', (c) => { c.vision_config.hidden_size = 12; c.vision_config.num_heads = 2; }, /head dim 6 must be a multiple of 4/],
  ['position grid not square', 'pro', (c) => { c.vision_config.num_position_embeddings = 2000; }, /num_position_embeddings: must be a square/],
  ['ts_adapt_in_dim not 256', 'pro', (c) => { c.ts_config.ts_adapt_in_dim = 128; }, /ts_config\.ts_adapt_in_dim: must be 256/],
  ['ts_hidden_dim ≠ ts_adapt_out_dim', 'pro', (c) => { c.ts_config.ts_hidden_dim = 32; }, /ts_config\.ts_hidden_dim: \(32\) must equal ts_adapt_out_dim \(24\)/],
  ['ts out_hidden_size ≠ text width', 'pro', (c) => { c.ts_config.out_hidden_size = 8; }, /ts_config\.out_hidden_size: \(8\) must equal the text hidden_size \(16\)/],
  ['patch not dividing the image', 'mini', (c) => { c.vision_config.patch_size = 15; }, /vision_config\.image_size: \[448,448\] is not a multiple of patch_size \[15,15\]/],
  ['image_seq_length inconsistent', 's1', (c) => { c.image_seq_length = 100; }, /image_seq_length: \(100\) must equal the tokens per tile 16x16 = 256/],
  ['vision_feature_layer out of range', 's1', (c) => { c.vision_feature_layer = 2; }, /vision_feature_layer: must be in \[-2, 1\]/],
  ['unsupported quantisation', 'pro', (c) => { c.quantization_config = { quant_method: 'awq' }; }, /quantization_config\.quant_method: must be one of 'fp8'/],
  ['Pro text under intern_s1', 's1', (c) => { c.text_config = clone(proText); }, /text_config\.model_type: 'interns1_pro_text' belongs to model_type 'interns1_pro'/],
  // issue #12 item 7: size keys above CONFIG_LIMITS are refused when read, before any allocation
  ['a million layers', 'pro', (c) => { c.text_config.num_hidden_layers = 1_000_000; }, /text_config\.num_hidden_layers: 1000000 is above the limit of 1024 \(CONFIG_LIMITS\.num_hidden_layers/],
  ['head_dim 1e9', 'mini', (c) => { c.text_config.head_dim = 1e9; }, /text_config\.head_dim: 1000000000 is above the limit of 1024 \(CONFIG_LIMITS\.head_dim/],
  ['vocab_size 1e12', 's1', (c) => { c.text_config.vocab_size = 1e12; }, /text_config\.vocab_size: 1000000000000 is above the limit of 67108864/],
  ['Pro ViT depth 1e6', 'pro', (c) => { c.vision_config.depth = 1e6; }, /vision_config\.depth: 1000000 is above the limit of 1024/],
  ['TS encoder width 1e9', 'pro', (c) => { c.ts_config.encoder_ffn_dim = 1e9; }, /ts_config\.encoder_ffn_dim: 1000000000 is above the limit/],
  ['InternViT image_size pair above the limit', 'mini', (c) => { c.vision_config.image_size = [448, 1e6]; }, /vision_config\.image_size: 1000000 is above the limit of 65536/],
  ['experts 1e7', 's1', (c) => { c.text_config.num_experts = 1e7; }, /text_config\.num_experts: 10000000 is above the limit of 65536/],
  ['qwen3_moe text under interns1_pro', 'pro', (c) => { c.text_config.model_type = 'qwen3_moe'; delete c.text_config.router_n_groups; }, /text_config\.model_type: must be 'interns1_pro_text'/],
];

describe('inconsistent configs are ConfigErrors naming the key', () => {
  it.each(cases)('%s', (_, base, mutate, re) => {
    const c = clone(tiny[base]);
    mutate(c);
    let err: unknown;
    try { parseConfig(c); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(re);
  });
  it('each unmutated base parses (so the cases above fail for their mutation)', () => {
    for (const k of Object.keys(tiny)) expect(() => parseConfig(clone(tiny[k]))).not.toThrow();
  });
});

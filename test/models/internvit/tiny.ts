/**
 * Tiny InternViT configs and seeded random checkpoints for the InternViT tests and bench: both
 * variants (Intern-S1: RMSNorm + full-width QK norm, no q/k/v bias; Intern-S1-mini: LayerNorm +
 * q/k/v bias), HF names, and the same tensors under InternVL-chat names (fused `attn.qkv`, `ls1`,
 * `norm1`, `mlp1.*`, spec 9.1 table).
 */
import type { InternVitConfig } from '../../../src/io/configs/vision.js';
import { parseInternVitConfig } from '../../../src/io/configs/vision.js';
import { memoryWeights, type TensorInput, type WeightSource } from '../../../src/io/weights.js';
import type { InternS1VisionConfig } from '../../../src/models/internvit/config.js';
import { randomWeights, tensorsOf, type TensorSpec } from '../../support/weights.js';

export { tensorsOf, without, withTensors } from '../../support/weights.js';

export type Variant = 's1' | 'mini';

/** A tiny InternViT config: width 32, 4 heads, 2 layers, patch 4 on a 16×16 tile (a 4×4 position grid). */
export function tinyVit(variant: Variant, over: Record<string, unknown> = {}): InternVitConfig {
  const base = variant === 's1'
    ? { norm_type: 'rms_norm', use_qk_norm: true, attention_bias: false }
    : { norm_type: 'layer_norm', use_qk_norm: false, attention_bias: true };
  return parseInternVitConfig({
    hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64, hidden_act: 'gelu',
    layer_norm_eps: 1e-6, image_size: 16, patch_size: 4, ...base, ...over,
  });
}

/** The tower config around a ViT config (the released top-level defaults). */
export function towerConfig(vision: InternVitConfig, over: Partial<InternS1VisionConfig> = {}): InternS1VisionConfig {
  return {
    vision_config: vision, downsample_ratio: 0.5, projector_hidden_act: 'gelu', vision_feature_layer: -1,
    vision_feature_select_strategy: 'default', ...over,
  };
}

/** Weight specs of the ViT under `prefix` (HF names), with magnitudes that keep every part of the signal alive. */
export function vitSpecs(cfg: InternVitConfig, prefix = 'model.vision_tower'): Record<string, TensorSpec> {
  const C = cfg.hidden_size;
  const I = cfg.intermediate_size;
  const [ph, pw] = cfg.patch_size;
  const G = (cfg.image_size[0] / ph) * (cfg.image_size[1] / pw);
  const s: Record<string, TensorSpec> = {
    [`${prefix}.embeddings.cls_token`]: { shape: [1, 1, C], std: 0.5 },
    [`${prefix}.embeddings.patch_embeddings.projection.weight`]: { shape: [C, cfg.num_channels, ph, pw], std: 0.1 },
    [`${prefix}.embeddings.patch_embeddings.projection.bias`]: { shape: [C], std: 0.1 },
  };
  if (cfg.use_absolute_position_embeddings) s[`${prefix}.embeddings.position_embeddings`] = { shape: [1, 1 + G, C], std: 0.5 };
  const lin = (p: string, out: number, inF: number, bias: boolean) => {
    s[`${p}.weight`] = { shape: [out, inF], std: 1 / Math.sqrt(inF) };
    if (bias) s[`${p}.bias`] = { shape: [out], std: 0.1 };
  };
  const norm = (p: string) => {
    s[`${p}.weight`] = { shape: [C], mean: 1, std: 0.2 };
    if (cfg.norm_type === 'layer_norm') s[`${p}.bias`] = { shape: [C], std: 0.1 };
  };
  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    const l = `${prefix}.encoder.layer.${i}`;
    norm(`${l}.layernorm_before`);
    norm(`${l}.layernorm_after`);
    for (const q of ['q_proj', 'k_proj', 'v_proj']) lin(`${l}.attention.${q}`, C, C, cfg.attention_bias);
    if (cfg.use_qk_norm) {
      s[`${l}.attention.q_norm.weight`] = { shape: [C], mean: 1, std: 0.3 };
      s[`${l}.attention.k_norm.weight`] = { shape: [C], mean: 1, std: 0.3 };
    }
    lin(`${l}.attention.projection_layer`, C, C, true);
    s[`${l}.lambda_1`] = { shape: [C], mean: 0.5, std: 0.2 };
    s[`${l}.lambda_2`] = { shape: [C], mean: 0.5, std: 0.2 };
    lin(`${l}.mlp.fc1`, I, C, true);
    lin(`${l}.mlp.fc2`, C, I, true);
  }
  if (!cfg.use_mean_pooling) norm(`${prefix}.layernorm`);
  return s;
}

/** Projector specs: LayerNorm(4C) → Linear(4C → D) → Linear(D → D). */
export function projectorSpecs(inF: number, D: number, prefix = 'model.multi_modal_projector'): Record<string, TensorSpec> {
  return {
    [`${prefix}.layer_norm.weight`]: { shape: [inF], mean: 1, std: 0.2 },
    [`${prefix}.layer_norm.bias`]: { shape: [inF], std: 0.1 },
    [`${prefix}.linear_1.weight`]: { shape: [D, inF], std: 1 / Math.sqrt(inF) },
    [`${prefix}.linear_1.bias`]: { shape: [D], std: 0.1 },
    [`${prefix}.linear_2.weight`]: { shape: [D, D], std: 1 / Math.sqrt(D) },
    [`${prefix}.linear_2.bias`]: { shape: [D], std: 0.1 },
  };
}

/** A seeded ViT (+ projector when `D` is given) checkpoint with HF names. */
export function tinyWeights(cfg: InternVitConfig, seed: number, D?: number): WeightSource {
  const specs = vitSpecs(cfg);
  return randomWeights(D === undefined ? specs : { ...specs, ...projectorSpecs(4 * cfg.hidden_size, D) }, seed);
}

/**
 * The same checkpoint under InternVL-chat names (spec 9.1 table), written out here independently
 * of the library's mapping: `vision_model.*`, fused `attn.qkv [3C, C]` (rows q, k, v), `attn.proj`,
 * `ls1/ls2`, `norm1/norm2`, `mlp1.{0,1,3}`.
 */
export function toInternVlChat(w: WeightSource): WeightSource {
  const t = tensorsOf(w);
  const out: Record<string, TensorInput> = {};
  const layerRe = /^model\.vision_tower\.encoder\.layer\.(\d+)\.(.+)$/;
  const qkv = new Map<string, Record<string, TensorInput>>();
  for (const [name, v] of Object.entries(t)) {
    const m = layerRe.exec(name);
    if (m) {
      const [, i, rest] = m;
      const base = `vision_model.encoder.layers.${i}`;
      const p = /^attention\.(q|k|v)_proj\.(weight|bias)$/.exec(rest);
      if (p) {
        const key = `${base}.attn.qkv.${p[2]}`;
        qkv.set(key, { ...(qkv.get(key) ?? {}), [p[1]]: v });
        continue;
      }
      const renamed = rest
        .replace(/^attention\.projection_layer\./, 'attn.proj.')
        .replace(/^attention\.(q_norm|k_norm)\./, 'attn.$1.')
        .replace(/^lambda_1$/, 'ls1').replace(/^lambda_2$/, 'ls2')
        .replace(/^layernorm_before\./, 'norm1.').replace(/^layernorm_after\./, 'norm2.');
      out[`${base}.${renamed}`] = v;
      continue;
    }
    const renamed = name
      .replace('model.vision_tower.embeddings.cls_token', 'vision_model.embeddings.class_embedding')
      .replace('model.vision_tower.embeddings.position_embeddings', 'vision_model.embeddings.position_embedding')
      .replace('model.vision_tower.embeddings.patch_embeddings.projection.', 'vision_model.embeddings.patch_embedding.')
      .replace('model.multi_modal_projector.layer_norm.', 'mlp1.0.')
      .replace('model.multi_modal_projector.linear_1.', 'mlp1.1.')
      .replace('model.multi_modal_projector.linear_2.', 'mlp1.3.');
    out[renamed] = v;
  }
  for (const [key, parts] of qkv) {
    const [q, k, v] = [parts.q, parts.k, parts.v];
    const data = new Float32Array([...(q.data as ArrayLike<number> as Float32Array), ...(k.data as Float32Array), ...(v.data as Float32Array)]);
    out[key] = { dtype: 'F32', shape: [3 * q.shape[0], ...q.shape.slice(1)], data };
  }
  return memoryWeights(out);
}

/** Seeded pixel values `[N, C, H, W]` in about [-2, 2] (ImageNet-normalised range), float32-exact. */
export function pixels(shape: [number, number, number, number], seed: number): { shape: number[]; data: Float64Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.fround(2 * Math.sin(seed * 7.31 + i * 0.713) * Math.cos(i * 0.0917 + seed));
  return { shape: shape.slice(), data };
}

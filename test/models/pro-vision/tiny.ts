/**
 * Tiny Intern-S1-Pro vision configs and seeded random checkpoints for the pro-vision tests and
 * bench (HF names `model.visual.*`, spec 9.3), and pixel inputs.
 */
import { type ProVisionConfig, parseProVisionConfig } from '../../../src/io/configs/vision.js';
import type { WeightSource } from '../../../src/io/weights.js';
import { mulberry32 } from '../../support/arbitraries.js';
import type { Data } from '../../support/convert.js';
import { randomWeights, type TensorSpec } from '../../support/weights.js';

/**
 * A tiny Pro tower: width 16, 2 heads (head dim 8), MLP 32, 2 blocks, out 12, the released
 * patch geometry (3 channels, Tp 2, p 16: 1536 features per patch, merge 2) and a 48×48 grid.
 */
export function tinyProVision(over: Record<string, unknown> = {}): ProVisionConfig {
  return parseProVisionConfig({
    depth: 2, hidden_size: 16, intermediate_size: 32, num_heads: 2, out_hidden_size: 12, num_position_embeddings: 2304,
    hidden_act: 'gelu_pytorch_tanh', in_channels: 3, patch_size: 16, temporal_patch_size: 2, spatial_merge_size: 2, ...over,
  });
}

/** Weight specs of the tower under `prefix`, magnitudes that keep every part of the signal alive. */
export function proVisionSpecs(cfg: ProVisionConfig, prefix = 'model.visual'): Record<string, TensorSpec> {
  const C = cfg.hidden_size;
  const K = cfg.in_channels * cfg.temporal_patch_size * cfg.patch_size ** 2;
  const W = C * cfg.spatial_merge_size ** 2;
  const s: Record<string, TensorSpec> = {
    [`${prefix}.patch_embed.proj.weight`]: { shape: [C, cfg.in_channels, cfg.temporal_patch_size, cfg.patch_size, cfg.patch_size], std: 1 / Math.sqrt(K) },
    [`${prefix}.patch_embed.proj.bias`]: { shape: [C], std: 0.1 },
    [`${prefix}.pos_embed.weight`]: { shape: [cfg.num_position_embeddings, C], std: 0.5 },
  };
  const lin = (p: string, out: number, inF: number) => {
    s[`${p}.weight`] = { shape: [out, inF], std: 1 / Math.sqrt(inF) };
    s[`${p}.bias`] = { shape: [out], std: 0.1 };
  };
  const norm = (p: string, n = C) => {
    s[`${p}.weight`] = { shape: [n], mean: 1, std: 0.2 };
    s[`${p}.bias`] = { shape: [n], std: 0.1 };
  };
  for (let i = 0; i < cfg.depth; i++) {
    const b = `${prefix}.blocks.${i}`;
    norm(`${b}.norm1`);
    norm(`${b}.norm2`);
    // q/k weights larger than 1/√C so the attention probabilities are far from uniform (the RoPE and block mask matter)
    s[`${b}.attn.qkv.weight`] = { shape: [3 * C, C], std: 2 / Math.sqrt(C) };
    s[`${b}.attn.qkv.bias`] = { shape: [3 * C], std: 0.1 };
    lin(`${b}.attn.proj`, C, C);
    lin(`${b}.mlp.linear_fc1`, cfg.intermediate_size, C);
    lin(`${b}.mlp.linear_fc2`, C, cfg.intermediate_size);
  }
  norm(`${prefix}.merger.norm`);
  lin(`${prefix}.merger.linear_fc1`, W, W);
  lin(`${prefix}.merger.linear_fc2`, cfg.out_hidden_size, W);
  return s;
}

/** A seeded random checkpoint for `cfg`. */
export function proVisionWeights(cfg: ProVisionConfig, seed: number, prefix = 'model.visual'): WeightSource {
  return randomWeights(proVisionSpecs(cfg, prefix), seed);
}

/** `[P, K]` pixel values uniform in [−1, 1] (float32-exact). */
export function patches(P: number, K: number, seed: number): Data {
  const rand = mulberry32(seed);
  const d = new Float64Array(P * K);
  for (let i = 0; i < d.length; i++) d[i] = Math.fround(2 * rand() - 1);
  return { shape: [P, K], data: d };
}

/** Patches of a grid list for `cfg`. */
export function gridPatches(cfg: ProVisionConfig, grid: readonly (readonly number[])[], seed: number): Data {
  const P = grid.reduce((s, [t, h, w]) => s + t * h * w, 0);
  return patches(P, cfg.in_channels * cfg.temporal_patch_size * cfg.patch_size ** 2, seed);
}

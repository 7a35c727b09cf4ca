/**
 * The `vision.pro` component of `intern-s1 run`: the Intern-S1-Pro vision tower (spec 6.2),
 * `pixel_values [P, 1536]` + `image_grid_thw [N, 3]` → `image_features [Σ t·gh·gw / 4, D]`.
 *
 * `pixel_values` and `image_grid_thw` are what `intern-s1 preprocess-image --variant pro` writes
 * or what the HF processor returns (`Qwen2VLImageProcessorFast`); several images go in one call
 * (patches concatenated in grid order), and a video's `video_grid_thw` works the same way.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import * as ref from '../../../reference/models/pro-vision/index.js';
import type { NDArray } from '../../../reference/ndarray.js';
import { ValueError } from '../../errors.js';
import { type ComponentContext, registerComponent } from '../../io/components.js';
import { type InternS1ProConfig, type ProVisionConfig, configVariant } from '../../io/config.js';
import { ProVisionModel, patchFeatures } from '../../models/pro-vision/index.js';

/** The Pro vision config of the checkpoint, or a ValueError naming the component. */
function proVision(ctx: ComponentContext): ProVisionConfig {
  const cfg = ctx.config;
  if (!cfg) throw new ValueError(`${ctx.name}: needs the checkpoint's config.json (a bare safetensors file has none)`);
  if (configVariant(cfg) !== 'pro') {
    throw new ValueError(`${ctx.name}: serves the Intern-S1-Pro vision tower; this checkpoint is '${cfg.model_type}' (use 'vision' for InternViT)`);
  }
  return (cfg as InternS1ProConfig).vision_config;
}

/** The tensors `ProVisionModel.fromWeights` reads (checked before running, one message for all missing). */
function needed(ctx: ComponentContext): string[] {
  const v = proVision(ctx);
  const p = 'model.visual';
  const wb = (n: string) => [`${n}.weight`, `${n}.bias`];
  const names = [...wb(`${p}.patch_embed.proj`), `${p}.pos_embed.weight`];
  for (let i = 0; i < v.depth; i++) {
    for (const n of ['norm1', 'norm2', 'attn.qkv', 'attn.proj', 'mlp.linear_fc1', 'mlp.linear_fc2']) names.push(...wb(`${p}.blocks.${i}.${n}`));
  }
  for (const n of ['norm', 'linear_fc1', 'linear_fc2']) names.push(...wb(`${p}.merger.${n}`));
  return names;
}

/** `image_grid_thw` rows from the input tensor / array. */
function gridRows(values: ArrayLike<number>, n: number): number[][] {
  return Array.from({ length: n }, (_, i) => [values[3 * i], values[3 * i + 1], values[3 * i + 2]]);
}

registerComponent({
  name: 'vision.pro',
  description: 'Intern-S1-Pro vision tower (spec 6.2): pixel_values + image_grid_thw -> image_features',
  inputs: [
    { name: 'pixel_values', dtypes: ['F32', 'F64'], shape: ['P', 'K'], description: 'patches [P, 1536] (intern-s1 preprocess-image --variant pro), items concatenated in grid order' },
    { name: 'image_grid_thw', dtypes: ['I64', 'I32'], shape: ['N', 3], description: '[t, gh, gw] per image or video, [N, 3]' },
  ],
  outputs: [{ name: 'image_features', dtype: 'F32', description: '[Σ t·gh·gw / 4, out_hidden_size]: items in order, tokens in 2x2 merge-window order' }],
  dims: (ctx) => ({ K: patchFeatures(proVision(ctx)) }),
  weightsNeeded: needed,
  run(ctx, { pixel_values, image_grid_thw }) {
    const grid = gridRows(image_grid_thw.dataSync(), image_grid_thw.shape[0]);
    const tower = ProVisionModel.fromWeights(proVision(ctx), ctx.weights);
    try {
      return { image_features: tower.forward(pixel_values as tf.Tensor, grid) };
    } finally {
      tower.dispose();
    }
  },
  reference(ctx, { pixel_values, image_grid_thw }): { image_features: NDArray } {
    const grid = gridRows(Array.from({ length: image_grid_thw.size }, (_, i) => image_grid_thw.get(Math.floor(i / 3), i % 3)), image_grid_thw.shape[0]);
    return { image_features: ref.ProVisionModel.fromWeights(proVision(ctx), ctx.weights).forward(pixel_values, grid) };
  },
});

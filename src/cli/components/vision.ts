/**
 * The vision components of `intern-s1 run` for Intern-S1 / Intern-S1-mini (spec 6.1):
 *
 * - `vision.encoder`: InternViT, `pixel_values [N, 3, H, W]` → `last_hidden_state [N, 1 + P, C]`;
 * - `vision`: the whole tower (InternViT, drop CLS, pixel shuffle, projector),
 *   `pixel_values` → `image_features [N·Q, D]` (Q = 256 per 448 tile, D the text width).
 *
 * `pixel_values` is what `intern-s1 preprocess-image` writes (ImageNet-normalised tiles) or what
 * the HF processor returns. H and W may differ from 448 (the position table is resized); the
 * config's `vision_feature_layer` chooses the features the projector sees, as in HF.
 * Intern-S1-Pro's Qwen3-VL-style tower is a different model and is not served here.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import type { NDArray } from '../../../reference/ndarray.js';
import * as ref from '../../../reference/models/internvit/index.js';
import { InternS1VisionTower as RefInternS1VisionTower } from '../../../reference/models/intern-s1/tower.js';
import { ValueError } from '../../errors.js';
import { type ComponentContext, registerComponent } from '../../io/components.js';
import { type InternS1Config, configVariant } from '../../io/config.js';
import { InternVisionModel } from '../../models/internvit/index.js';
import { InternS1VisionTower } from '../../models/intern-s1/tower.js';

/** The Intern-S1 / -mini config of the checkpoint, or a ValueError naming the component. */
function s1Config(ctx: ComponentContext): InternS1Config {
  const cfg = ctx.config;
  if (!cfg) throw new ValueError(`${ctx.name}: needs the checkpoint's config.json (a bare safetensors file has none)`);
  const v = configVariant(cfg);
  if (v !== 's1' && v !== 'mini') {
    throw new ValueError(`${ctx.name}: serves the InternViT tower of Intern-S1 / Intern-S1-mini; this checkpoint is '${cfg.model_type}' (${v})`);
  }
  return cfg as InternS1Config;
}

const PIXELS = {
  name: 'pixel_values', dtypes: ['F32', 'F64'], shape: ['N', 'C', 'H', 'W'],
  description: 'ImageNet-normalised tiles [N, 3, H, W] (intern-s1 preprocess-image; H, W multiples of the patch size)',
} as const;

/** The input channels must be the config's num_channels (3). */
const dims = (ctx: ComponentContext) => ({ C: s1Config(ctx).vision_config.num_channels });

/** Names under `prefix` that `fromWeights` will read (checked before running: one message for all missing). */
function needed(ctx: ComponentContext, projector: boolean): string[] {
  const v = s1Config(ctx).vision_config;
  const p = 'model.vision_tower';
  const names = [`${p}.embeddings.cls_token`, `${p}.embeddings.patch_embeddings.projection.weight`, `${p}.embeddings.patch_embeddings.projection.bias`];
  if (v.use_absolute_position_embeddings) names.push(`${p}.embeddings.position_embeddings`);
  for (let i = 0; i < v.num_hidden_layers; i++) {
    const l = `${p}.encoder.layer.${i}`;
    names.push(`${l}.attention.q_proj.weight`, `${l}.attention.k_proj.weight`, `${l}.attention.v_proj.weight`);
    names.push(`${l}.attention.projection_layer.weight`, `${l}.lambda_1`, `${l}.lambda_2`, `${l}.mlp.fc1.weight`, `${l}.mlp.fc2.weight`);
    names.push(`${l}.layernorm_before.weight`, `${l}.layernorm_after.weight`);
    if (v.use_qk_norm) names.push(`${l}.attention.q_norm.weight`, `${l}.attention.k_norm.weight`);
  }
  if (projector) names.push(...['layer_norm', 'linear_1', 'linear_2'].map((n) => `model.multi_modal_projector.${n}.weight`));
  return names;
}

registerComponent({
  name: 'vision.encoder',
  description: 'InternViT encoder (spec 6.1.2): pixel_values -> last_hidden_state (Intern-S1 / -mini)',
  inputs: [PIXELS],
  outputs: [{ name: 'last_hidden_state', dtype: 'F32', description: '[N, 1 + P, C]: CLS then the patches row-major, P = (H/14)(W/14)' }],
  dims,
  weightsNeeded: (ctx) => needed(ctx, false),
  run(ctx, { pixel_values }) {
    const vit = InternVisionModel.fromWeights(s1Config(ctx).vision_config, ctx.weights);
    try {
      return { last_hidden_state: vit.forward(pixel_values as tf.Tensor).lastHiddenState };
    } finally {
      vit.dispose();
    }
  },
  reference(ctx, { pixel_values }): { last_hidden_state: NDArray } {
    const vit = ref.InternVisionModel.fromWeights(s1Config(ctx).vision_config, ctx.weights);
    return { last_hidden_state: vit.forward(pixel_values).lastHiddenState };
  },
});

registerComponent({
  name: 'vision',
  description: 'InternViT + drop CLS + pixel shuffle + projector (spec 6.1.2-6.1.3): pixel_values -> image_features (Intern-S1 / -mini)',
  inputs: [PIXELS],
  outputs: [{ name: 'image_features', dtype: 'F32', description: '[N·Q, D]: Q = (H/28)(W/28) rows per tile (256 at 448), tiles in order' }],
  dims,
  weightsNeeded: (ctx) => needed(ctx, true),
  run(ctx, { pixel_values }) {
    const tower = InternS1VisionTower.fromWeights(s1Config(ctx), ctx.weights);
    try {
      return { image_features: tower.forward(pixel_values) };
    } finally {
      tower.dispose();
    }
  },
  reference(ctx, { pixel_values }): { image_features: NDArray } {
    return { image_features: RefInternS1VisionTower.fromWeights(s1Config(ctx), ctx.weights).forward(pixel_values) };
  },
});

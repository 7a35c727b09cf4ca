/**
 * The `model` component of `intern-s1 run`: the whole model (spec 8), `input_ids [B, T]` with the
 * media placeholders already expanded, plus optional media, → `logits [B, T, V]`.
 *
 * - Intern-S1 / mini: `pixel_values [N, 3, H, W]` (InternVL tiles, `intern-s1 preprocess-image`).
 * - Intern-S1-Pro: `pixel_values [P, 1536]` with `image_grid_thw [N, 3]`, and/or one normalised
 *   `signal [T, C]` with `sampling_rate []` (as `time_series` takes them).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as ref from '../../../reference/models/intern-s1/index.js';
import type { NDArray } from '../../../reference/ndarray.js';
import { toFlat } from '../../../reference/ndarray.js';
import { ValueError } from '../../errors.js';
import { type ComponentContext, registerComponent } from '../../io/components.js';
import type { ModelConfig } from '../../io/configs/model.js';
import { textPrefix } from '../../io/layout.js';
import { InternS1ForConditionalGeneration, type ModelInputs } from '../../models/intern-s1/model.js';

function configOf(ctx: ComponentContext): ModelConfig {
  if (!ctx.config) throw new ValueError(`${ctx.name}: needs the checkpoint's config.json (a bare safetensors file has none)`);
  return ctx.config;
}

/** Rows of an integer `[B, T]` tensor or array as nested numbers. */
function rows(values: ArrayLike<number>, shape: readonly number[]): number[][] {
  const [B, T] = shape.length === 2 ? shape : [1, shape[0]];
  return Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => values[b * T + t]));
}

/** `[N, 3]` grid rows as triples. */
function grids(values: ArrayLike<number>): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let i = 0; i + 2 < values.length; i += 3) out.push([values[i], values[i + 1], values[i + 2]]);
  return out;
}

function checkSeries(ctx: ComponentContext, inputs: Record<string, unknown>): void {
  if ((inputs.signal === undefined) !== (inputs.sampling_rate === undefined)) throw new ValueError(`${ctx.name}: 'signal' and 'sampling_rate' go together`);
}

registerComponent({
  name: 'model',
  description: 'the whole model (spec 8): input_ids with expanded placeholders + optional pixel_values / image_grid_thw / signal / sampling_rate -> logits',
  inputs: [
    { name: 'input_ids', dtypes: ['I64', 'I32'], shapes: [['B', 'T'], ['T']], description: 'token ids [B, T], media placeholders expanded' },
    { name: 'pixel_values', dtypes: ['F32', 'F64'], optional: true, description: 'S1/mini: tiles [N, 3, H, W]; Pro: patches [P, 1536]' },
    { name: 'image_grid_thw', dtypes: ['I64', 'I32'], shape: ['N', 3], optional: true, description: 'Pro: [t, gh, gw] per image' },
    { name: 'signal', dtypes: ['F32', 'F64'], shape: ['S', 'C'], optional: true, description: 'Pro: one normalised signal [S samples, C channels]' },
    { name: 'sampling_rate', dtypes: ['F64', 'F32'], shape: [], optional: true, description: 'Pro: its sampling rate in Hz' },
  ],
  outputs: [{ name: 'logits', dtype: 'F32', description: '[B, T, V]' }],
  weightsNeeded: (ctx) => {
    const cfg = configOf(ctx);
    const names = [textPrefix(cfg)];
    if (!('tie_word_embeddings' in cfg) || !cfg.tie_word_embeddings) names.push('lm_head.weight');
    if (cfg.model_type === 'interns1_pro') names.push('model.visual.');
    else if (cfg.model_type === 'intern_s1' || cfg.model_type === 'interns1') names.push('model.vision_tower.', 'model.multi_modal_projector.');
    if ('ts_config' in cfg && cfg.ts_config) names.push('model.time_series.');
    return names;
  },
  run(ctx, inputs) {
    checkSeries(ctx, inputs);
    const { input_ids: ids, pixel_values: pv, image_grid_thw: grid, signal, sampling_rate: rate } = inputs;
    const model = InternS1ForConditionalGeneration.fromWeights(configOf(ctx), ctx.weights, { vision: pv !== undefined, timeSeries: signal !== undefined });
    try {
      const x: ModelInputs = {
        inputIds: rows(ids.dataSync(), ids.shape),
        images: pv ? { pixelValues: pv, gridThw: grid ? grids(grid.dataSync()) : undefined } : undefined,
        series: signal ? [{ signal, samplingRate: rate.dataSync()[0], preprocessed: true }] : undefined,
      };
      const out = model.forward(x, { logits: 'all' });
      out.hidden.dispose();
      return { logits: out.logits as tf.Tensor };
    } finally {
      model.dispose();
    }
  },
  reference(ctx, inputs): { logits: NDArray } {
    checkSeries(ctx, inputs);
    const { input_ids: ids, pixel_values: pv, image_grid_thw: grid, signal, sampling_rate: rate } = inputs;
    const model = ref.InternS1ForConditionalGeneration.fromWeights(configOf(ctx) as never, ctx.weights, { vision: pv !== undefined, timeSeries: signal !== undefined });
    const out = model.forward({
      inputIds: rows(toFlat(ids), ids.shape),
      images: pv ? { pixelValues: pv, gridThw: grid ? grids(toFlat(grid)) : undefined } : undefined,
      series: signal ? [{ signal, samplingRate: rate.get(), preprocessed: true }] : undefined,
    }, { logits: 'all' });
    return { logits: out.logits! };
  },
});

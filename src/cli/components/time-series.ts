/**
 * The `time_series` component of `intern-s1 run`: the Intern-S1-Pro time-series tower (spec 7),
 * `signal [T, C]` (normalised, as `intern-s1 preprocess-series` writes it or lmdeploy's processor
 * returns it) + `sampling_rate []` → `ts_features [N_ts, out_hidden_size]`.
 *
 * Note: the runner hands float inputs to the fast path as float32, so there `sampling_rate` is
 * rounded to float32 before the (float64) stride is computed; integer rates up to 2^24 Hz and the
 * usual decimal rates give the same stride either way. The reference path reads it in float64.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as ref from '../../../reference/models/time-series/index.js';
import type { NDArray } from '../../../reference/ndarray.js';
import { ValueError } from '../../errors.js';
import { type ComponentContext, registerComponent } from '../../io/components.js';
import type { TimeSeriesConfig } from '../../io/config.js';
import { TimeSeriesModel } from '../../models/time-series/index.js';

const PREFIX = 'model.time_series';

/** The checkpoint's `ts_config`, or a ValueError naming the component. */
function tsConfig(ctx: ComponentContext): TimeSeriesConfig {
  const cfg = ctx.config;
  if (!cfg) throw new ValueError(`${ctx.name}: needs the checkpoint's config.json (a bare safetensors file has none)`);
  const ts = 'ts_config' in cfg ? cfg.ts_config : null; // Intern-S1(-Pro) configs; a bare text config has none
  if (!ts) throw new ValueError(`${ctx.name}: the checkpoint's config.json has no ts_config (spec 7.6: the Feb-2026 Intern-S1-Pro config has none)`);
  return ts;
}

/** The tensors `TimeSeriesModel.fromWeights` reads (`pos_encoder.pe` is optional). */
function needed(ctx: ComponentContext): string[] {
  const c = tsConfig(ctx);
  const wb = (n: string) => [`${n}.weight`, `${n}.bias`];
  const t = `${PREFIX}.encoder_embed.transformer_encoder.layers.0`;
  const e = `${PREFIX}.encoder`;
  const names = [
    ...wb(`${PREFIX}.encoder_embed.conv`), `${t}.self_attn.in_proj_weight`, `${t}.self_attn.in_proj_bias`,
    ...['self_attn.out_proj', 'linear1', 'linear2', 'norm1', 'norm2'].flatMap((n) => wb(`${t}.${n}`)),
    ...['adapt_in', 'conv1', 'conv2', 'layer_norm', 'adapt_out'].flatMap((n) => wb(`${e}.${n}`)), `${e}.embed_positions.weight`,
    ...['layer_norm', 'linear_1', 'linear_2'].flatMap((n) => wb(`${PREFIX}.projector.${n}`)),
  ];
  for (let j = 0; j < c.encoder_layers; j++) {
    const l = `${e}.layers.${j}`;
    names.push(`${l}.self_attn.k_proj.weight`); // no k_proj bias in HF Whisper (a stored one is used)
    for (const n of ['self_attn.q_proj', 'self_attn.v_proj', 'self_attn.out_proj', 'self_attn_layer_norm', 'fc1', 'fc2', 'final_layer_norm']) names.push(...wb(`${l}.${n}`));
  }
  return names;
}

registerComponent({
  name: 'time_series',
  description: 'Intern-S1-Pro time-series tower (spec 7): normalised signal + sampling_rate -> ts_features',
  inputs: [
    { name: 'signal', dtypes: ['F32', 'F64'], shape: ['T', 'C'], description: 'normalised signal [T, C] (intern-s1 preprocess-series), T <= 1000000' },
    { name: 'sampling_rate', dtypes: ['F64', 'F32'], shape: [], description: 'sampling rate in Hz, a scalar > 0' },
  ],
  outputs: [{ name: 'ts_features', dtype: 'F32', description: '[N_ts, out_hidden_size]: one LM embedding per <TS_CONTEXT> token' }],
  weightsNeeded: needed,
  run(ctx, { signal, sampling_rate }) {
    const model = TimeSeriesModel.fromWeights(tsConfig(ctx), ctx.weights, PREFIX);
    try {
      return { ts_features: model.forward(signal as tf.Tensor2D, sampling_rate.dataSync()[0]).features };
    } finally {
      model.dispose();
    }
  },
  reference(ctx, { signal, sampling_rate }): { ts_features: NDArray } {
    const model = ref.TimeSeriesModel.fromWeights(tsConfig(ctx), ctx.weights, PREFIX);
    return { ts_features: model.forward(signal, sampling_rate.get()).features };
  },
});

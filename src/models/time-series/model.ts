/**
 * The Intern-S1-Pro time-series tower (spec 7): patch encoder → concat subsampling → Whisper-style
 * encoder → projector, giving one LM embedding per `<TS_CONTEXT>` token. Checkpoint prefix
 * `model.time_series.` [I, spec 9.3].
 *
 * The forward streams the patch encoder batch by batch: each batch of patches (an even count, so
 * pairs never straddle batches) is encoded, paired (concat subsampling) and mapped by `adapt_in`
 * to 80 features, and only those `[L2, 80]` rows are kept. So a 10^6-sample, 3-channel signal never
 * holds all its patches at once. Every count comes from one {@link timeSeriesPlan}, so the number
 * of rows returned always equals {@link timeSeriesTokenCount}.
 *
 * Legend: T samples, C channels, L1 patches, L2 pairs, L3 = N_ts output rows, D_text the LM width.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { InternS1Error } from '../../errors.js';
import type { TimeSeriesConfig } from '../../io/configs/time-series.js';
import { loadAll } from '../../io/load.js';
import type { WeightSource } from '../../io/weights.js';
import { type ActivationFn, activation } from '../../nn/activation.js';
import { Linear } from '../../nn/linear.js';
import { LayerNorm } from '../../nn/norm.js';
import { scope } from '../../nn/scope.js';
import { concat, reshape, slice } from '../../ops/shape.js';
import { type PatchEncoderOptions, TS_PATCH_DIM, TimeSeriesPatchEncoder } from './patch-encoder.js';
import { type TimeSeriesPlan, type TimeSeriesPlanOptions, timeSeriesPlan } from './plan.js';
import { type PreprocessOptions, type PreprocessedTimeSeries, preprocessTimeSeries, readSignal } from './processor.js';
import { type WhisperEncoderOptions, type WhisperForwardOptions, TimeSeriesWhisperEncoder } from './whisper.js';
import { TS_PROJECTOR_LN_EPS } from './constants.js';
import type { TimeSeriesForwardOptions } from './options.js';

export type { TimeSeriesForwardOptions } from './options.js';

export { TS_PROJECTOR_LN_EPS } from './constants.js';

/** `projector` (spec 7.4): `LN(1e-5) → linear_1 → act → linear_2`, `[n, ts_hidden_dim]` → `[n, out_hidden_size]`. */
export class TimeSeriesProjector {
  constructor(
    /** `layer_norm` over ts_hidden_dim (eps 1e-5). */
    readonly layerNorm: LayerNorm,
    /** `linear_1`, `[out_hidden_size, ts_hidden_dim]` with bias. */
    readonly linear1: Linear,
    /** `linear_2`, `[out_hidden_size, out_hidden_size]` with bias. */
    readonly linear2: Linear,
    /** The activation named by `activation_function`. */
    readonly act: ActivationFn,
  ) {}

  /** Load `<prefix>.layer_norm`, `<prefix>.linear_1`, `<prefix>.linear_2`. */
  static fromWeights(cfg: TimeSeriesConfig, weights: WeightSource, prefix: string): TimeSeriesProjector {
    return loadAll((keep) => {
      const ln = keep(LayerNorm.fromWeights(weights, `${prefix}.layer_norm`, TS_PROJECTOR_LN_EPS));
      const l1 = keep(Linear.fromWeights(weights, `${prefix}.linear_1`, { bias: true, expect: [cfg.out_hidden_size, cfg.ts_hidden_dim] }));
      const l2 = keep(Linear.fromWeights(weights, `${prefix}.linear_2`, { bias: true, expect: [cfg.out_hidden_size, cfg.out_hidden_size] }));
      return new TimeSeriesProjector(ln, l1, l2, activation(cfg.activation_function));
    });
  }

  /** `z [n, ts_hidden_dim]` → `[n, out_hidden_size]`. */
  forward(z: tf.Tensor2D): tf.Tensor2D {
    return scope(() => this.linear2.forward(this.act(this.linear1.forward(this.layerNorm.forward(z)))) as tf.Tensor2D);
  }

  /** Release the norm and both linear layers. */
  dispose(): void {
    for (const m of [this.layerNorm, this.linear1, this.linear2]) m.dispose();
  }
}

/** What {@link TimeSeriesModel.forward} returns; the caller disposes the tensors. */
export interface TimeSeriesOutput {
  /** `[N_ts, out_hidden_size]`: one LM embedding per `<TS_CONTEXT>` token (the `ts_features`). */
  readonly features: tf.Tensor2D;
  /** The plan the signal was patched with (`plan.numTokens` = N_ts = rows of `features`). */
  readonly plan: TimeSeriesPlan;
  /** `E1 [L1, 128]` when `returnPatchFeatures`. */
  readonly patchFeatures?: tf.Tensor2D;
  /** `Z [N_ts, ts_hidden_dim]` when `returnEncoderStates`. */
  readonly encoderStates?: tf.Tensor2D;
}

/** {@link TimeSeriesOutput} of {@link TimeSeriesModel.encode}, plus what the processor did. */
export interface TimeSeriesEncodeOutput extends TimeSeriesOutput {
  /** What the processor did: plan, channel count, original length, truncation, per-channel mean / std, constant channels. */
  readonly preprocessing: Omit<PreprocessedTimeSeries, 'signal'>;
}

/**
 * The time-series tower: `encoder_embed` ({@link TimeSeriesPatchEncoder}), `encoder`
 * ({@link TimeSeriesWhisperEncoder}) and `projector` ({@link TimeSeriesProjector}).
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { type InternS1ProConfig, TimeSeriesModel, memoryWeights, parseConfig, tinyConfigJson, tinyTensors, timeSeriesTokenCount } from 'intern-s1-ts';
 * const json = tinyConfigJson('pro', { vocabSize: 64 });               // a tiny Intern-S1-Pro with a ts_config
 * const cfg = (parseConfig(json) as InternS1ProConfig).ts_config!;
 * const model = TimeSeriesModel.fromWeights(cfg, memoryWeights(tinyTensors(json, { seed: 1 })));
 * const raw = tf.randomNormal([40, 3]);                                 // [T, C] raw samples
 * const out = model.encode(raw, 1);                                     // 1 Hz: stride 2, patch 4
 * console.log(out.features.shape, timeSeriesTokenCount(40, 1));        // => [5, 16], 5
 * out.features.dispose(); model.dispose();
 * ```
 */
export class TimeSeriesModel {
  constructor(
    /** The `ts_config`. */
    readonly cfg: TimeSeriesConfig,
    /** `encoder_embed`: signal patches → per-patch features `[L1, 128]`. */
    readonly patchEncoder: TimeSeriesPatchEncoder,
    /** `encoder`: the Whisper-style encoder, pairs `[L2, 256]` → `[N_ts, ts_hidden_dim]`. */
    readonly encoder: TimeSeriesWhisperEncoder,
    /** `projector`: `[N_ts, ts_hidden_dim]` → `[N_ts, out_hidden_size]`. */
    readonly projector: TimeSeriesProjector,
  ) {}

  /**
   * Load the tower from `<prefix>.encoder_embed.*`, `<prefix>.encoder.*`, `<prefix>.projector.*`
   * (spec 9.3; default prefix `model.time_series`).
   */
  static fromWeights(cfg: TimeSeriesConfig, weights: WeightSource, prefix = 'model.time_series', opts: WhisperEncoderOptions = {}): TimeSeriesModel {
    return loadAll((own) => {
      const patch = own(TimeSeriesPatchEncoder.fromWeights(weights, `${prefix}.encoder_embed`));
      const enc = own(TimeSeriesWhisperEncoder.fromWeights(cfg, weights, `${prefix}.encoder`, opts));
      return new TimeSeriesModel(cfg, patch, enc, TimeSeriesProjector.fromWeights(cfg, weights, `${prefix}.projector`));
    });
  }

  /** The number of feature rows (= prompt tokens) for T samples at `samplingRate` Hz. */
  tokenCount(numSamples: number, samplingRate: number, opts: TimeSeriesPlanOptions = {}): number {
    return timeSeriesPlan(numSamples, samplingRate, opts).numTokens;
  }

  /**
   * Encode a normalised signal (the processor's output; lmdeploy's model input): `[T, C]` or `[T]`
   * float32 at `samplingRate` Hz → `features [N_ts, out_hidden_size]`.
   *
   * @throws ShapeError / DTypeError / ValueError for a bad signal (empty, NaN/Inf, T > 10^6), rate
   *   or option; nothing is allocated before the checks pass.
   */
  forward(signal: tf.Tensor, samplingRate: number, opts: TimeSeriesForwardOptions = {}): TimeSeriesOutput {
    const { data, T, C } = readSignal('TimeSeriesModel.forward', signal);
    const plan = timeSeriesPlan(T, samplingRate, opts);
    return scope(() => {
      const { adapted, patchFeatures } = this.encodePatches(data, C, plan, opts); // [L2, 80], [L1, 128] on request
      const z = this.encoder.forwardAdapted(adapted, opts); // [L3, ts_hidden_dim]
      if (z.shape[0] !== plan.numTokens) throw new InternS1Error(`TimeSeriesModel: internal error, ${z.shape[0]} rows for ${plan.numTokens} planned tokens`);
      const features = this.projector.forward(z); // [L3, D_text]
      return { features, plan, patchFeatures, encoderStates: opts.returnEncoderStates ? z : undefined };
    });
  }

  /**
   * The patch encoder and the adapter, streamed in batches of patches so that a long signal never
   * holds all `L1·C·p` positions: each batch's `E1` rows are paired (concat subsampling), adapted to
   * `[pairs, 80]` and freed (kept only when `returnPatchFeatures`). The batch size B is even, so pairs
   * never straddle batches; an odd last patch is encoded only when its features are asked for.
   */
  private encodePatches(data: Float32Array, C: number, plan: TimeSeriesPlan, opts: TimeSeriesForwardOptions): { adapted: tf.Tensor2D; patchFeatures: tf.Tensor2D | undefined } {
    const B = this.patchEncoder.batchSize(plan, C, opts);
    const need = opts.returnPatchFeatures ? plan.numPatches : 2 * plan.numPairs;
    const e1: tf.Tensor[] = [];
    const adapted: tf.Tensor[] = [];
    for (let n0 = 0; n0 < need; n0 += B) {
      const n1 = Math.min(n0 + B, need);
      const eb = this.patchEncoder.encodeBatch(data, C, plan, n0, n1); // [n1 − n0, 128]
      const pairs = Math.floor((Math.min(n1, 2 * plan.numPairs) - n0) / 2);
      if (pairs > 0) adapted.push(scope(() => this.encoder.adapt(reshape(slice(eb, [0, 0], [2 * pairs, TS_PATCH_DIM]), [pairs, 2 * TS_PATCH_DIM]) as tf.Tensor2D))); // [pairs, 80]
      if (opts.returnPatchFeatures) e1.push(eb);
      else eb.dispose();
    }
    return { adapted: concat(adapted, 0) as tf.Tensor2D, patchFeatures: opts.returnPatchFeatures ? (concat(e1, 0) as tf.Tensor2D) : undefined }; // [L2, 80], [L1, 128]
  }

  /**
   * Preprocess a raw signal ({@link preprocessTimeSeries}: z-score, truncation to `maxSamples`,
   * default 240000) and encode it. The plan and the preprocessing record come back with the features.
   */
  encode(raw: tf.Tensor, samplingRate: number, opts: TimeSeriesForwardOptions & PreprocessOptions = {}): TimeSeriesEncodeOutput {
    const pre = preprocessTimeSeries(raw, samplingRate, opts);
    try {
      const { signal: _signal, ...preprocessing } = pre;
      return { ...this.forward(pre.signal, pre.plan.samplingRate, opts), preprocessing };
    } finally {
      pre.signal.dispose();
    }
  }

  /** Release every part's weights. */
  dispose(): void {
    this.patchEncoder.dispose();
    this.encoder.dispose();
    this.projector.dispose();
  }
}

/**
 * Reference time-series tower (spec 7), float64: patch encoder → concat subsampling → Whisper-style
 * encoder → projector, one output row per `<TS_CONTEXT>` token.
 *
 * @module
 */
import type { NDArray } from '../../ndarray.js';
import { type ActivationFn, activation } from '../../nn/activation.js';
import { Linear } from '../../nn/linear.js';
import { LayerNorm } from '../../nn/norm.js';
import type { WeightSource } from '../../weights.js';
import { type PatchEncoderOptions, TimeSeriesPatchEncoder, concatSubsample } from './patch-encoder.js';
import { type TimeSeriesPlan, type TimeSeriesPlanOptions, timeSeriesPlan } from './plan.js';
import { type PreprocessOptions, type PreprocessedTimeSeries, preprocessTimeSeries, readSignal } from './processor.js';
import { type TimeSeriesConfig, type WhisperEncoderOptions, type WhisperForwardOptions, TimeSeriesWhisperEncoder } from './whisper.js';

/** LayerNorm eps of the projector. */
export const TS_PROJECTOR_LN_EPS = 1e-5;

/** `projector`: `linear_2(act(linear_1(LN(z))))`. */
export class TimeSeriesProjector {
  constructor(readonly layerNorm: LayerNorm, readonly linear1: Linear, readonly linear2: Linear, readonly act: ActivationFn) {}

  static fromWeights(cfg: TimeSeriesConfig, weights: WeightSource, prefix: string): TimeSeriesProjector {
    return new TimeSeriesProjector(
      LayerNorm.fromWeights(weights, `${prefix}.layer_norm`, TS_PROJECTOR_LN_EPS),
      Linear.fromWeights(weights, `${prefix}.linear_1`, { bias: true }),
      Linear.fromWeights(weights, `${prefix}.linear_2`, { bias: true }),
      activation(cfg.activation_function),
    );
  }

  forward(z: NDArray): NDArray {
    return this.linear2.forward(this.act(this.linear1.forward(this.layerNorm.forward(z))));
  }
}

/** Options as in the fast path. */
export interface TimeSeriesForwardOptions extends TimeSeriesPlanOptions, PatchEncoderOptions, WhisperForwardOptions {
  readonly returnPatchFeatures?: boolean;
  readonly returnEncoderStates?: boolean;
}

/** Output as in the fast path. */
export interface TimeSeriesOutput {
  readonly features: NDArray;
  readonly plan: TimeSeriesPlan;
  readonly patchFeatures?: NDArray;
  readonly encoderStates?: NDArray;
}

/** Output of `encode`. */
export interface TimeSeriesEncodeOutput extends TimeSeriesOutput {
  readonly preprocessing: Omit<PreprocessedTimeSeries, 'signal'>;
}

/** The tower: `encoder_embed`, `encoder`, `projector` under `model.time_series.` by default. */
export class TimeSeriesModel {
  constructor(
    readonly cfg: TimeSeriesConfig, readonly patchEncoder: TimeSeriesPatchEncoder,
    readonly encoder: TimeSeriesWhisperEncoder, readonly projector: TimeSeriesProjector,
  ) {}

  static fromWeights(cfg: TimeSeriesConfig, weights: WeightSource, prefix = 'model.time_series', opts: WhisperEncoderOptions = {}): TimeSeriesModel {
    return new TimeSeriesModel(
      cfg, TimeSeriesPatchEncoder.fromWeights(weights, `${prefix}.encoder_embed`),
      TimeSeriesWhisperEncoder.fromWeights(cfg, weights, `${prefix}.encoder`, opts),
      TimeSeriesProjector.fromWeights(cfg, weights, `${prefix}.projector`),
    );
  }

  tokenCount(numSamples: number, samplingRate: number, opts: TimeSeriesPlanOptions = {}): number {
    return timeSeriesPlan(numSamples, samplingRate, opts).numTokens;
  }

  /** A normalised signal `[T, C]` at `samplingRate` Hz → `features [N_ts, out_hidden_size]`. */
  forward(signal: NDArray, samplingRate: number, opts: TimeSeriesForwardOptions = {}): TimeSeriesOutput {
    const { T } = readSignal('TimeSeriesModel.forward', signal);
    const plan = timeSeriesPlan(T, samplingRate, opts);
    const e1 = this.patchEncoder.forward(signal, plan); // [L1, 128]
    const e2 = concatSubsample(e1); // [L2, 256]
    const z = this.encoder.forward(e2, opts); // [L3, ts_adapt_out_dim]
    const features = this.projector.forward(z); // [L3, out_hidden_size]
    return {
      features, plan,
      patchFeatures: opts.returnPatchFeatures ? e1 : undefined,
      encoderStates: opts.returnEncoderStates ? z : undefined,
    };
  }

  /** Preprocess (z-score, truncation) then encode. */
  encode(raw: NDArray, samplingRate: number, opts: TimeSeriesForwardOptions & PreprocessOptions = {}): TimeSeriesEncodeOutput {
    const { signal, ...preprocessing } = preprocessTimeSeries(raw, samplingRate, opts);
    return { ...this.forward(signal, preprocessing.plan.samplingRate, opts), preprocessing };
  }
}

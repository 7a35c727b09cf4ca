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
import { type TimeSeriesPlan, type TimeSeriesPlanOptions, timeSeriesPlan } from '../../../src/models/time-series/plan.js';
import { type PreprocessOptions, type PreprocessedTimeSeries, preprocessTimeSeries, readSignal } from './processor.js';
import { type TimeSeriesConfig, type WhisperEncoderOptions, type WhisperForwardOptions, TimeSeriesWhisperEncoder } from './whisper.js';
import { TS_PROJECTOR_LN_EPS } from '../../../src/models/time-series/constants.js';
import type { TimeSeriesForwardOptions } from '../../../src/models/time-series/options.js';

export type { TimeSeriesForwardOptions } from '../../../src/models/time-series/options.js';

// Shared with the fast path (constants of the release, no twin, DESIGN.md).
export { TS_PROJECTOR_LN_EPS } from '../../../src/models/time-series/constants.js';

/** The time-series projector (spec 7.4), `projector`: `linear_2(act(linear_1(LN(z))))`, `[L3, 1024]` → `[L3, D]`. */
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
    return new TimeSeriesProjector(
      LayerNorm.fromWeights(weights, `${prefix}.layer_norm`, TS_PROJECTOR_LN_EPS),
      Linear.fromWeights(weights, `${prefix}.linear_1`, { bias: true }),
      Linear.fromWeights(weights, `${prefix}.linear_2`, { bias: true }),
      activation(cfg.activation_function),
    );
  }

  /** `z [n, ts_hidden_dim]` → `[n, out_hidden_size]`. */
  forward(z: NDArray): NDArray {
    return this.linear2.forward(this.act(this.linear1.forward(this.layerNorm.forward(z))));
  }
}

/** Output as in the fast path. */
export interface TimeSeriesOutput {
  /** `[N_ts, out_hidden_size]`: one LM embedding per `<TS_CONTEXT>` token. */
  readonly features: NDArray;
  /** The plan the signal was patched with (`plan.numTokens` = N_ts). */
  readonly plan: TimeSeriesPlan;
  /** `E1 [L1, 128]` with `returnPatchFeatures`. */
  readonly patchFeatures?: NDArray;
  /** `Z [N_ts, ts_adapt_out_dim]` with `returnEncoderStates`. */
  readonly encoderStates?: NDArray;
}

/** What `encode` returns: the encoder outputs plus the preprocessing it applied to the signal. */
export interface TimeSeriesEncodeOutput extends TimeSeriesOutput {
  /** What the processor did: plan, channel count, original length, truncation, per-channel mean / std, constant channels. */
  readonly preprocessing: Omit<PreprocessedTimeSeries, 'signal'>;
}

/** The tower: `encoder_embed`, `encoder`, `projector` under `model.time_series.` by default. */
export class TimeSeriesModel {
  constructor(
    /** The `ts_config`. */
    readonly cfg: TimeSeriesConfig,
    /** `encoder_embed`: signal patches → per-patch features `[L1, 128]`. */
    readonly patchEncoder: TimeSeriesPatchEncoder,
    /** `encoder`: pairs `[L2, 256]` → `[N_ts, ts_adapt_out_dim]`. */
    readonly encoder: TimeSeriesWhisperEncoder,
    /** `projector`: `[N_ts, ts_hidden_dim]` → `[N_ts, out_hidden_size]`. */
    readonly projector: TimeSeriesProjector,
  ) {}

  /** Load `<prefix>.encoder_embed.*`, `<prefix>.encoder.*`, `<prefix>.projector.*` (default prefix `model.time_series`). */
  static fromWeights(cfg: TimeSeriesConfig, weights: WeightSource, prefix = 'model.time_series', opts: WhisperEncoderOptions = {}): TimeSeriesModel {
    return new TimeSeriesModel(
      cfg, TimeSeriesPatchEncoder.fromWeights(weights, `${prefix}.encoder_embed`),
      TimeSeriesWhisperEncoder.fromWeights(cfg, weights, `${prefix}.encoder`, opts),
      TimeSeriesProjector.fromWeights(cfg, weights, `${prefix}.projector`),
    );
  }

  /** The number of feature rows (= prompt tokens) for T samples at `samplingRate` Hz. */
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

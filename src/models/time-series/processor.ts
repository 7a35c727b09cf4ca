/**
 * The time-series processor (spec 7.1): validation, per-channel z-score, truncation, and the
 * patching plan, as lmdeploy's `_preprocess_time_series` does before the model sees the signal.
 *
 * The arithmetic is float64 in JS (the signal is read once from its tensor); the normalised
 * signal is returned as a float32 tensor `[T, C]`. Legend: T samples, C channels.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { DTypeError, ShapeError, ValueError } from '../../errors.js';
import { checkTensor, fmtShape } from '../../util/check.js';
import {
  TS_MAX_SAMPLES, type PreprocessOptions, type PreprocessedTimeSeriesInfo, type TimeSeriesPlan, type TimeSeriesPlanOptions,
  type defaultSamplingRate, timeSeriesPlan, // defaultSamplingRate: for a {@link} below
} from './plan.js';

export type { PreprocessOptions, PreprocessedTimeSeriesInfo } from './plan.js';
import { TS_LMDEPLOY_MAX_SAMPLES, TS_ZSCORE_EPS } from './constants.js';

export { TS_LMDEPLOY_MAX_SAMPLES, TS_ZSCORE_EPS } from './constants.js';

/** What {@link preprocessTimeSeries} returns. The caller disposes `signal`. */
export interface PreprocessedTimeSeries extends PreprocessedTimeSeriesInfo {
  /** The normalised, truncated signal `[T, C]` float32 (the model's input). */
  readonly signal: tf.Tensor2D;
}

/** Validate option values; returns the effective max length. */
function checkOptions(op: string, o: PreprocessOptions): number {
  const max = o.maxSamples ?? TS_LMDEPLOY_MAX_SAMPLES;
  if (!Number.isSafeInteger(max) || max < 1 || max > TS_MAX_SAMPLES) {
    throw new ValueError(`${op}: 'maxSamples' must be an integer in [1, ${TS_MAX_SAMPLES}] (TS_MAX_SAMPLES), got ${max}`);
  }
  if (o.overflow !== undefined && o.overflow !== 'truncate' && o.overflow !== 'error') {
    throw new ValueError(`${op}: 'overflow' must be 'truncate' or 'error', got '${String(o.overflow)}'`);
  }
  return max;
}

/**
 * Check a signal tensor (`[T]` or `[T, C]`, float32, non-empty, finite) and read it as `[T, C]`
 * row-major values. Shared by the processor and the model.
 *
 * @throws ShapeError for a rank other than 1 or 2 or an empty signal; DTypeError for a non-float32
 *   tensor; ValueError for NaN or ±Inf samples (naming the first one).
 */
export function readSignal(op: string, signal: tf.Tensor): {
  /** The samples `[T, C]`, row-major (time-major). */
  data: Float32Array;
  /** Samples per channel. */
  T: number;
  /** Channels (1 for a `[T]` signal). */
  C: number;
} {
  checkTensor(op, 'signal', signal);
  if (signal.rank !== 1 && signal.rank !== 2) {
    throw new ShapeError(`${op}: 'signal' must be [T] or [T, C] (samples × channels), got shape ${fmtShape(signal.shape)}`);
  }
  if (signal.dtype !== 'float32') throw new DTypeError(`${op}: 'signal' must be float32, got ${signal.dtype}`);
  const T = signal.shape[0];
  const C: number = signal.rank === 2 ? signal.shape[1]! : 1;
  if (T === 0 || C === 0) throw new ShapeError(`${op}: 'signal' is empty (shape ${fmtShape(signal.shape)}); it needs at least one sample of one channel`);
  const data = signal.dataSync() as Float32Array; // [T, C]
  checkSamples(op, data, C);
  return { data, T, C };
}

/** Throw a ValueError naming the first NaN or ±Inf sample of `data [T, C]` by (time, channel). */
export function checkSamples(op: string, data: ArrayLike<number>, C: number): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new ValueError(`${op}: 'signal' has a non-finite sample ${data[i]} at [${Math.floor(i / C)}, ${i % C}] (time, channel); remove or fill NaN/Inf first`);
    }
  }
}

/**
 * Per-channel z-score over time in float64 (spec 7.1 step 1, numpy's population std):
 * `y[t, c] = (x[t, c] − μ_c) / (σ_c + 1e-8)`, `μ_c = mean_t x[t, c]`,
 * `σ_c = sqrt(mean_t (x[t, c] − μ_c)²)`.
 *
 * Decision for a constant channel (all samples equal, σ = 0 in exact arithmetic): its output is
 * exactly 0. lmdeploy's formula gives rounding noise there instead (`x − mean(x)` is not exactly 0
 * in floating point, and dividing by `~0 + 1e-8` can blow it up to O(1) for large constant values).
 *
 * @returns the normalised values `[T, C]` (float64), and μ, σ and the constant channels.
 * @throws ValueError when T or C is not a positive integer or `data` does not hold T·C values.
 */
export function zScore(data: ArrayLike<number>, T: number, C: number): {
  /** The normalised values `[T, C]`, row-major (exact zeros on constant channels). */
  values: Float64Array;
  /** μ_c per channel `[C]`. */
  mean: Float64Array;
  /** σ_c per channel `[C]` (population std; 0 for a constant channel). */
  std: Float64Array;
  /** Indices of the constant channels, increasing. */
  constant: number[];
} {
  if (!Number.isSafeInteger(T) || T < 1 || !Number.isSafeInteger(C) || C < 1) {
    throw new ValueError(`zScore: 'T' and 'C' must be positive integers, got T = ${T}, C = ${C}`);
  }
  if (data.length !== T * C) throw new ValueError(`zScore: 'data' has ${data.length} values, expected T·C = ${T}·${C} = ${T * C}`);
  const mean = new Float64Array(C);
  const std = new Float64Array(C);
  const constant: number[] = [];
  const values = new Float64Array(T * C);
  for (let c = 0; c < C; c++) {
    let sum = 0;
    let same = true;
    for (let t = 0; t < T; t++) {
      sum += data[t * C + c];
      same &&= data[t * C + c] === data[c];
    }
    const mu = sum / T;
    let sq = 0;
    for (let t = 0; t < T; t++) sq += (data[t * C + c] - mu) ** 2;
    mean[c] = same ? data[c] : mu;
    std[c] = same ? 0 : Math.sqrt(sq / T);
    if (same) constant.push(c);
    else for (let t = 0; t < T; t++) values[t * C + c] = (data[t * C + c] - mu) / (std[c] + TS_ZSCORE_EPS);
  }
  return { values, mean, std, constant };
}

/** What {@link preprocessValues} returns: the normalised values and what was done. */
export interface PreprocessedValues extends Omit<PreprocessedTimeSeries, 'signal'> {
  /** The normalised, truncated signal `[T, C]`, row-major, float64. */
  readonly values: Float64Array;
}

/**
 * The processor on plain values (float64 throughout, for inputs that are float64 already, such as
 * a `.npy` file): `data [T, C]` row-major → normalised, truncated values and the plan. See
 * {@link preprocessTimeSeries} for the steps and the differences from lmdeploy.
 *
 * @throws ShapeError for T or C < 1 or data that does not fill `[T, C]`; ValueError as
 *   {@link preprocessTimeSeries}.
 * @example
 * ```ts
 * import { preprocessValues } from 'intern-s1-ts/internals';
 * const p = preprocessValues([1, 2, 3, 4, 5, 6], 6, 1, 1);
 * console.log(p.plan.numTokens, p.values[0].toFixed(4)); // => 1, '-1.4639'
 * ```
 */
export function preprocessValues(data: ArrayLike<number>, T: number, C: number, samplingRate: number, opts: PreprocessOptions = {}): PreprocessedValues {
  const op = 'preprocessValues';
  const max = checkOptions(op, opts);
  if (!Number.isSafeInteger(T) || !Number.isSafeInteger(C) || T < 1 || C < 1 || data.length !== T * C) {
    throw new ShapeError(`${op}: ${data.length} values do not form a non-empty signal [T, C] = [${T}, ${C}]`);
  }
  if (T > max && opts.overflow === 'error') {
    throw new ValueError(`${op}: the signal has ${T} samples, more than maxSamples = ${max} (overflow: 'error')`);
  }
  const kept = Math.min(T, max);
  const plan = timeSeriesPlan(kept, samplingRate, opts); // validates the rate
  checkSamples(op, data, C);
  const z = zScore(data, T, C); // statistics over the whole input, as lmdeploy (normalise, then truncate)
  return {
    values: z.values.subarray(0, kept * C), plan, numChannels: C, originalLength: T, truncated: T > kept,
    mean: z.mean, std: z.std, constantChannels: Object.freeze(z.constant),
  };
}

/**
 * Prepare a raw signal for the encoder as lmdeploy's processor does (spec 7.1): z-score each
 * channel over the whole input, then keep the first `maxSamples` samples (default 240000), then
 * plan the patches (stride computed once in float64, spec 7.5). A 1-D signal becomes `[T, 1]`.
 *
 * Differences from lmdeploy, all deliberate: the sampling rate is required (lmdeploy silently
 * replaces a missing or non-positive rate by `max(T/4, 1)`; pass `defaultSamplingRate`
 * yourself for that); a constant channel gives exact zeros (see {@link zScore}); the values stay
 * float32 (lmdeploy casts them to BF16); signals too short for one token are padded (see
 * {@link TimeSeriesPlanOptions.shortSignal}); and the statistics are float64 whatever the input.
 *
 * @param signal - raw samples `[T]` or `[T, C]` float32.
 * @param samplingRate - Hz, finite and > 0.
 * @param opts - truncation length and policy, short-signal policy.
 * @returns the normalised signal (the caller disposes it), its plan, and the statistics.
 * @throws ShapeError (bad rank, empty), DTypeError (not float32), ValueError (NaN/Inf sample, bad
 *   rate, bad option, too long under `overflow: 'error'`, too short under `shortSignal: 'error'`).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { preprocessTimeSeries } from 'intern-s1-ts';
 * const raw = tf.tensor2d([[1, 10], [2, 10], [3, 10], [4, 10], [5, 10], [6, 10]]); // [T, C]
 * const p = preprocessTimeSeries(raw, 1);
 * console.log(p.plan.stride, p.plan.numTokens, p.constantChannels); // => 2, 1, [ 1 ]
 * p.signal.dispose();
 * ```
 */
export function preprocessTimeSeries(signal: tf.Tensor, samplingRate: number, opts: PreprocessOptions = {}): PreprocessedTimeSeries {
  const { data, T, C } = readSignal('preprocessTimeSeries', signal);
  const { values, ...rest } = preprocessValues(data, T, C, samplingRate, opts);
  return { signal: tf.tensor2d(Float32Array.from(values), [rest.plan.numSamples, C]), ...rest }; // [T, C]
}

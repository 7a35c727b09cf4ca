/**
 * Reference time-series processor (spec 7.1), float64: per-channel z-score over the whole input,
 * truncation, and the plan.
 *
 * @module
 */
import { type NDArray, fromArray, toFlat } from '../../ndarray.js';
import {
  TS_MAX_SAMPLES, type PreprocessOptions, type PreprocessedTimeSeriesInfo, type TimeSeriesPlan, type TimeSeriesPlanOptions, timeSeriesPlan,
} from '../../../src/models/time-series/plan.js';

export type { PreprocessOptions, PreprocessedTimeSeriesInfo } from '../../../src/models/time-series/plan.js';
import { TS_LMDEPLOY_MAX_SAMPLES, TS_ZSCORE_EPS } from '../../../src/models/time-series/constants.js';

// Shared with the fast path (constants of the release, no twin, DESIGN.md).
export { TS_LMDEPLOY_MAX_SAMPLES, TS_ZSCORE_EPS } from '../../../src/models/time-series/constants.js';

/** What the processor returns: the shared fields, with an NDArray signal. */
export interface PreprocessedTimeSeries extends PreprocessedTimeSeriesInfo {
  /** The normalised, truncated signal `[T, C]`. */
  readonly signal: NDArray;
}

/** A `[T]` or `[T, C]` signal as `[T, C]` row-major values; throws on an empty or non-finite signal. */
export function readSignal(op: string, signal: NDArray): {
  /** The samples `[T, C]`, row-major (time-major). */
  data: Float64Array;
  /** Samples per channel. */
  T: number;
  /** Channels (1 for a `[T]` signal). */
  C: number;
} {
  if (signal.shape.length !== 1 && signal.shape.length !== 2) throw new Error(`${op}: signal must be [T] or [T, C]`);
  const T = signal.shape[0];
  const C = signal.shape.length === 2 ? signal.shape[1] : 1;
  if (T === 0 || C === 0) throw new Error(`${op}: signal is empty`);
  const data = toFlat(signal);
  for (const v of data) if (!Number.isFinite(v)) throw new Error(`${op}: signal has a non-finite sample ${v}`);
  return { data, T, C };
}

/**
 * `y[t, c] = (x[t, c] − μ_c) / (σ_c + 1e-8)` with `μ_c = (1/T) Σ_t x[t, c]` and the population std
 * `σ_c = sqrt((1/T) Σ_t (x[t, c] − μ_c)²)`; a channel whose samples are all equal gives zeros.
 */
export function zScore(data: ArrayLike<number>, T: number, C: number): {
  /** The normalised values `[T, C]`, row-major (zeros on constant channels). */
  values: Float64Array;
  /** μ_c per channel `[C]`. */
  mean: Float64Array;
  /** σ_c per channel `[C]` (0 for a constant channel). */
  std: Float64Array;
  /** Indices of the constant channels, increasing. */
  constant: number[];
} {
  const values = new Float64Array(T * C);
  const mean = new Float64Array(C);
  const std = new Float64Array(C);
  const constant: number[] = [];
  for (let c = 0; c < C; c++) {
    const column: number[] = [];
    for (let t = 0; t < T; t++) column.push(data[t * C + c]);
    if (column.every((v) => v === column[0])) {
      mean[c] = column[0];
      constant.push(c);
      continue; // std 0: the output stays 0
    }
    mean[c] = column.reduce((a, b) => a + b, 0) / T;
    std[c] = Math.sqrt(column.reduce((a, v) => a + (v - mean[c]) ** 2, 0) / T);
    for (let t = 0; t < T; t++) values[t * C + c] = (column[t] - mean[c]) / (std[c] + TS_ZSCORE_EPS);
  }
  return { values, mean, std, constant };
}

/** What `preprocessValues` returns (as the fast path). */
export interface PreprocessedValues extends Omit<PreprocessedTimeSeries, 'signal'> {
  /** The normalised, truncated values `[T, C]`, row-major. */
  readonly values: Float64Array;
}

/** The processor on plain values `data [T, C]`: normalise over the whole input, keep `maxSamples`, plan. */
export function preprocessValues(data: ArrayLike<number>, T: number, C: number, samplingRate: number, opts: PreprocessOptions = {}): PreprocessedValues {
  const max = opts.maxSamples ?? TS_LMDEPLOY_MAX_SAMPLES;
  if (!Number.isSafeInteger(max) || max < 1 || max > TS_MAX_SAMPLES) throw new Error(`maxSamples out of range: ${max}`);
  if (T < 1 || C < 1 || data.length !== T * C) throw new Error(`${data.length} values do not form a signal [${T}, ${C}]`);
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) throw new Error(`signal has a non-finite sample ${data[i]}`);
  if (T > max && opts.overflow === 'error') throw new Error(`signal has ${T} samples, more than maxSamples ${max}`);
  const kept = Math.min(T, max);
  const plan = timeSeriesPlan(kept, samplingRate, opts);
  const z = zScore(data, T, C);
  return {
    values: z.values.subarray(0, kept * C), plan, numChannels: C, originalLength: T, truncated: T > kept,
    mean: z.mean, std: z.std, constantChannels: z.constant,
  };
}

/** Normalise over the whole input, keep the first `maxSamples` (default 240000), plan. */
export function preprocessTimeSeries(signal: NDArray, samplingRate: number, opts: PreprocessOptions = {}): PreprocessedTimeSeries {
  const { data, T, C } = readSignal('preprocessTimeSeries', signal);
  const { values, ...rest } = preprocessValues(data, T, C, samplingRate, opts);
  return { signal: fromArray(values, [rest.plan.numSamples, C]), ...rest };
}

/** Throw on the first NaN or ±Inf sample. */
export function checkSamples(op: string, data: ArrayLike<number>, _C: number): void {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) throw new Error(`${op}: signal has a non-finite sample ${data[i]}`);
}

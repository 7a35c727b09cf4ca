/**
 * The adaptive patching plan of the Intern-S1-Pro time-series encoder (spec 7.2, 7.5): stride,
 * patch size, number of patches, zero padding and the number of placeholder tokens, all from
 * one float64 computation of the stride.
 *
 * Why one function: lmdeploy computes the stride twice, in float64 in the processor (which sets the
 * number of `<TS_CONTEXT>` tokens in the prompt) and in float32 in the model (which sets the number
 * of feature rows). For about 1.7 kHz ≤ sr < 3.7 kHz they disagree (159 vs 160, spec 7.5 trap,
 * gotcha 10.13). Here the processor, the token count and the model all read {@link timeSeriesPlan},
 * so the prompt and the encoder can never disagree (spec 12, decision 3: the stride in float64).
 *
 * Pure float64 arithmetic, no tensors.
 *
 * @module
 */
import { ValueError } from '../../errors.js';

/** The stride for high sampling rates: `floor(160 / (1 + e^(−sr/100))^6) → 160` (spec 7.2). */
export const TS_MAX_STRIDE = 160;

/**
 * The longest signal (samples per channel) the encoder accepts: 10^6, the range the Intern-S1-Pro
 * README claims (10^0 to 10^6 points). Decision: longer signals are refused with a ValueError
 * rather than run, since nothing beyond it was ever described or measured, and the causal
 * attention of the Whisper stack costs O(N_ts²) time (memory stays linear: it is chunked).
 */
export const TS_MAX_SAMPLES = 1_000_000;

/** How a signal too short for one token is handled (see {@link TimeSeriesPlanOptions}). */
export type ShortSignalPolicy = 'pad' | 'error';

/** The short-signal policy option of {@link timeSeriesPlan}. */
export interface TimeSeriesPlanOptions {
  /**
   * A signal with `T ≤ p` (the patch size 2s) gives `L1 ≤ 1` patches; lmdeploy then fails (its
   * concat subsampling drops the odd row and leaves nothing to encode, or asserts `L1 > 0`).
   * `'pad'` (default): extend the end zero-padding to two patches (`L1 = 2`, one token), the same
   * zero padding the released code applies to every signal, only longer; so T = 1 works, as the
   * README's "10^0 points" promises. `'error'`: throw a ValueError instead, as lmdeploy would.
   * Signals with `T > p` are never affected.
   */
  readonly shortSignal?: ShortSignalPolicy;
}

/** The patching plan of one signal (spec 7.2, 7.5). Every count follows from `stride`. */
export interface TimeSeriesPlan {
  /** T: samples per channel fed to the encoder (after any truncation). */
  readonly numSamples: number;
  /** The sampling rate in Hz the stride was computed from. */
  readonly samplingRate: number;
  /** s = ⌊160 / (1 + e^(−sr/100))^6⌋ in float64, in [1, 160]. */
  readonly stride: number;
  /** p = 2s, samples per patch (patches overlap by half). */
  readonly patchSize: number;
  /** L1 = ⌈(T − p)/s⌉ + 1 patches (at least 2 under the `'pad'` policy). */
  readonly numPatches: number;
  /** Zeros appended at the end: (L1 − 1)·s + p − T. */
  readonly padding: number;
  /** L2 = ⌊L1/2⌋ rows after the concat subsampling. */
  readonly numPairs: number;
  /** N_ts = L3 = ⌈L2/2⌉ = (⌊L1/2⌋ + 1) div 2: encoder rows = placeholder tokens in the prompt. */
  readonly numTokens: number;
  /** Whether the `'pad'` policy extended a too-short signal (T ≤ p) to two patches. */
  readonly shortSignalPadded: boolean;
}

/** Throw unless `sr` is a finite positive number. */
function checkRate(op: string, sr: number): void {
  if (typeof sr !== 'number' || !Number.isFinite(sr) || !(sr > 0)) {
    throw new ValueError(
      `${op}: 'samplingRate' must be a finite number > 0 (Hz), got ${sr}; ` +
        `when the rate is unknown pass defaultSamplingRate(T) = max(T/4, 1)`,
    );
  }
}

/**
 * The adaptive stride, computed in float64 (spec 7.2, 7.5):
 *
 * $$ s = \left\lfloor \frac{160}{\big(1 + e^{-\mathrm{sr}/100}\big)^{6}} \right\rfloor $$
 *
 * (ASCII: `s = ⌊160 / (1 + e^(−sr/100))^6⌋`). sr = 1 → 2, 10 → 3, 50 → 9, 100 → 24, 200 → 74,
 * 500 → 153, 1000 → 159, ≥ 3.7 kHz → 160.
 *
 * @param samplingRate - Hz, finite and > 0.
 * @throws ValueError for a rate that is not a finite positive number.
 * @example
 * ```ts
 * import { timeSeriesStride } from 'intern-s1-ts';
 * console.log(timeSeriesStride(100), timeSeriesStride(2500)); // => 24, 159
 * ```
 */
export function timeSeriesStride(samplingRate: number): number {
  checkRate('timeSeriesStride', samplingRate);
  return Math.floor(TS_MAX_STRIDE / Math.pow(1 + Math.exp(-samplingRate / 100), 6));
}

/**
 * The stride as lmdeploy's model computes it, in float32 (`torch.as_tensor(sr, float32)`), each
 * step rounded to float32. For studying the spec 7.5 trap only: it gives 160 where
 * {@link timeSeriesStride} gives 159 for about 1.7 kHz ≤ sr < 3.7 kHz. Nothing in this library
 * patches with it.
 *
 * @example
 * ```ts
 * import { timeSeriesStrideFloat32 } from 'intern-s1-ts/internals';
 * console.log(timeSeriesStrideFloat32(2500)); // => 160
 * ```
 */
export function timeSeriesStrideFloat32(samplingRate: number): number {
  checkRate('timeSeriesStrideFloat32', samplingRate);
  const f = Math.fround;
  const e = f(Math.exp(f(-f(samplingRate) / 100))); // exp(−sr/100) in float32
  const base = f(1 + e);
  return Math.floor(f(TS_MAX_STRIDE / f(Math.pow(base, 6))));
}

/**
 * The sampling rate lmdeploy assumes when none is given (spec 7.1 step 3): `max(T/4, 1)` Hz,
 * with T the number of samples after truncation.
 *
 * @param numSamples - T, a positive integer.
 * @example
 * ```ts
 * import { defaultSamplingRate } from 'intern-s1-ts';
 * console.log(defaultSamplingRate(64000), defaultSamplingRate(2)); // => 16000, 1
 * ```
 */
export function defaultSamplingRate(numSamples: number): number {
  checkSamples('defaultSamplingRate', numSamples);
  return Math.max(numSamples / 4, 1);
}

function checkSamples(op: string, T: number): void {
  if (!Number.isSafeInteger(T) || T < 1) throw new ValueError(`${op}: 'numSamples' must be a positive integer, got ${T}`);
  if (T > TS_MAX_SAMPLES) {
    throw new ValueError(`${op}: ${T} samples exceed the supported maximum of ${TS_MAX_SAMPLES} (TS_MAX_SAMPLES); truncate the signal first`);
  }
}

/**
 * The patching plan for T samples at `samplingRate` Hz (spec 7.2, 7.5): overlapping patches of
 * twice the stride, the zero padding that completes the last one, and the counts after the concat
 * subsampling and the stride-2 convolution,
 *
 * $$
 * s = \left\lfloor \frac{160}{(1 + e^{-\mathrm{sr}/100})^{6}} \right\rfloor, \quad
 * p = 2s, \quad
 * L_1 = \left\lceil \frac{T - p}{s} \right\rceil + 1, \quad
 * \mathrm{pad} = (L_1 - 1)\,s + p - T, \quad
 * L_2 = \lfloor L_1 / 2 \rfloor, \quad
 * N_{ts} = \lceil L_2 / 2 \rceil .
 * $$
 *
 * ASCII: `s = ⌊160/(1+e^(−sr/100))^6⌋` (float64), `p = 2s`, `L1 = ⌈(T−p)/s⌉ + 1`,
 * padding `(L1−1)·s + p − T`, `L2 = ⌊L1/2⌋`, `N_ts = ⌈L2/2⌉ = (⌊L1/2⌋+1) div 2`.
 * Example: T = 64000 at 16 kHz gives s = 160, p = 320, L1 = 399, L2 = 199, N_ts = 100.
 *
 * @param numSamples - T, samples per channel, 1 ≤ T ≤ {@link TS_MAX_SAMPLES}.
 * @param samplingRate - Hz, finite and > 0 (see {@link defaultSamplingRate} when unknown).
 * @param opts - the short-signal policy ({@link TimeSeriesPlanOptions}).
 * @throws ValueError for a bad T or rate, or a signal with T ≤ p under `shortSignal: 'error'`.
 * @example
 * ```ts
 * import { timeSeriesPlan } from 'intern-s1-ts';
 * const plan = timeSeriesPlan(64000, 4000);
 * console.log(plan.stride, plan.numPatches, plan.numPairs, plan.numTokens); // => 160, 399, 199, 100
 * ```
 */
export function timeSeriesPlan(numSamples: number, samplingRate: number, opts: TimeSeriesPlanOptions = {}): TimeSeriesPlan {
  checkSamples('timeSeriesPlan', numSamples);
  checkRate('timeSeriesPlan', samplingRate);
  const policy = opts.shortSignal ?? 'pad';
  if (policy !== 'pad' && policy !== 'error') throw new ValueError(`timeSeriesPlan: 'shortSignal' must be 'pad' or 'error', got '${String(policy)}'`);
  const s = timeSeriesStride(samplingRate);
  const p = 2 * s;
  const T = numSamples;
  const released = Math.ceil((T - p) / s) + 1; // lmdeploy's L1 (≤ 1 when T ≤ p)
  if (released < 2 && policy === 'error') {
    throw new ValueError(
      `timeSeriesPlan: a signal of ${T} samples at ${samplingRate} Hz is too short: the patch size is ${p} ` +
        `(stride ${s}), so it gives ${Math.max(released, 0)} patch(es) and no token; it needs at least ${p + 1} samples`,
    );
  }
  const L1 = Math.max(released, 2);
  const L2 = Math.floor(L1 / 2);
  return Object.freeze({
    numSamples: T, samplingRate, stride: s, patchSize: p, numPatches: L1,
    padding: (L1 - 1) * s + p - T, numPairs: L2, numTokens: Math.floor((L2 + 1) / 2),
    shortSignalPadded: released < 2,
  });
}

/**
 * The number of `<TS_CONTEXT>` placeholder tokens a prompt needs for a signal of T samples at
 * `samplingRate` Hz (spec 7.5, 8.2),
 *
 * $$ N_{ts} = \left\lfloor \frac{\lfloor L_1/2 \rfloor + 1}{2} \right\rfloor, \qquad L_1 = \left\lceil \frac{T - 2s}{s} \right\rceil + 1 $$
 *
 * (ASCII: `N_ts = (⌊L1/2⌋ + 1) div 2`), from the same plan the encoder patches with, so it always
 * equals the number of rows the encoder returns.
 *
 * @example
 * ```ts
 * import { timeSeriesTokenCount } from 'intern-s1-ts';
 * console.log(timeSeriesTokenCount(64000, 16000)); // => 100
 * ```
 */
export function timeSeriesTokenCount(numSamples: number, samplingRate: number, opts: TimeSeriesPlanOptions = {}): number {
  return timeSeriesPlan(numSamples, samplingRate, opts).numTokens;
}

/** Options of `preprocessTimeSeries` (both trees; defaults are lmdeploy's). */
export interface PreprocessOptions extends TimeSeriesPlanOptions {
  /**
   * Keep at most this many samples per channel (default `TS_LMDEPLOY_MAX_SAMPLES` = 240000,
   * lmdeploy's value, so prompts and features match lmdeploy). Raise it up to
   * {@link TS_MAX_SAMPLES} (10^6, the README's range) to encode longer signals; the encoder's
   * memory stays bounded (patches are processed in batches, attention in chunks).
   */
  readonly maxSamples?: number;
  /** What to do with a longer signal: `'truncate'` (default, as lmdeploy) or `'error'`. */
  readonly overflow?: 'truncate' | 'error';
}

/**
 * What `preprocessTimeSeries` returns besides the signal itself (whose type differs: a float32
 * tensor in the fast path, an NDArray in the reference): the plan and the per-channel statistics.
 */
export interface PreprocessedTimeSeriesInfo {
  /** The patching plan for `signal` (token count, stride, patch size...). */
  readonly plan: TimeSeriesPlan;
  /** C. */
  readonly numChannels: number;
  /** Samples per channel before truncation. */
  readonly originalLength: number;
  /** Whether samples were cut off (originalLength > plan.numSamples). */
  readonly truncated: boolean;
  /** Per-channel mean over the whole input (before truncation), float64. */
  readonly mean: Float64Array;
  /** Per-channel population std over the whole input (0 for a constant channel), float64. */
  readonly std: Float64Array;
  /** Channels whose samples are all equal: they normalise to exact zeros (see `zScore`). */
  readonly constantChannels: readonly number[];
}

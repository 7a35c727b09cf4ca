/**
 * Reference patching plan of the time-series encoder (spec 7.2, 7.5), float64: the stride, patch
 * size, patch count, padding and token count, written as the spec states them.
 *
 * @module
 */

/** `floor(160 / (1 + e^(−sr/100))^6) → 160` for large rates (spec 7.2). */
export const TS_MAX_STRIDE = 160;

/** The longest signal accepted, 10^6 samples per channel (the README's range). */
export const TS_MAX_SAMPLES = 1_000_000;

/** `'pad'`: a signal with T ≤ p is zero-padded to two patches; `'error'`: it is refused. */
export type ShortSignalPolicy = 'pad' | 'error';

/** Options as in the fast path. */
export interface TimeSeriesPlanOptions {
  /** What to do with a signal of T ≤ p samples (default `'pad'`). */
  readonly shortSignal?: ShortSignalPolicy;
}

/** The plan (same fields as the fast path). */
export interface TimeSeriesPlan {
  /** T: samples per channel fed to the encoder. */
  readonly numSamples: number;
  /** The sampling rate in Hz the stride was computed from. */
  readonly samplingRate: number;
  /** s = ⌊160 / (1 + e^(−sr/100))^6⌋, in samples. */
  readonly stride: number;
  /** p = 2s, samples per patch. */
  readonly patchSize: number;
  /** L1 = ⌈(T − p)/s⌉ + 1 patches (at least 2 under `'pad'`). */
  readonly numPatches: number;
  /** Zeros appended at the end: (L1 − 1)·s + p − T. */
  readonly padding: number;
  /** L2 = ⌊L1/2⌋ rows after the concat subsampling. */
  readonly numPairs: number;
  /** N_ts = (⌊L1/2⌋ + 1) div 2: encoder rows = placeholder tokens in the prompt. */
  readonly numTokens: number;
  /** Whether the `'pad'` policy extended a too-short signal (T ≤ p) to two patches. */
  readonly shortSignalPadded: boolean;
}

function checkRate(sr: number): void {
  if (!Number.isFinite(sr) || !(sr > 0)) throw new Error(`samplingRate must be a finite number > 0, got ${sr}`);
}

/** `s = ⌊160 / (1 + e^(−sr/100))^6⌋` in float64. */
export function timeSeriesStride(samplingRate: number): number {
  checkRate(samplingRate);
  const denominator = (1 + Math.exp(-samplingRate / 100)) ** 6;
  return Math.floor(TS_MAX_STRIDE / denominator);
}

/** The same formula with every intermediate rounded to float32 (what lmdeploy's model computes). */
export function timeSeriesStrideFloat32(samplingRate: number): number {
  checkRate(samplingRate);
  const f32 = Math.fround;
  const e = f32(Math.exp(f32(-f32(samplingRate) / 100)));
  const denominator = f32(f32(1 + e) ** 6);
  return Math.floor(f32(TS_MAX_STRIDE / denominator));
}

/** `max(T/4, 1)` Hz, lmdeploy's rate when none is given. */
export function defaultSamplingRate(numSamples: number): number {
  if (!Number.isSafeInteger(numSamples) || numSamples < 1 || numSamples > TS_MAX_SAMPLES) throw new Error(`numSamples out of range: ${numSamples}`);
  return Math.max(numSamples / 4, 1);
}

/**
 * `s` (float64), `p = 2s`, `L1 = ⌈(T − p)/s⌉ + 1` (at least 2 under `'pad'`),
 * `padding = (L1 − 1)·s + p − T`, `L2 = ⌊L1/2⌋`, `N_ts = (⌊L1/2⌋ + 1) div 2`.
 */
export function timeSeriesPlan(numSamples: number, samplingRate: number, opts: TimeSeriesPlanOptions = {}): TimeSeriesPlan {
  if (!Number.isSafeInteger(numSamples) || numSamples < 1 || numSamples > TS_MAX_SAMPLES) throw new Error(`numSamples out of range: ${numSamples}`);
  const T = numSamples;
  const s = timeSeriesStride(samplingRate);
  const p = 2 * s;
  const releasedL1 = Math.ceil((T - p) / s) + 1;
  if (releasedL1 < 2 && opts.shortSignal === 'error') throw new Error(`a signal of ${T} samples is too short for patch size ${p}`);
  const L1 = Math.max(releasedL1, 2);
  const L2 = Math.floor(L1 / 2);
  return {
    numSamples: T, samplingRate, stride: s, patchSize: p, numPatches: L1, padding: (L1 - 1) * s + p - T,
    numPairs: L2, numTokens: Math.floor((Math.floor(L1 / 2) + 1) / 2), shortSignalPadded: releasedL1 < 2,
  };
}

/** N_ts for T samples at `samplingRate` Hz. */
export function timeSeriesTokenCount(numSamples: number, samplingRate: number, opts: TimeSeriesPlanOptions = {}): number {
  return timeSeriesPlan(numSamples, samplingRate, opts).numTokens;
}

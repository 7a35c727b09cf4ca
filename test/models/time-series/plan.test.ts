/**
 * The patching plan (spec 7.2, 7.5): the spec's numbers, the formulas on random lengths and rates,
 * the token count, errors. The plan is float64 arithmetic on sizes with no reference twin: both
 * trees import src/models/time-series/plan.ts (DESIGN.md).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../../src/errors.js';
import {
  TS_MAX_SAMPLES, defaultSamplingRate, timeSeriesPlan, timeSeriesStride, timeSeriesStrideFloat32, timeSeriesTokenCount,
} from '../../../src/models/time-series/plan.js';
import { runs } from '../../support/runs.js';

/** Rates from 0.01 Hz to 20 kHz, log-uniform, plus the float32-trap band (1.7–3.7 kHz). */
const rateArb = fc.oneof(
  fc.double({ min: -2, max: Math.log10(20000), noNaN: true }).map((e) => 10 ** e),
  fc.double({ min: 1700, max: 3699, noNaN: true }),
  fc.integer({ min: 1, max: 20000 }),
);
const lengthArb = fc.oneof(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: TS_MAX_SAMPLES }));

describe('timeSeriesStride', () => {
  it('gives the values listed in spec 7.2', () => {
    const table: [number, number][] = [[1, 2], [10, 3], [50, 9], [100, 24], [200, 74], [500, 153], [1000, 159], [5000, 160], [1e6, 160]];
    for (const [sr, s] of table) expect(timeSeriesStride(sr), `sr ${sr}`).toBe(s);
  });
  it('is float64: 159 in the 1.7–3.7 kHz band, where the float32 formula (lmdeploy model) gives 160', () => {
    for (const sr of [1700, 2000, 2500, 3000, 3650]) {
      expect(timeSeriesStride(sr)).toBe(159);
      expect(timeSeriesStrideFloat32(sr)).toBe(160);
      // s = 159: L1 = ⌈(64000 − 318)/159⌉ + 1 = 402, N = 101 (a float32 stride of 160 would give 100).
      expect(timeSeriesTokenCount(64000, sr)).toBe(101);
    }
  });
  it('stays in [2, 160], non-decreasing in the rate; the float32 formula differs by at most one', () => {
    fc.assert(fc.property(rateArb, rateArb, (a, b) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      expect(Math.abs(timeSeriesStrideFloat32(a) - timeSeriesStride(a))).toBeLessThanOrEqual(1);
      expect(timeSeriesStride(lo)).toBeLessThanOrEqual(timeSeriesStride(hi));
      expect(timeSeriesStride(a)).toBeGreaterThanOrEqual(2);
      expect(timeSeriesStride(a)).toBeLessThanOrEqual(160);
    }), { numRuns: runs(200) });
  });
  it('rejects rates that are not finite positive numbers, naming the way out', () => {
    for (const sr of [0, -1, NaN, Infinity, -Infinity]) {
      expect(() => timeSeriesStride(sr)).toThrow(ValueError);
      expect(() => timeSeriesPlan(10, sr)).toThrow(/samplingRate.*defaultSamplingRate/);
    }
  });
});

describe('timeSeriesPlan', () => {
  it('matches the worked example of spec 7.5 (T 64000, sr >= 4 kHz: s 160, L1 399, L2 199, N 100)', () => {
    const p = timeSeriesPlan(64000, 4000);
    expect([p.stride, p.patchSize, p.numPatches, p.numPairs, p.numTokens]).toEqual([160, 320, 399, 199, 100]);
    expect(p.padding).toBe(398 * 160 + 320 - 64000);
  });
  it('follows the formulas of spec 7.2 / 7.5', () => {
    fc.assert(fc.property(lengthArb, rateArb, (T, sr) => {
      const p = timeSeriesPlan(T, sr);
      const s = timeSeriesStride(sr);
      const released = Math.ceil((T - 2 * s) / s) + 1;
      expect(p.stride).toBe(s);
      expect(p.patchSize).toBe(2 * s);
      expect(p.numPatches).toBe(Math.max(released, 2));
      expect(p.shortSignalPadded).toBe(released < 2);
      expect(p.numPairs).toBe(Math.floor(p.numPatches / 2));
      // N_ts = (⌊L1/2⌋ + 1) div 2 = ⌈L2/2⌉: the output length of conv2 (k 3, stride 2, padding 1).
      expect(p.numTokens).toBe(Math.floor((Math.floor(p.numPatches / 2) + 1) / 2));
      expect(p.numTokens).toBe(Math.floor((p.numPairs + 2 - 3) / 2) + 1);
      expect(p.numTokens).toBeGreaterThanOrEqual(1);
      // The patches cover the signal: the last one ends at or after T, and padding is what it adds.
      expect((p.numPatches - 1) * s + p.patchSize).toBe(T + p.padding);
      expect(p.padding).toBeGreaterThanOrEqual(0);
      if (!p.shortSignalPadded) expect(p.padding).toBeLessThan(s);
      expect(timeSeriesTokenCount(T, sr)).toBe(p.numTokens);
    }), { numRuns: runs(300) });
  });
  it("pads a too-short signal to two patches ('pad'), or refuses it ('error')", () => {
    for (const T of [1, 2, 3, 4]) {
      const p = timeSeriesPlan(T, 1); // s 2, p 4: lmdeploy would fail for T <= 4
      expect(p.numPatches).toBe(2);
      expect(p.numTokens).toBe(1);
      expect(p.shortSignalPadded).toBe(true);
      expect(() => timeSeriesPlan(T, 1, { shortSignal: 'error' })).toThrow(/too short.*at least 5 samples/);
    }
    expect(timeSeriesPlan(5, 1, { shortSignal: 'error' }).numPatches).toBe(2);
    expect(() => timeSeriesPlan(5, 1, { shortSignal: 'sometimes' as never })).toThrow(ValueError);
  });
  it('rejects bad lengths, and more than 10^6 samples', () => {
    for (const T of [0, -3, 2.5, NaN]) expect(() => timeSeriesPlan(T, 100)).toThrow(/positive integer/);
    expect(() => timeSeriesPlan(TS_MAX_SAMPLES + 1, 100)).toThrow(/exceed the supported maximum of 1000000/);
    expect(timeSeriesPlan(TS_MAX_SAMPLES, 10000).numTokens).toBe(1562); // L1 = 6248 + 1, L2 = 3124
  });
});

describe('defaultSamplingRate', () => {
  it('is max(T/4, 1), as lmdeploy uses when no rate is given', () => {
    expect(defaultSamplingRate(1)).toBe(1);
    expect(defaultSamplingRate(4)).toBe(1);
    expect(defaultSamplingRate(6)).toBe(1.5);
    expect(defaultSamplingRate(64000)).toBe(16000);
    expect(() => defaultSamplingRate(0)).toThrow(ValueError);
  });
});

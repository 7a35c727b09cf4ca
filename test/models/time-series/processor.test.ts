/** The time-series processor (spec 7.1): z-score, truncation, bad input; fast vs reference, leaks. */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, ValueError } from '../../../src/errors.js';
import { TS_LMDEPLOY_MAX_SAMPLES, preprocessTimeSeries, zScore } from '../../../src/models/time-series/processor.js';
import * as R from '../../../reference/models/time-series/processor.js';
import { fromArray, toFlat } from '../../../reference/ndarray.js';
import { assertClose } from '../../support/assert-close.js';
import { mulberry32, normals } from '../../support/arbitraries.js';
import { forEachBackend } from '../../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { runs } from '../../support/runs.js';

/** A seeded signal with channel-specific scale and offset, and optionally constant channels. */
function signal(seed: number, T: number, C: number, constant: number[] = []): Float32Array {
  const z = normals(mulberry32(seed), T * C);
  const x = new Float32Array(T * C);
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) x[t * C + c] = constant.includes(c) ? 7.25 * (c + 1) : 3 * c + (c + 0.5) * z[t * C + c];
  return x;
}

describe('zScore', () => {
  it('is (x − mean) / (population std + 1e-8) per channel, against a hand-computed case', () => {
    // channel 0: [1, 2, 3, 4] → mean 2.5, std sqrt(1.25); channel 1: [0, 0, 0, 8] → mean 2, std sqrt(12)
    const z = zScore([1, 0, 2, 0, 3, 0, 4, 8], 4, 2);
    const s0 = Math.sqrt(1.25) + 1e-8;
    const s1 = Math.sqrt(12) + 1e-8;
    assertClose({ shape: [8], data: z.values }, { shape: [8], data: [-1.5 / s0, -2 / s1, -0.5 / s0, -2 / s1, 0.5 / s0, -2 / s1, 1.5 / s0, 6 / s1] }, { rtol: 1e-14, atol: 0 });
    expect(Array.from(z.mean)).toEqual([2.5, 2]);
    expect(z.constant).toEqual([]);
  });
  it('gives exact zeros (never NaN, never noise) for a constant channel, even at large magnitude', () => {
    const big = 123456789.123;
    const z = zScore([big, 1, big, 2, big, 4], 3, 2);
    expect([z.values[0], z.values[2], z.values[4]]).toEqual([0, 0, 0]);
    expect(z.constant).toEqual([0]);
    expect(z.std[0]).toBe(0);
    const r = R.zScore([big, 1, big, 2, big, 4], 3, 2);
    expect(Array.from(r.values)).toEqual(Array.from(z.values));
  });
  it('fast and reference agree (float64 both)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 4 }), fc.integer(), (T, C, seed) => {
      const x = signal(seed, T, C, seed % 3 === 0 ? [0] : []);
      const a = zScore(x, T, C);
      const b = R.zScore(x, T, C);
      assertClose({ shape: [T * C], data: a.values }, { shape: [T * C], data: b.values }, { rtol: 1e-12, atol: 1e-12 });
      expect(a.constant).toEqual(b.constant);
    }), { numRuns: runs(50) });
  });
});

forEachBackend(() => {
  describe('preprocessTimeSeries', () => {
    it('matches the reference (values, stats, plan) for random signals', async () => {
      await expectNoLeak(() => {
        fc.assert(fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 3 }), fc.double({ min: 0.5, max: 5000, noNaN: true }), fc.integer(), (T, C, sr, seed) => {
          const x = signal(seed, T, C);
          const raw = tf.tensor2d(x, [T, C]);
          const a = preprocessTimeSeries(raw, sr);
          const b = R.preprocessTimeSeries(fromArray(x, [T, C]), sr);
          try {
            assertClose(a.signal, b.signal, { rtol: 1e-6, atol: 1e-6 });
            expect(a.plan).toEqual(b.plan);
            expect(a.numChannels).toBe(C);
            expect(a.truncated).toBe(false);
          } finally {
            raw.dispose();
            a.signal.dispose();
          }
        }), { numRuns: runs(25) });
      });
    });
    it('turns a 1-D signal into [T, 1] and reports constant channels as zeros', () => {
      const raw = tf.tensor1d([5, 5, 5, 5, 5, 5]);
      const p = preprocessTimeSeries(raw, 1);
      expect(p.signal.shape).toEqual([6, 1]);
      expect(Array.from(p.signal.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
      expect(p.constantChannels).toEqual([0]);
      tf.dispose([raw, p.signal]);
    });
    it('normalises over the whole input, then keeps the first maxSamples (lmdeploy order)', () => {
      const T = 50;
      const x = signal(3, T, 2);
      const raw = tf.tensor2d(x, [T, 2]);
      const full = preprocessTimeSeries(raw, 10);
      const cut = preprocessTimeSeries(raw, 10, { maxSamples: 20 });
      expect(cut.signal.shape).toEqual([20, 2]);
      expect(cut.truncated).toBe(true);
      expect(cut.originalLength).toBe(T);
      expect(cut.plan.numSamples).toBe(20);
      assertClose(cut.signal, tf.slice(full.signal, [0, 0], [20, 2]), { rtol: 0, atol: 0 });
      expect(() => preprocessTimeSeries(raw, 10, { maxSamples: 20, overflow: 'error' })).toThrow(/50 samples, more than maxSamples = 20/);
      tf.dispose([raw, full.signal, cut.signal]);
      expect(TS_LMDEPLOY_MAX_SAMPLES).toBe(240000);
    });
    it('truncates to 240000 samples by default, and accepts up to 10^6 on request', () => {
      const raw = tf.tensor2d(signal(4, 240010, 1), [240010, 1]);
      const p = preprocessTimeSeries(raw, 1000);
      expect(p.plan.numSamples).toBe(240000);
      const q = preprocessTimeSeries(raw, 1000, { maxSamples: 1_000_000 });
      expect(q.plan.numSamples).toBe(240010);
      tf.dispose([raw, p.signal, q.signal]);
    });
    it('rejects bad input with typed errors naming the argument, and leaks nothing', async () => {
      const nan = tf.tensor2d([1, 2, NaN, 4], [2, 2]);
      const inf = tf.tensor1d([1, Infinity]);
      const empty = tf.zeros([0, 3]);
      const noCh = tf.zeros([4, 0]);
      const rank3 = tf.zeros([2, 2, 2]);
      const ints = tf.tensor1d([1, 2, 3], 'int32');
      const ok = tf.tensor1d([1, 2, 3]);
      await expectThrowsNoLeak(() => preprocessTimeSeries(nan, 10), ValueError, /non-finite sample NaN at \[1, 0\]/);
      await expectThrowsNoLeak(() => preprocessTimeSeries(inf, 10), ValueError, /non-finite sample Infinity at \[1, 0\]/);
      await expectThrowsNoLeak(() => preprocessTimeSeries(empty, 10), ShapeError, /empty/);
      await expectThrowsNoLeak(() => preprocessTimeSeries(noCh, 10), ShapeError, /empty/);
      await expectThrowsNoLeak(() => preprocessTimeSeries(rank3, 10), ShapeError, /\[T\] or \[T, C\]/);
      await expectThrowsNoLeak(() => preprocessTimeSeries(ints, 10), DTypeError, /float32/);
      for (const sr of [0, -5, NaN, Infinity]) await expectThrowsNoLeak(() => preprocessTimeSeries(ok, sr), ValueError, /samplingRate/);
      await expectThrowsNoLeak(() => preprocessTimeSeries(ok, 10, { maxSamples: 2_000_000 }), ValueError, /maxSamples/);
      await expectThrowsNoLeak(() => preprocessTimeSeries(ok, 10, { maxSamples: 0 }), ValueError, /maxSamples/);
      await expectThrowsNoLeak(() => preprocessTimeSeries(ok, 10, { overflow: 'drop' as never }), ValueError, /overflow/);
      await expectThrowsNoLeak(() => preprocessTimeSeries(ok, 1, { shortSignal: 'error' }), ValueError, /too short/);
      await expectThrowsNoLeak(() => preprocessTimeSeries('x' as never, 1), ValueError, /tf.Tensor/);
      expect(() => R.preprocessTimeSeries(fromArray([1, NaN], [2]), 1)).toThrow(/non-finite/);
      tf.dispose([nan, inf, empty, noCh, rank3, ints, ok]);
    });
    it('never returns NaN: extreme but finite values normalise to finite numbers', () => {
      const raw = tf.tensor2d([3e38, -3e38, 1e-30, 0, -3e38, 3e38, 1e-30, 1], [4, 2]);
      const p = preprocessTimeSeries(raw, 1);
      expect(Array.from(p.signal.dataSync()).every(Number.isFinite)).toBe(true);
      const r = R.preprocessTimeSeries(fromArray(raw.dataSync(), [4, 2]), 1);
      assertClose(p.signal, r.signal, { rtol: 1e-6, atol: 1e-6 });
      expect(Array.from(toFlat(r.signal)).every(Number.isFinite)).toBe(true);
      tf.dispose([raw, p.signal]);
    });
  });
});

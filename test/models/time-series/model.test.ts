/**
 * The time-series tower, fast vs reference on random tiny configs (spec 7), the token count,
 * streaming the patches in batches, per-stage outputs, bad input, load errors and leaks. The parts
 * have their own files: patch-encoder.test.ts (the plain reshape, the patch layer, the position
 * table) and whisper.test.ts (chunking, the causal mask, k_proj bias, LayerNorm eps).
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, ShapeError, ValueError } from '../../../src/errors.js';
import {
  TS_MAX_SAMPLES, TimeSeriesModel, concatSubsample, timeSeriesPlan, timeSeriesStride, timeSeriesTokenCount,
} from '../../../src/models/time-series/index.js';
import * as R from '../../../reference/models/time-series/index.js';
import { type NDArray, toFlat } from '../../../reference/ndarray.js';
import { assertClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { PREFIX, TOWER_SIZES, makeSignal, rateArb, relErr, tinyTower, towerSpecs } from './support.js';
import { randomWeights } from '../../support/weights.js';
import { runs } from '../../support/runs.js';

/** A signal small enough for the float64 reference: positions (≈ 2TC) × attention length p bounded. */
const caseArb = fc.record({ C: fc.integer({ min: 1, max: 3 }), sr: rateArb, u: fc.double({ min: 0, max: 1, noNaN: true }), seed: fc.integer({ min: 0, max: 1e6 }) })
  .map(({ C, sr, u, seed }) => {
    const p = 2 * timeSeriesStride(sr);
    const maxT = Math.max(1, Math.floor(Math.min(1500, 3000 / (C * (1 + p / 24)))));
    return { C, sr, T: 1 + Math.floor(u * maxT), seed };
  });

/** Reference results are shared by both backends' runs (same seed, same cases). */
const refCache = new Map<string, { features: NDArray; e1: NDArray }>();

forEachBackend((backend) => {
  describe('TimeSeriesModel vs reference (random tiny towers)', () => {
    const { cfg, weights } = tinyTower(42, TOWER_SIZES);
    let fast: TimeSeriesModel;
    const ref = R.TimeSeriesModel.fromWeights(cfg, weights);
    beforeAll(() => {
      fast = TimeSeriesModel.fromWeights(cfg, weights);
    });
    afterAll(() => fast.dispose());

    it('features and patch features agree (relative error <= 1e-4), with N_ts rows', () => {
      fc.assert(fc.property(caseArb, ({ T, C, sr, seed }) => {
        const sig = makeSignal(seed, T, C);
        const key = `${T}/${C}/${sr}/${seed}`;
        if (!refCache.has(key)) {
          const r = ref.encode(sig.nd(), sr, { returnPatchFeatures: true });
          refCache.set(key, { features: r.features, e1: r.patchFeatures! });
        }
        const expected = refCache.get(key)!;
        const raw = sig.tensor();
        const out = fast.encode(raw, sr, { returnPatchFeatures: true });
        try {
          expect(out.features.shape).toEqual([timeSeriesTokenCount(T, sr), 12]);
          expect(relErr(out.patchFeatures!.dataSync(), toFlat(expected.e1)), `T ${T} C ${C} sr ${sr}`).toBeLessThanOrEqual(1e-4);
          expect(relErr(out.features.dataSync(), toFlat(expected.features)), `T ${T} C ${C} sr ${sr}`).toBeLessThanOrEqual(1e-4);
        } finally {
          tf.dispose([raw, out.features, out.patchFeatures!]);
        }
      }), { numRuns: runs(backend === 'cpu' ? 4 : 8) });
    });

    it('the row count always equals timeSeriesTokenCount (property over T and sr)', async () => {
      await expectNoLeak(() => {
        fc.assert(fc.property(fc.integer({ min: 1, max: 3000 }), rateArb, fc.integer({ min: 1, max: 2 }), (T, sr, C) => {
          const T2 = Math.min(T, Math.floor((backend === 'cpu' ? 800 : 3000) / (1 + timeSeriesStride(sr) / 16))); // keeps cpu quick
          const raw = makeSignal(T2, T2, C).tensor();
          const out = fast.forward(raw, sr);
          expect(out.features.shape[0]).toBe(timeSeriesTokenCount(T2, sr));
          expect(out.plan.numTokens).toBe(fast.tokenCount(T2, sr));
          tf.dispose([raw, out.features]);
        }), { numRuns: runs(backend === 'cpu' ? 4 : 20) });
      });
    });

    it('batching the patches does not change the result', () => {
      const raw = makeSignal(5, 121, 3).tensor();
      const one = fast.forward(raw, 20, { returnPatchFeatures: true }); // all 30 patches in one batch
      for (const patchBatch of [2, 6, 30]) {
        const many = fast.forward(raw, 20, { patchBatch, returnPatchFeatures: true });
        assertClose(many.patchFeatures!, one.patchFeatures!, { rtol: 1e-6, atol: 1e-7 });
        assertClose(many.features, one.features, { rtol: 1e-6, atol: 1e-6 });
        tf.dispose([many.features, many.patchFeatures!]);
      }
      tf.dispose([raw, one.features, one.patchFeatures!]);
    });

    it('never returns NaN: constant channels, T = 1, and a too-short signal padded to one token', () => {
      const inputs: [number[], [number, number]][] = [[[3, 3, 3, 3, 3, 3], [3, 2]], [[2.5], [1, 1]], [[1, 2], [2, 1]]];
      for (const [data, shape] of inputs) {
        const raw = tf.tensor2d(data, shape);
        const out = fast.encode(raw, 1);
        expect(out.features.shape).toEqual([1, 12]);
        expect(Array.from(out.features.dataSync()).every(Number.isFinite)).toBe(true);
        tf.dispose([raw, out.features]);
      }
    });

    it('rejects bad input with typed errors and leaks nothing', async () => {
      const ok = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
      const nan = tf.tensor2d([1, NaN], [2, 1]);
      const empty = tf.zeros([0, 1]);
      const long = tf.zeros([TS_MAX_SAMPLES + 1, 1]);
      await expectThrowsNoLeak(() => fast.forward(nan, 10), ValueError, /non-finite sample NaN at \[1, 0\]/);
      await expectThrowsNoLeak(() => fast.forward(empty, 10), ShapeError, /empty/);
      await expectThrowsNoLeak(() => fast.forward(long, 10), ValueError, /exceed the supported maximum/);
      await expectThrowsNoLeak(() => fast.forward(ok, 0), ValueError, /samplingRate/);
      await expectThrowsNoLeak(() => fast.forward(ok, -3), ValueError, /samplingRate/);
      await expectThrowsNoLeak(() => fast.forward(ok, 10, { patchBatch: 3 }), ValueError, /patchBatch/);
      await expectThrowsNoLeak(() => fast.forward(ok, 10, { attentionChunk: 0 }), ValueError, /attentionChunk/);
      await expectThrowsNoLeak(() => fast.forward(ok, 1, { shortSignal: 'error' }), ValueError, /too short/);
      await expectThrowsNoLeak(() => fast.encode(ok, 10, { maxSamples: 2, overflow: 'error' }), ValueError, /maxSamples/);
      tf.dispose([ok, nan, empty, long]);
    });

    it('returns per-stage features on request, all owned by the caller', async () => {
      await expectNoLeak(() => {
        const raw = makeSignal(9, 200, 2).tensor();
        const out = fast.forward(raw, 50, { returnPatchFeatures: true, returnEncoderStates: true });
        const plan = timeSeriesPlan(200, 50);
        expect(out.patchFeatures!.shape).toEqual([plan.numPatches, 128]);
        expect(out.encoderStates!.shape).toEqual([plan.numTokens, 20]);
        const e2 = concatSubsample(out.patchFeatures!);
        expect(e2.shape).toEqual([plan.numPairs, 256]);
        const z = fast.encoder.forward(e2);
        assertClose(z, out.encoderStates!, { rtol: 1e-5, atol: 1e-6 });
        tf.dispose([raw, out.features, out.patchFeatures!, out.encoderStates!, e2, z]);
      });
    });
  });

  describe('random tiny configs', () => {
    const configArb = fc.record({
      d: fc.constantFrom(8, 12, 16), heads: fc.constantFrom(1, 2, 4), layers: fc.integer({ min: 1, max: 2 }),
      ffn: fc.constantFrom(8, 20), maxPos: fc.integer({ min: 2, max: 8 }), out: fc.constantFrom(8, 12), text: fc.constantFrom(6, 10),
      act: fc.constantFrom('gelu', 'relu', 'gelu_pytorch_tanh', 'silu'), kBias: fc.boolean(), patchFfn: fc.constantFrom(8, 24),
    }).filter((c) => c.d % c.heads === 0);
    it('fast == reference for random widths, heads, depths, activations and k_proj biases', () => {
      fc.assert(fc.property(configArb, fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 3 }), fc.constantFrom(1, 7, 60, 250), fc.integer({ min: 0, max: 1e6 }), (sizes, T, C, sr, seed) => {
        const { cfg, weights } = tinyTower(seed, sizes);
        const fast = TimeSeriesModel.fromWeights(cfg, weights);
        const sig = makeSignal(seed + 1, T, C);
        const raw = sig.tensor();
        try {
          const out = fast.encode(raw, sr, { returnEncoderStates: true });
          const r = R.TimeSeriesModel.fromWeights(cfg, weights).encode(sig.nd(), sr, { returnEncoderStates: true });
          expect(out.features.shape).toEqual([timeSeriesTokenCount(T, sr), sizes.text]);
          expect(relErr(out.encoderStates!.dataSync(), toFlat(r.encoderStates!))).toBeLessThanOrEqual(1e-4);
          expect(relErr(out.features.dataSync(), toFlat(r.features))).toBeLessThanOrEqual(1e-4);
          tf.dispose([out.features, out.encoderStates!]);
        } finally {
          raw.dispose();
          fast.dispose();
        }
      }), { numRuns: runs(backend === 'cpu' ? 3 : 6) });
    });
  });

  describe('checkpoint handling', () => {
    it('a missing or misshapen tensor fails at load with a typed error and leaks nothing', async () => {
      const specs = towerSpecs();
      const { cfg } = tinyTower(1);
      const drop = (name: string) => randomWeights(Object.fromEntries(Object.entries(specs).filter(([n]) => n !== name)), 1);
      await expectThrowsNoLeak(() => TimeSeriesModel.fromWeights(cfg, drop(`${PREFIX}.projector.linear_2.bias`)), CheckpointError, /linear_2\.bias/);
      await expectThrowsNoLeak(() => TimeSeriesModel.fromWeights(cfg, drop(`${PREFIX}.encoder.layers.1.fc1.weight`)), CheckpointError, /fc1\.weight/);
      const bad = randomWeights({ ...specs, [`${PREFIX}.encoder_embed.conv.weight`]: { shape: [128, 2, 5] } }, 1);
      await expectThrowsNoLeak(() => TimeSeriesModel.fromWeights(cfg, bad), ShapeError, /conv\.weight.*expected \[128, 1, 5\]/);
      const badPos = randomWeights({ ...specs, [`${PREFIX}.encoder.embed_positions.weight`]: { shape: [7, 16] } }, 1);
      await expectThrowsNoLeak(() => TimeSeriesModel.fromWeights(cfg, badPos), ShapeError, /embed_positions.*expected \[6, 16\]/);
    });
  });
});

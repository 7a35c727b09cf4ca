/**
 * The time-series tower, fast vs reference on random tiny configs (spec 7), the token count, the
 * plain reshape, batching and chunking invariance, the causal mask, bad input and leaks.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, ShapeError, ValueError } from '../../../src/errors.js';
import { memoryWeights } from '../../../src/io/weights.js';
import {
  TS_MAX_SAMPLES, TimeSeriesModel, TimeSeriesPatchEncoder, concatSubsample, patchRows, timeSeriesPlan,
  timeSeriesStride, timeSeriesTokenCount,
} from '../../../src/models/time-series/index.js';
import * as R from '../../../reference/models/time-series/index.js';
import { type NDArray, toFlat } from '../../../reference/ndarray.js';
import { assertClose } from '../../support/assertClose.js';
import { forEachBackend } from '../../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { PREFIX, type TinySizes, makeSignal, relErr, tinyTower, towerSpecs } from './support.js';
import { randomWeights } from '../../support/weights.js';

/** A rate from the whole range (0.5 Hz to 10 kHz), including the float32-trap band. */
const rateArb = fc.oneof(
  fc.constantFrom(1, 20, 100, 180, 300, 1000, 2500, 3000, 10000),
  fc.double({ min: Math.log10(0.5), max: 4, noNaN: true }).map((e) => 10 ** e),
);

/** A signal small enough for the float64 reference: positions (≈ 2TC) × attention length p bounded. */
const caseArb = fc.record({ C: fc.integer({ min: 1, max: 3 }), sr: rateArb, u: fc.double({ min: 0, max: 1, noNaN: true }), seed: fc.integer({ min: 0, max: 1e6 }) })
  .map(({ C, sr, u, seed }) => {
    const p = 2 * timeSeriesStride(sr);
    const maxT = Math.max(1, Math.floor(Math.min(1500, 3000 / (C * (1 + p / 24)))));
    return { C, sr, T: 1 + Math.floor(u * maxT), seed };
  });

/** Reference results are shared by both backends' runs (same seed, same cases). */
const refCache = new Map<string, { features: NDArray; e1: NDArray }>();

describe('patchRows: the plain reshape of spec 7.2', () => {
  it('interleaves channels for C > 1 (row n·C + j = X.flat[n·s·C + j·p ...])', () => {
    // X[t, c] = 100·t + c, T = 7, C = 2; sr 1 → s 2, p 4, L1 = ⌈3/2⌉ + 1 = 3, padding 1.
    const X = Array.from({ length: 14 }, (_, i) => 100 * Math.floor(i / 2) + (i % 2));
    const plan = timeSeriesPlan(7, 1);
    const rows = Array.from(patchRows(X, 2, plan, 0, 3));
    expect(rows).toEqual([
      0, 1, 100, 101, /* | */ 200, 201, 300, 301, // patch 0: rows mix channels 0 and 1
      200, 201, 300, 301, /* | */ 400, 401, 500, 501, // patch 1 (starts at t = 2)
      400, 401, 500, 501, /* | */ 600, 601, 0, 0, // patch 2: zero padding past T
    ]);
    expect(Array.from(toFlat(R.patchRows(X, 2, plan, 0, 3)))).toEqual(rows);
    expect(Array.from(patchRows(X, 2, plan, 1, 2))).toEqual(rows.slice(8, 16));
    expect(() => patchRows(X, 2, plan, 2, 4)).toThrow(ValueError);
  });
  it('equals the reference (explicit P[n, k, c] then reshape) for random signals', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 4 }), rateArb, (T, C, sr) => {
      const X = Float32Array.from({ length: T * C }, (_, i) => i + 1);
      const plan = timeSeriesPlan(T, sr);
      const n1 = Math.min(plan.numPatches, 3);
      expect(Array.from(patchRows(X, C, plan, 0, n1))).toEqual(Array.from(toFlat(R.patchRows(X, C, plan, 0, n1))));
    }), { numRuns: 40 });
  });
});

forEachBackend((backend) => {
  describe('TimeSeriesModel vs reference (random tiny towers)', () => {
    const sizes: TinySizes = { patchFfn: 16, d: 16, layers: 2, heads: 4, ffn: 24, maxPos: 6, out: 20, text: 12 };
    const { cfg, weights } = tinyTower(42, sizes);
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
      }), { numRuns: backend === 'cpu' ? 4 : 8 });
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
        }), { numRuns: backend === 'cpu' ? 4 : 20 });
      });
    });

    it('both attention schedules of the patch layer (p < 64 batched, p >= 64 per row and head) match the reference', () => {
      for (const [T, C, sr] of [[120, 2, 100], [300, 2, 150], [400, 1, 1000]] as const) { // p = 48, 94, 318
        const sig = makeSignal(T + C, T, C);
        const key = `paths/${T}/${C}/${sr}`;
        if (!refCache.has(key)) refCache.set(key, { features: ref.encode(sig.nd(), sr).features, e1: sig.nd() });
        const r = refCache.get(key)!;
        const raw = sig.tensor();
        const out = fast.encode(raw, sr);
        expect(relErr(out.features.dataSync(), toFlat(r.features)), `sr ${sr}`).toBeLessThanOrEqual(1e-4);
        tf.dispose([raw, out.features]);
      }
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

    it('chunking the Whisper convolutions, attention and MLP does not change the result', () => {
      const raw = makeSignal(6, 400, 1).tensor(); // sr 1: L1 199, L2 99, L3 50 > max_source_positions 6
      const plain = fast.forward(raw, 1, { returnEncoderStates: true });
      const chunked = fast.forward(raw, 1, { returnEncoderStates: true, convChunk: 7, attentionChunk: 9, mlpChunk: 11 });
      assertClose(chunked.encoderStates!, plain.encoderStates!, { rtol: 1e-5, atol: 1e-6 });
      assertClose(chunked.features, plain.features, { rtol: 1e-5, atol: 1e-6 });
      tf.dispose([raw, plain.features, plain.encoderStates!, chunked.features, chunked.encoderStates!]);
    });

    it('the Whisper mask is causal: changing the end of the signal leaves the leading rows unchanged', () => {
      // sr 1: s 2, p 4. Samples t >= 300 touch patches n >= 149, pairs >= 74, A rows >= 74, and
      // (conv1 k3, conv2 k3 s2) output rows >= 36. With a causal mask rows 0..35 cannot change.
      const sig = makeSignal(8, 400, 1);
      const edited = sig.data.slice();
      for (let t = 300; t < 400; t++) edited[t] = 5 * Math.sin(t);
      const a = fast.forward(tf.tensor2d(sig.data, [400, 1]), 1);
      const b = fast.forward(tf.tensor2d(edited, [400, 1]), 1);
      const rows = (t: tf.Tensor, r0: number, n: number) => tf.slice(t, [r0, 0], [n, -1]);
      assertClose(rows(b.features, 0, 36), rows(a.features, 0, 36), { rtol: 1e-6, atol: 1e-6 });
      expect(relErr(rows(b.features, 37, 13).dataSync(), rows(a.features, 37, 13).dataSync())).toBeGreaterThan(1e-3);
      tf.dispose([a.features, b.features]);
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
      }), { numRuns: backend === 'cpu' ? 3 : 6 });
    });
  });

  describe('checkpoint handling', () => {
    it('a missing k_proj bias is zero; a stored one is used (fast and reference)', () => {
      const specs = towerSpecs({ layers: 1 });
      const none = randomWeights(specs, 5);
      const zero = memoryWeights({
        ...Object.fromEntries(none.names().map((n) => [n, { dtype: 'F32' as const, shape: none.info(n).shape, data: none.float32(n) }])),
        [`${PREFIX}.encoder.layers.0.self_attn.k_proj.bias`]: { dtype: 'F32', shape: [16], data: new Float32Array(16) },
      });
      const { cfg } = tinyTower(5, { layers: 1 });
      const raw = makeSignal(1, 120, 1).tensor();
      const results = [none, zero].map((w) => {
        const m = TimeSeriesModel.fromWeights(cfg, w);
        const o = m.forward(raw, 1);
        m.dispose();
        return o.features;
      });
      assertClose(results[1], results[0], { rtol: 0, atol: 0 });
      const withBias = tinyTower(6, { layers: 1, kBias: true });
      const m = TimeSeriesModel.fromWeights(withBias.cfg, withBias.weights);
      const r = R.TimeSeriesModel.fromWeights(withBias.cfg, withBias.weights);
      const got = m.forward(raw, 1).features;
      expect(relErr(got.dataSync(), toFlat(r.forward(makeSignal(1, 120, 1).nd(), 1).features))).toBeLessThanOrEqual(1e-4);
      tf.dispose([raw, got, ...results]);
      m.dispose();
    });

    it("layerNormEps switches the Whisper layers to lmdeploy's 1e-6 (fast and reference agree)", () => {
      const { cfg, weights } = tinyTower(7);
      const raw = makeSignal(2, 200, 1).tensor();
      const m5 = TimeSeriesModel.fromWeights(cfg, weights);
      const m6 = TimeSeriesModel.fromWeights(cfg, weights, PREFIX, { layerNormEps: 1e-6 });
      const r6 = R.TimeSeriesModel.fromWeights(cfg, weights, PREFIX, { layerNormEps: 1e-6 });
      const [a, b] = [m5.forward(raw, 3).features, m6.forward(raw, 3).features];
      expect(relErr(b.dataSync(), toFlat(r6.forward(makeSignal(2, 200, 1).nd(), 3).features))).toBeLessThanOrEqual(1e-4);
      expect(relErr(a.dataSync(), b.dataSync())).toBeGreaterThan(0);
      tf.dispose([raw, a, b]);
      m5.dispose();
      m6.dispose();
    });

    it('uses a checkpoint pe buffer, and refuses one that is not the sinusoidal table', async () => {
      const table = Float32Array.from(toFlat(R.sinusoidalPositions(320)));
      const shifted = table.map((v, i) => (i % 128 === 3 ? v + 0.004 : v)); // within BF16-storage tolerance
      const a = tinyTower(8, { pe: { rows: 320, values: shifted } });
      const fast = TimeSeriesModel.fromWeights(a.cfg, a.weights);
      expect(fast.patchEncoder.positionSource).toBe('checkpoint');
      const ref = R.TimeSeriesModel.fromWeights(a.cfg, a.weights);
      const raw = makeSignal(3, 100, 2).tensor();
      const got = fast.forward(raw, 100).features; // p = 48
      const plain = TimeSeriesModel.fromWeights(a.cfg, tinyTower(8).weights);
      const base = plain.forward(raw, 100).features;
      expect(relErr(got.dataSync(), toFlat(ref.forward(makeSignal(3, 100, 2).nd(), 100).features))).toBeLessThanOrEqual(1e-4);
      expect(relErr(got.dataSync(), base.dataSync())).toBeGreaterThan(1e-6);
      tf.dispose([raw, got, base]);
      fast.dispose();
      plain.dispose();
      const wrong = tinyTower(8, { pe: { rows: 320, values: table.map((v) => -v) } });
      await expectThrowsNoLeak(() => TimeSeriesPatchEncoder.fromWeights(wrong.weights, `${PREFIX}.encoder_embed`), CheckpointError, /not the fixed positional encoding/);
      const short = tinyTower(8, { pe: { rows: 10, values: table.subarray(0, 1280) } });
      const m = TimeSeriesModel.fromWeights(short.cfg, short.weights);
      const sig = makeSignal(4, 50, 1).tensor();
      await expectThrowsNoLeak(() => m.forward(sig, 100), CheckpointError, /patch size 48 needs 48 rows of pos_encoder.pe/);
      tf.dispose(sig);
      m.dispose();
    });

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

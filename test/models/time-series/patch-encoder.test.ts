/**
 * The per-patch encoder `encoder_embed` (spec 7.2): the plain reshape (patchRows), the fixed
 * sinusoidal table, the post-norm patch transformer layer with both attention schedules, the
 * encoder as a whole and the concat subsampling, each fast == reference on small random inputs
 * (both backends), plus the checkpoint `pe` buffer, typed errors at load and at call, and leaks.
 * Moved here from model.test.ts: the patchRows tests, the two attention schedules, the pe buffer.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as R from '../../../reference/models/time-series/index.js';
import { type NDArray, toFlat } from '../../../reference/ndarray.js';
import { CheckpointError, DTypeError, ShapeError, ValueError } from '../../../src/errors.js';
import {
  PatchTransformerLayer, TS_PATCH_BATCH_POSITIONS, TimeSeriesModel, TimeSeriesPatchEncoder, concatSubsample, patchRows,
  sinusoidalPositions, timeSeriesPlan,
} from '../../../src/models/time-series/index.js';
import { assertClose, assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { randomWeights, without } from '../../support/weights.js';
import { PREFIX, TOWER_SIZES, makeSignal, randomMatrix, rateArb, relErr, tinyTower, towerSpecs } from './support.js';
import { runs } from '../../support/runs.js';

const EMBED = `${PREFIX}.encoder_embed`;
const LAYER = `${EMBED}.transformer_encoder.layers.0`;

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
    }), { numRuns: runs(40) });
  });
});

describe('patchRows: errors', () => {
  it('a patch range that is empty, reversed, fractional or outside the plan is a ValueError', () => {
    const plan = timeSeriesPlan(7, 1); // 3 patches
    const X = new Float32Array(14);
    for (const [n0, n1] of [[-1, 1], [0, 4], [1, 1], [2, 1], [0.5, 2], [0, Number.NaN]]) {
      expect(() => patchRows(X, 2, plan, n0, n1), `[${n0}, ${n1})`).toThrow(ValueError);
      expect(() => patchRows(X, 2, plan, n0, n1)).toThrow(/^patchRows: patches \[.*\) are not a non-empty range within the plan's 3$/);
    }
  });
});

forEachBackend((backend) => {
  describe('the patch layer in the tiny tower', () => {
    const { cfg, weights } = tinyTower(42, TOWER_SIZES);
    let fast: TimeSeriesModel;
    const ref = R.TimeSeriesModel.fromWeights(cfg, weights);
    beforeAll(() => {
      fast = TimeSeriesModel.fromWeights(cfg, weights);
    });
    afterAll(() => fast.dispose());

    it('both attention schedules of the patch layer (p < 64: grouped convolutions on wasm, one batched product on cpu; p >= 64 per row and head) match the reference', () => {
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

  });

  describe('checkpoint handling', () => {
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

  });

  describe('sinusoidalPositions', () => {
    it('fast (float32 steps as PyTorch) == reference (exact float64) within 3e-5, for any length and even width', async () => {
      await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 320 }), fc.integer({ min: 1, max: 64 }).map((h) => 2 * h), async (length, dim) => {
        await expectNoLeak(() => {
          const pe = sinusoidalPositions(length, dim);
          assertClose(pe, R.sinusoidalPositions(length, dim), { rtol: 0, atol: 3e-5 });
          pe.dispose();
        });
      }), { numRuns: runs(20) });
    });

    it('row 0 is [0, 1, 0, 1, …]; column 0 is sin(t), column 1 cos(t) (frequency exactly 1)', () => {
      const pe = sinusoidalPositions(50, 8);
      const v = pe.arraySync();
      pe.dispose();
      expect(v[0]).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
      for (let t = 0; t < 50; t++) {
        expect(v[t][0]).toBe(Math.fround(Math.sin(t)));
        expect(v[t][1]).toBe(Math.fround(Math.cos(t)));
      }
    });

    it('a length or width that is not a positive (even) integer is a ValueError; nothing is allocated', async () => {
      for (const length of [0, -1, 1.5, Number.NaN]) await expectThrowsNoLeak(() => sinusoidalPositions(length), ValueError, /^sinusoidalPositions: 'length' must be a positive integer/);
      for (const dim of [0, 3, -2, 1.5]) await expectThrowsNoLeak(() => sinusoidalPositions(4, dim), ValueError, /^sinusoidalPositions: 'dim' must be a positive even integer/);
    });
  });

  describe('concatSubsample', () => {
    it('fast == reference exactly: rows 2j and 2j+1 side by side, an odd last row dropped', async () => {
      const arb = fc.record({ L1: fc.integer({ min: 2, max: 9 }), D: fc.integer({ min: 1, max: 6 }), seed: fc.nat() });
      await fc.assert(fc.asyncProperty(arb, async ({ L1, D, seed }) => {
        const x = randomMatrix(seed, L1, D);
        await expectNoLeak(() => {
          const xt = x.tensor();
          const y = concatSubsample(xt);
          expect(y.shape).toEqual([Math.floor(L1 / 2), 2 * D]);
          assertClose(y, R.concatSubsample(x.nd()), { rtol: 0, atol: 0 });
          tf.dispose([xt, y]);
        });
      }), { numRuns: runs(20) });
    });

    it('anything but [L1 >= 2, D] is a ShapeError naming the argument; nothing leaks', async () => {
      const bad = [tf.zeros([4]), tf.zeros([2, 2, 2]), tf.zeros([1, 128])];
      for (const x of bad) await expectThrowsNoLeak(() => concatSubsample(x), ShapeError, /^concatSubsample: 'e1' must be \[L1, D\] with L1 >= 2, got \[/);
      tf.dispose(bad);
    });
  });

  describe('PatchTransformerLayer', () => {
    /** R rows of p positions; p < 64 takes the grouped-convolution schedule on wasm (batched on cpu), p >= 64 the per-(row, head) one. */
    const caseArb = (p: fc.Arbitrary<number>) => fc.record({ R: fc.integer({ min: 1, max: 3 }), p, F: fc.constantFrom(8, 24), seed: fc.nat() });

    it.each([['grouped (wasm) or batched (cpu)', fc.integer({ min: 1, max: 8 })], ['per row and head', fc.integer({ min: 64, max: 66 })]] as const)('fast == reference (relative error <= 1e-5), %s schedule; rows do not see each other', async (_schedule, pArb) => {
      await fc.assert(fc.asyncProperty(caseArb(pArb), async ({ R: rows, p, F, seed }) => {
        const w = tinyTower(seed, { patchFfn: F }).weights;
        const x = randomMatrix(seed + 1, rows * p, 128);
        const want = R.PatchTransformerLayer.fromWeights(w, LAYER).forward(x.nd(), p);
        await expectNoLeak(() => {
          const layer = PatchTransformerLayer.fromWeights(w, LAYER);
          const xt = x.tensor();
          const y = layer.forward(xt, p);
          expect(y.shape).toEqual([rows * p, 128]);
          assertRelClose(y, want, 1e-5);
          // the last row alone gives the same values: attention stays within a row
          const last = tf.slice(xt, [(rows - 1) * p, 0], [p, 128]) as tf.Tensor2D;
          const alone = layer.forward(last, p);
          const inBatch = tf.slice(y, [(rows - 1) * p, 0], [p, 128]);
          assertClose(alone, inBatch, { rtol: 1e-5, atol: 1e-5 });
          tf.dispose([xt, y, last, alone, inBatch]);
          layer.dispose();
        });
      }), { numRuns: runs(backend === 'cpu' ? 3 : 5) });
    });

    it('load: a misshapen in_proj or linear, or a missing tensor, is a typed error naming it; nothing stays allocated', async () => {
      const specs = towerSpecs({ patchFfn: 16 });
      const w = (over: Record<string, { shape: number[] }>) => randomWeights({ ...specs, ...over }, 3);
      await expectThrowsNoLeak(() => PatchTransformerLayer.fromWeights(w({ [`${LAYER}.self_attn.in_proj_weight`]: { shape: [384, 127] } }), LAYER), ShapeError, /in_proj_weight.*expected \[384, 128\]/);
      await expectThrowsNoLeak(() => PatchTransformerLayer.fromWeights(w({ [`${LAYER}.self_attn.in_proj_bias`]: { shape: [128] } }), LAYER), ShapeError, /in_proj_bias.*expected \[384\]/);
      await expectThrowsNoLeak(() => PatchTransformerLayer.fromWeights(w({ [`${LAYER}.linear2.weight`]: { shape: [128, 15] } }), LAYER), ShapeError, /linear2\.weight/);
      await expectThrowsNoLeak(() => PatchTransformerLayer.fromWeights(without(randomWeights(specs, 3), `${LAYER}.norm2.weight`), LAYER), CheckpointError, /norm2\.weight/);
    });

    it('forward: a bad p, width, row count or dtype is a typed error; nothing leaks over 20 calls', async () => {
      const layer = PatchTransformerLayer.fromWeights(tinyTower(4, { patchFfn: 8 }).weights, LAYER);
      const [ok, narrow, ragged, flat, ints] = [tf.ones([6, 128]), tf.ones([6, 64]), tf.ones([5, 128]), tf.ones([768]), tf.ones([6, 128], 'int32')];
      await expectThrowsNoLeak(() => layer.forward(ok as tf.Tensor2D, 0), ValueError, /^PatchTransformerLayer\.forward: 'p' must be a positive integer, got 0$/);
      await expectThrowsNoLeak(() => layer.forward(ok as tf.Tensor2D, 2.5), ValueError, /'p'/);
      await expectThrowsNoLeak(() => layer.forward(narrow as tf.Tensor2D, 3), ShapeError, /^PatchTransformerLayer\.forward: 'x' must be \[R·p, 128\] with R >= 1 rows of p = 3 positions, got \[6, 64\]$/);
      await expectThrowsNoLeak(() => layer.forward(ragged as tf.Tensor2D, 3), ShapeError, /got \[5, 128\]/);
      await expectThrowsNoLeak(() => layer.forward(ok as tf.Tensor2D, 12), ShapeError, /p = 12/);
      await expectThrowsNoLeak(() => layer.forward(flat as tf.Tensor2D, 3), ShapeError, /'x' must have rank 2/);
      await expectThrowsNoLeak(() => layer.forward(ints as tf.Tensor2D, 3), DTypeError, /'x' must be float32/);
      await expectNoLeak(() => {
        for (let i = 0; i < 20; i++) layer.forward(ok as tf.Tensor2D, 3).dispose();
      });
      tf.dispose([ok, narrow, ragged, flat, ints]);
      layer.dispose();
    });
  });

  describe('TimeSeriesPatchEncoder', () => {
    /** Small signals: sr 1, 10, 50 give p = 4, 6, 18. */
    const signalArb = fc.record({ T: fc.integer({ min: 1, max: 40 }), C: fc.integer({ min: 1, max: 3 }), sr: fc.constantFrom(1, 10, 50), seed: fc.nat() });

    it('fast == reference (E1 [L1, 128], relative error <= 1e-4), in any even batch size; a sub-range equals those rows', async () => {
      const w = tinyTower(5, { patchFfn: 16 }).weights;
      const ref = R.TimeSeriesPatchEncoder.fromWeights(w, EMBED);
      const enc = TimeSeriesPatchEncoder.fromWeights(w, EMBED);
      expect([enc.positionSource, ref.positionSource]).toEqual(['formula', 'formula']);
      await fc.assert(fc.asyncProperty(signalArb, fc.integer({ min: 1, max: 4 }), async ({ T, C, sr, seed }, half) => {
        const sig = makeSignal(seed, T, C);
        const plan = timeSeriesPlan(T, sr);
        const want = ref.forward(sig.nd(), plan);
        await expectNoLeak(() => {
          const x = sig.tensor();
          const e1 = enc.forward(x, plan);
          expect(e1.shape).toEqual([plan.numPatches, 128]);
          assertRelClose(e1, want, 1e-4);
          const batched = enc.forward(x, plan, { patchBatch: 2 * half });
          assertClose(batched, e1, { rtol: 1e-5, atol: 1e-6 });
          const n0 = Math.floor(plan.numPatches / 2);
          const part = enc.encodeBatch(sig.data, C, plan, n0, plan.numPatches);
          const rows = tf.slice(e1, [n0, 0], [-1, -1]);
          assertClose(part, rows, { rtol: 1e-5, atol: 1e-6 });
          tf.dispose([x, e1, batched, part, rows]);
        });
      }), { numRuns: runs(backend === 'cpu' ? 6 : 10) });
      enc.dispose();
    });

    it('batchSize: about TS_PATCH_BATCH_POSITIONS positions per batch, even and at least 2; a given patchBatch is checked', () => {
      const enc = TimeSeriesPatchEncoder.fromWeights(tinyTower(6, { patchFfn: 8 }).weights, EMBED);
      expect(enc.batchSize(timeSeriesPlan(1000, 1), 1)).toBe(TS_PATCH_BATCH_POSITIONS / 4); // p = 4: 4096 patches
      expect(enc.batchSize(timeSeriesPlan(1000, 10000), 3)).toBe(2 * Math.floor(TS_PATCH_BATCH_POSITIONS / (2 * 320 * 3))); // p = 320: 16
      expect(enc.batchSize(timeSeriesPlan(1000, 10000), 100)).toBe(2); // never below 2
      expect(enc.batchSize(timeSeriesPlan(1000, 1), 1, { patchBatch: 6 })).toBe(6);
      for (const b of [0, 1, 3, 2.5]) expect(() => enc.batchSize(timeSeriesPlan(10, 1), 1, { patchBatch: b })).toThrow(/^TimeSeriesPatchEncoder: 'patchBatch' must be an even integer >= 2/);
      enc.dispose();
    });

    it('forward / encodeBatch: a signal that does not fit the plan, bad samples, a bad batch or range are typed errors; nothing leaks', async () => {
      const enc = TimeSeriesPatchEncoder.fromWeights(tinyTower(7, { patchFfn: 8 }).weights, EMBED);
      const plan = timeSeriesPlan(6, 1);
      const [ok, longer, nan, empty] = [tf.ones([6, 2]), tf.ones([7, 2]), tf.tensor2d([1, NaN, 1, 1, 1, 1], [6, 1]), tf.zeros([0, 1])];
      await expectThrowsNoLeak(() => enc.forward(longer, plan), ShapeError, /^TimeSeriesPatchEncoder\.forward: 'signal' has T = 7 samples but the plan is for 6$/);
      await expectThrowsNoLeak(() => enc.forward(nan, plan), ValueError, /non-finite sample NaN at \[1, 0\]/);
      await expectThrowsNoLeak(() => enc.forward(empty, plan), ShapeError, /empty/);
      await expectThrowsNoLeak(() => enc.forward(ok, plan, { patchBatch: 3 }), ValueError, /patchBatch/);
      await expectThrowsNoLeak(() => enc.encodeBatch(new Float32Array(11), 2, plan, 0, 2), ShapeError, /^TimeSeriesPatchEncoder\.encodeBatch: 'data' has 11 values, expected T·C = 6·2/);
      await expectThrowsNoLeak(() => enc.encodeBatch(new Float32Array(12), 2, plan, 0, plan.numPatches + 1), ValueError, /not a non-empty range/);
      await expectNoLeak(() => {
        for (let i = 0; i < 20; i++) enc.forward(ok, plan).dispose();
      });
      tf.dispose([ok, longer, nan, empty]);
      enc.dispose();
    });

    it('load: a misshapen conv or pe buffer, or a missing tensor, is a typed error naming it; nothing stays allocated', async () => {
      const specs = towerSpecs({ patchFfn: 8 });
      await expectThrowsNoLeak(() => TimeSeriesPatchEncoder.fromWeights(randomWeights({ ...specs, [`${EMBED}.conv.weight`]: { shape: [128, 1, 3] } }, 1), EMBED), ShapeError, /conv\.weight.*expected \[128, 1, 5\]/);
      await expectThrowsNoLeak(() => TimeSeriesPatchEncoder.fromWeights(randomWeights({ ...specs, [`${EMBED}.pos_encoder.pe`]: { shape: [320, 2, 128] } }, 1), EMBED), ShapeError, /pos_encoder\.pe' has shape \[320, 2, 128\], expected \[N, 1, 128\]/);
      await expectThrowsNoLeak(() => TimeSeriesPatchEncoder.fromWeights(without(randomWeights(specs, 1), `${EMBED}.conv.bias`), EMBED), CheckpointError, /conv\.bias/);
      await expectThrowsNoLeak(() => TimeSeriesPatchEncoder.fromWeights(without(randomWeights(specs, 1), `${LAYER}.linear1.bias`), EMBED), CheckpointError, /linear1\.bias/);
    });
  });
});

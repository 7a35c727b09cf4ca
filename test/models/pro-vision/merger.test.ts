/**
 * ProVisionPatchMerger (spec 6.2.2): LayerNorm per patch, the m² patches of a window side by side,
 * linear_fc1 → GELU → linear_fc2. Fast == reference on random widths and window counts; output row
 * r depends only on window r (rows 4r .. 4r + 3), in lane order; typed errors at load and at
 * call; no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../../reference/models/pro-vision/index.js';
import type { NDArray } from '../../../reference/ndarray.js';
import { CheckpointError, DTypeError, ShapeError } from '../../../src/errors.js';
import * as fast from '../../../src/models/pro-vision/index.js';
import { mulberry32, normals } from '../../support/arbitraries.js';
import { assertRelClose, relError } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { type Data, dataToNd, dataToTf, toNd } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { without } from '../../support/weights.js';
import { proVisionWeights, tinyProVision } from './tiny.js';
import { runs } from '../../support/runs.js';

const MP = 'model.visual.merger';

/** Seeded patch features `[P, C]`. */
function feats(P: number, C: number, seed: number): Data {
  return { shape: [P, C], data: normals(mulberry32(seed), P * C, 1.5, 0.2) };
}

/** Rows `[from, from + n)` of a `[P, C]` tensor as float64 data. */
function rows(y: tf.Tensor, from: number, n: number): NDArray {
  const part = tf.slice(y, [from, 0], [n, -1]);
  const out = toNd(part);
  part.dispose();
  return out;
}

forEachBackend(() => {
  describe('ProVisionPatchMerger: fast == reference', () => {
    it('random widths, output widths and window counts (rel ≤ 1e-4)', async () => {
      const arb = fc.record({ C: fc.constantFrom(8, 16), D: fc.integer({ min: 1, max: 12 }), windows: fc.integer({ min: 1, max: 6 }), seed: fc.nat() });
      await fc.assert(fc.asyncProperty(arb, async ({ C, D, windows, seed }) => {
        const cfg = tinyProVision({ hidden_size: C, num_heads: C / 8, out_hidden_size: D, depth: 1 });
        const w = proVisionWeights(cfg, seed);
        const x = feats(4 * windows, C, seed + 1);
        const want = ref.ProVisionPatchMerger.fromWeights(cfg, w).forward(dataToNd(x));
        await expectNoLeak(() => {
          const merger = fast.ProVisionPatchMerger.fromWeights(cfg, w);
          const xt = dataToTf(x);
          const y = merger.forward(xt);
          expect(y.shape).toEqual([windows, D]);
          assertRelClose(y, want, 1e-4);
          tf.dispose([xt, y]);
          merger.dispose();
        });
      }), { numRuns: runs(15) });
    });

    it('row r reads exactly the patches 4r .. 4r + 3, side by side in order', async () => {
      const cfg = tinyProVision({ depth: 1 });
      const w = proVisionWeights(cfg, 21);
      const x = feats(12, 16, 22); // three windows
      const swapWindows = { shape: x.shape, data: Float64Array.from([...x.data.subarray(4 * 16, 8 * 16), ...x.data.subarray(0, 4 * 16), ...x.data.subarray(8 * 16)]) };
      const swapInside = { shape: x.shape, data: Float64Array.from(x.data) }; // patches 8 and 9 (both in window 2) exchanged
      swapInside.data.set(x.data.subarray(9 * 16, 10 * 16), 8 * 16);
      swapInside.data.set(x.data.subarray(8 * 16, 9 * 16), 9 * 16);
      await expectNoLeak(() => {
        const merger = fast.ProVisionPatchMerger.fromWeights(cfg, w);
        const [xa, xb, xc] = [dataToTf(x), dataToTf(swapWindows), dataToTf(swapInside)];
        const [ya, yb, yc] = [merger.forward(xa), merger.forward(xb), merger.forward(xc)];
        // swapping windows 0 and 1 swaps output rows 0 and 1 and leaves row 2
        assertRelClose(rows(yb, 0, 1), rows(ya, 1, 1), 1e-6);
        assertRelClose(rows(yb, 1, 1), rows(ya, 0, 1), 1e-6);
        assertRelClose(rows(yb, 2, 1), rows(ya, 2, 1), 1e-6);
        // inside a window the order is the lane order: swapping two patches changes that row only
        assertRelClose(rows(yc, 0, 2), rows(ya, 0, 2), 1e-6);
        expect(relError(rows(yc, 2, 1), rows(ya, 2, 1))).toBeGreaterThan(1e-3);
        tf.dispose([xa, xb, xc, ya, yb, yc]);
        merger.dispose();
      });
    });
  });

  describe('ProVisionPatchMerger errors and leaks', () => {
    it('load: missing or misshapen tensors are named; nothing stays allocated', async () => {
      const cfg = tinyProVision({ depth: 1 });
      const w = proVisionWeights(cfg, 31);
      await expectThrowsNoLeak(() => fast.ProVisionPatchMerger.fromWeights(cfg, without(w, `${MP}.norm.weight`)), CheckpointError, /merger\.norm\.weight/);
      await expectThrowsNoLeak(() => fast.ProVisionPatchMerger.fromWeights(cfg, without(w, `${MP}.linear_fc2.bias`)), CheckpointError, /merger\.linear_fc2\.bias/);
      await expectThrowsNoLeak(() => fast.ProVisionPatchMerger.fromWeights({ ...cfg, out_hidden_size: 7 }, w), ShapeError, /^Linear: 'model\.visual\.merger\.linear_fc2\.weight' has shape \[12, 64\], expected \[7, 64\]$/);
      await expectThrowsNoLeak(() => fast.ProVisionPatchMerger.fromWeights({ ...cfg, spatial_merge_size: 1 }, w), ShapeError, /linear_fc1\.weight' has shape \[64, 64\], expected \[16, 16\]/);
    });

    it('forward: partial windows, a wrong width, rank or dtype are typed errors; nothing leaks over 30 calls', async () => {
      const cfg = tinyProVision({ depth: 1 });
      const merger = fast.ProVisionPatchMerger.fromWeights(cfg, proVisionWeights(cfg, 32));
      const [partial, narrow, cube, ints, ok] = [tf.zeros([6, 16]), tf.zeros([4, 8]), tf.zeros([1, 4, 16]), tf.zeros([4, 16], 'int32'), dataToTf(feats(8, 16, 33))];
      await expectThrowsNoLeak(() => merger.forward(partial), ShapeError, /^ProVisionPatchMerger: 'x' \[6, 16\] must be \[P, 16\] with P a multiple of 4 \(whole merge windows\)$/);
      await expectThrowsNoLeak(() => merger.forward(narrow), ShapeError, /'x' \[4, 8\] must be \[P, 16\]/);
      await expectThrowsNoLeak(() => merger.forward(cube), ShapeError, /must have rank 2/);
      await expectThrowsNoLeak(() => merger.forward(ints), DTypeError, /must be float32/);
      await expectNoLeak(() => {
        for (let i = 0; i < 30; i++) merger.forward(ok).dispose();
      });
      tf.dispose([partial, narrow, cube, ints, ok]);
      merger.dispose();
    });
  });
});

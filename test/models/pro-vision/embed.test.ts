/**
 * ProVisionPatchEmbed (spec 6.2.2, first line): the patch-embedding order against an explicit
 * Conv3d over the frames (moved here from model.test.ts), fast == reference on random small patch
 * geometries, typed errors at load and at call, and no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../../reference/models/pro-vision/index.js';
import { toFlat } from '../../../reference/ndarray.js';
import { CheckpointError, DTypeError, ShapeError } from '../../../src/errors.js';
import { flattenProPatches } from '../../../src/image/pro.js';
import * as fast from '../../../src/models/pro-vision/index.js';
import { mulberry32 } from '../../support/arbitraries.js';
import { assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf, toNd } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { without } from '../../support/weights.js';
import { patches, proVisionWeights, tinyProVision } from './tiny.js';
import { runs } from '../../support/runs.js';

/** Small patch geometries: Cin 1..3, Tp 1..2, p 2..4 (K = Cin·Tp·p² up to 96), width 4 or 8. */
const geometryArb = fc.record({
  in_channels: fc.integer({ min: 1, max: 3 }), temporal_patch_size: fc.integer({ min: 1, max: 2 }), patch_size: fc.integer({ min: 2, max: 4 }),
  hidden_size: fc.constantFrom(4, 8), P: fc.integer({ min: 1, max: 12 }), seed: fc.nat(),
});

forEachBackend(() => {
  describe('ProVisionPatchEmbed', () => {
    it('equals an explicit Conv3d (kernel = stride = (2, 16, 16)) over the frames, patch by patch in window order', async () => {
      const cfg = tinyProVision({ hidden_size: 8, num_heads: 2 });
      const w = proVisionWeights(cfg, 11);
      const [F, H, W] = [2, 64, 32]; // a 4x2 patch grid
      const rand = mulberry32(12);
      const frames = Float32Array.from({ length: F * 3 * H * W }, () => 2 * rand() - 1);
      const kernel = w.float32('model.visual.patch_embed.proj.weight'); // [C, 3, 2, 16, 16]
      const bias = w.float32('model.visual.patch_embed.proj.bias');
      const { rows, cols } = fast.proWindowCoords([[1, H / 16, W / 16]], 2);
      const conv = new Float64Array(rows.length * 8);
      for (let j = 0; j < rows.length; j++) {
        for (let o = 0; o < 8; o++) {
          let acc = bias[o];
          for (let c = 0; c < 3; c++) for (let f = 0; f < 2; f++) for (let py = 0; py < 16; py++) for (let px = 0; px < 16; px++) {
            const pix = frames[((f * 3 + c) * H + rows[j] * 16 + py) * W + cols[j] * 16 + px];
            acc += kernel[(((o * 3 + c) * 2 + f) * 16 + py) * 16 + px] * pix;
          }
          conv[j * 8 + o] = acc;
        }
      }
      await expectNoLeak(() => {
        const x = tf.tensor4d(frames, [F, 3, H, W]);
        const { pixelValues, gridThw } = flattenProPatches(x);
        expect(gridThw).toEqual([1, 4, 2]);
        const pe = fast.ProVisionPatchEmbed.fromWeights(cfg, w);
        const y = pe.forward(pixelValues);
        assertRelClose(y, { shape: [8, 8], data: conv }, 1e-5);
        const r = ref.ProVisionPatchEmbed.fromWeights(cfg, w).forward(toNd(pixelValues));
        assertRelClose({ shape: r.shape, data: toFlat(r) }, { shape: [8, 8], data: conv }, 1e-10);
        tf.dispose([x, pixelValues, y]);
        pe.dispose();
      });
    });
  });

  describe('ProVisionPatchEmbed: fast == reference, errors', () => {
    it('fast == reference (rel ≤ 1e-5) on random small patch geometries', async () => {
      await fc.assert(fc.asyncProperty(geometryArb, async ({ P, seed, ...geom }) => {
        const cfg = tinyProVision({ ...geom, num_heads: 1, num_position_embeddings: 16, depth: 1 });
        const K = geom.in_channels * geom.temporal_patch_size * geom.patch_size ** 2;
        const w = proVisionWeights(cfg, seed);
        const x = patches(P, K, seed + 1);
        const want = ref.ProVisionPatchEmbed.fromWeights(cfg, w).forward(dataToNd(x));
        await expectNoLeak(() => {
          const pe = fast.ProVisionPatchEmbed.fromWeights(cfg, w);
          expect(pe.inFeatures).toBe(K);
          const xt = dataToTf(x);
          const y = pe.forward(xt);
          expect(y.shape).toEqual([P, geom.hidden_size]);
          assertRelClose(y, want, 1e-5);
          tf.dispose([xt, y]);
          pe.dispose();
        });
      }), { numRuns: runs(15) });
    });

    it('load: a misshapen kernel or a missing bias is named and nothing stays allocated; the constructor checks its tensors', async () => {
      const cfg = tinyProVision({ hidden_size: 8, num_heads: 2 });
      const w = proVisionWeights(cfg, 13);
      await expectThrowsNoLeak(() => fast.ProVisionPatchEmbed.fromWeights({ ...cfg, temporal_patch_size: 1 }, w), ShapeError, /^ProVisionPatchEmbed: 'model\.visual\.patch_embed\.proj\.weight' has shape \[8, 3, 2, 16, 16\], expected \[8, 3, 1, 16, 16\]$/);
      await expectThrowsNoLeak(() => fast.ProVisionPatchEmbed.fromWeights(cfg, without(w, 'model.visual.patch_embed.proj.bias')), CheckpointError, /patch_embed\.proj\.bias/);
      await expectThrowsNoLeak(() => fast.ProVisionPatchEmbed.fromWeights(cfg, w, 'elsewhere'), CheckpointError, /elsewhere\.proj\.weight/);
      const [wT, b] = [tf.zeros([1536, 4]), tf.zeros([8])];
      expect(() => new fast.ProVisionPatchEmbed(cfg, wT as tf.Tensor2D, b as tf.Tensor1D)).toThrow(/weightT \[1536, 4\] and bias \[8\] must be \[1536, 8\] and \[8\]/);
      tf.dispose([wT, b]);
    });

    it('forward: a wrong feature count, an int tensor and a flat vector are typed errors; nothing leaks over 50 calls', async () => {
      const cfg = tinyProVision({ hidden_size: 8, num_heads: 2 });
      const pe = fast.ProVisionPatchEmbed.fromWeights(cfg, proVisionWeights(cfg, 14));
      const [narrow, ints, flat, ok] = [tf.zeros([3, 768]), tf.zeros([3, 1536], 'int32'), tf.zeros([1536]), tf.ones([2, 1536])];
      await expectThrowsNoLeak(() => pe.forward(narrow), ShapeError, /^ProVisionPatchEmbed: 'pixelValues' \[3, 768\] has 768 features per patch, expected in_channels·temporal_patch_size·patch_size² = 1536$/);
      await expectThrowsNoLeak(() => pe.forward(ints), DTypeError, /'pixelValues' must be float32/);
      await expectThrowsNoLeak(() => pe.forward(flat), ShapeError, /'pixelValues' must have rank 2/);
      await expectNoLeak(() => {
        for (let i = 0; i < 50; i++) pe.forward(ok).dispose();
      });
      tf.dispose([narrow, ints, flat, ok]);
      pe.dispose();
    });
  });
});

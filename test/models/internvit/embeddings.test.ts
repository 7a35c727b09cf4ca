/**
 * InternVisionEmbeddings: fast == reference on the trained grid and on other grids (interpolation,
 * non-square); the trained grid skips the interpolation exactly; input checks; missing and
 * mis-shaped weights; leaks.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toFlat } from '../../../reference/ndarray.js';
import * as ref from '../../../reference/models/internvit/index.js';
import { CheckpointError, ConfigError, DTypeError, ShapeError } from '../../../src/errors.js';
import { parseInternVitConfig } from '../../../src/io/configs/vision.js';
import { memoryWeights } from '../../../src/io/weights.js';
import * as fast from '../../../src/models/internvit/index.js';
import { assertClose, assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { pixels, tinyVit, tinyWeights, without, withTensors } from './tiny.js';
import { runs } from '../../support/runs.js';

const P = 'model.vision_tower.embeddings';

forEachBackend(() => {
  describe('InternVisionEmbeddings', () => {
    it('fast == reference on the trained 4x4 grid and on other grids (smaller, larger, non-square)', async () => {
      const grids = fc.constantFrom<[number, number]>([4, 4], [2, 2], [6, 6], [4, 6], [3, 5], [1, 2]);
      await fc.assert(fc.asyncProperty(grids, fc.integer({ min: 1, max: 2 }), fc.nat(), fc.constantFrom<'s1' | 'mini'>('s1', 'mini'), async ([hp, wp], N, seed, v) => {
        const cfg = tinyVit(v);
        const w = tinyWeights(cfg, seed);
        const x = pixels([N, 3, 4 * hp, 4 * wp], seed);
        const expected = ref.InternVisionEmbeddings.fromWeights(cfg, w).forward(dataToNd(x));
        await expectNoLeak(() => {
          const emb = fast.InternVisionEmbeddings.fromWeights(cfg, w);
          const xt = dataToTf(x);
          const y = emb.forward(xt);
          expect(y.shape).toEqual([N, 1 + hp * wp, 32]);
          assertRelClose(y, expected, 1e-5);
          tf.dispose([xt, y]);
          emb.dispose();
        });
      }), { numRuns: runs(12) });
    });

    it('on the trained grid the position table is used as stored (interpolation skipped)', async () => {
      const cfg = tinyVit('s1');
      const w = tinyWeights(cfg, 3);
      const table = w.float32(`${P}.position_embeddings`);
      await expectNoLeak(() => {
        const emb = fast.InternVisionEmbeddings.fromWeights(cfg, w);
        const pos = emb.positionsFor(4, 4);
        expect(Array.from(pos.dataSync())).toEqual(Array.from(table)); // bit for bit
        const other = emb.positionsFor(4, 6);
        expect(other.shape).toEqual([25, 32]);
        expect(Array.from(other.dataSync().slice(0, 32))).toEqual(Array.from(table.slice(0, 32))); // CLS row kept
        tf.dispose([pos, other]);
        emb.dispose();
      });
    });

    it('the resized table equals PyTorch F.interpolate(bicubic, align_corners=False) on a real 32x32 grid (fixture)', async () => {
      // test/fixtures/interp.json (make_interp.py): torch's output for a random [1, 1, 32, 32]
      // grid. As a 1-wide position table (rows y, columns x, row-major like HF's reshape) the
      // resized rows must match it: this checks the wiring (orientation, CLS kept) end to end.
      const fx = JSON.parse(readFileSync('test/fixtures/interp.json', 'utf8')) as {
        inputs: Record<string, { shape: number[]; data: number[] }>;
        cases: { input: string; mode: string; alignCorners: boolean; outH: number; outW: number; data: number[] }[];
      };
      const cfg = parseInternVitConfig({ hidden_size: 1, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 1, image_size: 448, patch_size: 14 });
      const grid = fx.inputs.grid32.data;
      const z = (shape: number[]) => ({ dtype: 'F32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
      const w = memoryWeights({
        [`${P}.cls_token`]: z([1, 1, 1]), [`${P}.patch_embeddings.projection.weight`]: z([1, 3, 14, 14]),
        [`${P}.patch_embeddings.projection.bias`]: z([1]),
        [`${P}.position_embeddings`]: { dtype: 'F32', shape: [1, 1025, 1], data: [0.25, ...grid] },
      });
      const emb = fast.InternVisionEmbeddings.fromWeights(cfg, w);
      const remb = ref.InternVisionEmbeddings.fromWeights(cfg, w);
      const cases = fx.cases.filter((c) => c.input === 'grid32' && c.mode === 'bicubic' && !c.alignCorners);
      expect(cases.map((c) => c.outH)).toEqual([24, 40]);
      for (const c of cases) {
        await expectNoLeak(() => {
          const pos = emb.positionsFor(c.outH, c.outW);
          const vals = pos.dataSync();
          expect(vals[0]).toBe(0.25);
          assertClose({ shape: [c.data.length], data: vals.slice(1) }, { shape: [c.data.length], data: c.data }, { rtol: 1e-5, atol: 1e-5 }); // torch computes weights and sums in float32
          pos.dispose();
        });
        const r = toFlat(remb.positionsFor(c.outH, c.outW));
        expect(r[0]).toBe(0.25);
        assertClose({ shape: [c.data.length], data: r.slice(1) }, { shape: [c.data.length], data: c.data }, { rtol: 1e-5, atol: 1e-5 });
      }
      emb.dispose();
    });

    it('rejects bad pixel values with typed errors naming the argument, and leaks nothing', async () => {
      const cfg = tinyVit('s1');
      const emb = fast.InternVisionEmbeddings.fromWeights(cfg, tinyWeights(cfg, 2));
      const bad: [tf.Tensor, new (...a: never[]) => Error, RegExp][] = [
        [tf.zeros([1, 4, 16, 16]), ShapeError, /pixel_values.*4 channels.*num_channels 3/],
        [tf.zeros([1, 3, 18, 16]), ShapeError, /image 18x16 is not a positive multiple of the patch size 4x4/],
        [tf.zeros([1, 3, 16, 15]), ShapeError, /16x15/],
        [tf.zeros([3, 16, 16]), ShapeError, /pixel_values.*rank 4/],
        [tf.zeros([1, 3, 16, 16], 'int32'), DTypeError, /pixel_values.*float32/],
        [tf.zeros([0, 3, 16, 16]), ShapeError, /pixel_values.*empty/],
      ];
      for (const [x, cls, msg] of bad) await expectThrowsNoLeak(() => emb.forward(x), cls, msg);
      tf.dispose(bad.map((b) => b[0]));
      emb.dispose();
    });

    it('missing or mis-shaped weights fail at load with the tensor named, leaving nothing allocated', async () => {
      const cfg = tinyVit('s1');
      const w = tinyWeights(cfg, 4);
      await expectThrowsNoLeak(() => fast.InternVisionEmbeddings.fromWeights(cfg, without(w, `${P}.cls_token`)), CheckpointError, /model\.vision_tower\.embeddings\.cls_token/);
      await expectThrowsNoLeak(() => fast.InternVisionEmbeddings.fromWeights(cfg, without(w, `${P}.position_embeddings`)), CheckpointError, /position_embeddings/);
      const wrongPos = withTensors(w, { [`${P}.position_embeddings`]: { dtype: 'F32', shape: [1, 16, 32], data: new Float32Array(16 * 32) } });
      await expectThrowsNoLeak(() => fast.InternVisionEmbeddings.fromWeights(cfg, wrongPos), ShapeError, /position_embeddings' has shape \[1, 16, 32\], expected \[1, 17, 32\]/);
      expect(() => ref.InternVisionEmbeddings.fromWeights(cfg, wrongPos)).toThrow(/position_embeddings.*\[1, 17, 32\]/);
      await expectThrowsNoLeak(() => fast.InternVisionEmbeddings.fromWeights({ ...cfg, norm_type: 'batch_norm' as 'rms_norm' }, w), ConfigError, /unsupported norm_type 'batch_norm'/);
    });

    it('without absolute position embeddings: CLS + patches only', async () => {
      const cfg = tinyVit('mini', { use_absolute_position_embeddings: false });
      const w = tinyWeights(cfg, 5);
      const x = pixels([1, 3, 8, 12], 5);
      const expected = ref.InternVisionEmbeddings.fromWeights(cfg, w).forward(dataToNd(x));
      await expectNoLeak(() => {
        const emb = fast.InternVisionEmbeddings.fromWeights(cfg, w);
        const xt = dataToTf(x);
        const y = emb.forward(xt);
        assertClose(y, expected, { rtol: 1e-5, atol: 1e-5 });
        tf.dispose([xt, y]);
        emb.dispose();
      });
    });
  });
});

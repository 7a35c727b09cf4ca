/**
 * The Intern-S1-Pro vision tower (spec 6.2.2): fast == reference for several grids (non-square,
 * several items, a t = 2 video), block isolation (no attention across images or temporal groups),
 * hidden states, preprocessing → tower end to end on a PNG, the tiny Pro checkpoint, errors and
 * leaks. The parts have their own files: embed (the Conv3d order), positions, grid, block, merger.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as refImage from '../../../reference/image/pro.js';
import * as ref from '../../../reference/models/pro-vision/index.js';
import { toFlat } from '../../../reference/ndarray.js';
import { CheckpointError, ConfigError, DTypeError, ShapeError, ValueError } from '../../../src/errors.js';
import { type InternS1ProConfig, parseConfig } from '../../../src/io/config.js';
import { readImage } from '../../../src/image/decode.js';
import { preprocessProImage } from '../../../src/image/pro.js';
import { tinyConfigJson, tinyTensors } from '../../../src/io/tiny.js';
import { memoryWeights, type WeightSource } from '../../../src/io/weights.js';
import * as fast from '../../../src/models/pro-vision/index.js';
import { assertRelClose, relError } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf, toNd } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { without } from '../../support/weights.js';
import { gridPatches, patches, proVisionWeights, tinyProVision } from './tiny.js';
import { runs } from '../../support/runs.js';

type Grid = [number, number, number][];

/** The fast tower's features and the reference's for the same weights and patches. */
function both(cfg: ReturnType<typeof tinyProVision>, w: WeightSource, grid: Grid, seed: number) {
  const x = gridPatches(cfg, grid, seed);
  const expected = ref.ProVisionModel.fromWeights(cfg, w).forward(dataToNd(x), grid);
  return { x, expected };
}

forEachBackend(() => {
  describe('ProVisionModel: fast == reference', () => {
    it('single images of several sizes (square, non-square), videos and batches', async () => {
      const cfg = tinyProVision();
      const grids: Grid[] = [[[1, 2, 2]], [[1, 4, 6]], [[1, 6, 4]], [[1, 2, 8]], [[2, 4, 4]], [[1, 4, 4], [1, 2, 6]], [[1, 2, 2], [2, 2, 4], [1, 6, 2]]];
      await fc.assert(fc.asyncProperty(fc.constantFrom(...grids), fc.nat(), async (grid, seed) => {
        const w = proVisionWeights(cfg, seed);
        const { x, expected } = both(cfg, w, grid, seed + 1);
        await expectNoLeak(() => {
          const tower = fast.ProVisionModel.fromWeights(cfg, w);
          const xt = dataToTf(x);
          const y = tower.forward(xt, grid);
          const rows = grid.reduce((s, [t, h, ww]) => s + (t * h * ww) / 4, 0);
          expect(y.shape).toEqual([rows, 12]);
          assertRelClose(y, expected, 1e-4, JSON.stringify(grid));
          tf.dispose([xt, y]);
          tower.dispose();
        });
      }), { numRuns: runs(8) });
    });

    it('a small patch geometry and 4 heads (head dim 4): grids up to 10x10, gh != gw', async () => {
      const cfg = tinyProVision({ hidden_size: 16, num_heads: 4, patch_size: 2, temporal_patch_size: 1, in_channels: 3, num_position_embeddings: 64, depth: 1 });
      const arb = fc.record({ gh: fc.integer({ min: 1, max: 5 }), gw: fc.integer({ min: 1, max: 5 }), t: fc.integer({ min: 1, max: 2 }), seed: fc.nat() });
      await fc.assert(fc.asyncProperty(arb, async ({ gh, gw, t, seed }) => {
        const grid: Grid = [[t, 2 * gh, 2 * gw]];
        const w = proVisionWeights(cfg, seed);
        const { x, expected } = both(cfg, w, grid, seed);
        const tower = fast.ProVisionModel.fromWeights(cfg, w);
        const xt = dataToTf(x);
        const y = tower.forward(xt, grid);
        assertRelClose(y, expected, 1e-4, JSON.stringify(grid));
        tf.dispose([xt, y]);
        tower.dispose();
      }), { numRuns: runs(10) });
    });

    it('hidden states: the embeddings then each block, equal to the reference; the features are unchanged', async () => {
      const cfg = tinyProVision();
      const w = proVisionWeights(cfg, 5);
      const grid: Grid = [[1, 4, 6]];
      const x = gridPatches(cfg, grid, 6);
      const r = ref.ProVisionModel.fromWeights(cfg, w).forward(dataToNd(x), grid, { outputHiddenStates: true });
      await expectNoLeak(() => {
        const tower = fast.ProVisionModel.fromWeights(cfg, w);
        const xt = dataToTf(x);
        const out = tower.forward(xt, grid, { outputHiddenStates: true });
        expect(out.hiddenStates.length).toBe(cfg.depth + 1);
        out.hiddenStates.forEach((h, i) => assertRelClose(h, r.hiddenStates[i], 1e-4, `hidden ${i}`));
        assertRelClose(out.imageFeatures, r.imageFeatures, 1e-4);
        const plain = tower.forward(xt, grid);
        expect(Array.from(plain.dataSync())).toEqual(Array.from(out.imageFeatures.dataSync()));
        tf.dispose([xt, plain, out.imageFeatures, ...out.hiddenStates]);
        tower.dispose();
      });
    });
  });

  describe('block-diagonal attention (gotcha 10.14)', () => {
    it("changing image 2's pixels leaves image 1's features unchanged; image 1 in a batch = image 1 alone", async () => {
      const cfg = tinyProVision();
      const w = proVisionWeights(cfg, 21);
      const grid: Grid = [[1, 4, 4], [1, 2, 6]];
      const K = 1536;
      const a = gridPatches(cfg, grid, 22);
      const b = { shape: a.shape, data: Float64Array.from(a.data) };
      const noise = patches(12, K, 23).data;
      b.data.set(noise, 16 * K); // image 2 = patches 16..27
      await expectNoLeak(() => {
        const tower = fast.ProVisionModel.fromWeights(cfg, w);
        const [xa, xb, x1] = [dataToTf(a), dataToTf(b), tf.tensor2d(Float32Array.from(a.data.subarray(0, 16 * K)), [16, K])];
        const [ya, yb, y1] = [tower.forward(xa, grid), tower.forward(xb, grid), tower.forward(x1, [grid[0]])];
        const first = (y: tf.Tensor) => tf.slice(y, [0, 0], [4, -1]);
        const last = (y: tf.Tensor) => tf.slice(y, [4, 0], [3, -1]);
        const [fa, fb, la, lb] = [first(ya), first(yb), last(ya), last(yb)];
        assertRelClose(fb, toNd(fa), 1e-6, 'image 1 after changing image 2');
        assertRelClose(fa, toNd(y1), 1e-6, 'image 1 batched vs alone');
        expect(relError(lb, toNd(la))).toBeGreaterThan(0.05); // image 2 did change
        tf.dispose([xa, xb, x1, ya, yb, y1, fa, fb, la, lb]);
        tower.dispose();
      });
      // The check can fail: one dense attention over both images (seqLens = [28]) changes image 1.
      const rt = ref.ProVisionModel.fromWeights(cfg, w);
      const feats = (x: typeof a, seqLens: number[]) => {
        const pos = rt.positions(grid);
        let h = rt.embed(dataToNd(x), grid);
        for (const blk of rt.blocks) h = blk.forward(h, { ...pos, seqLens });
        return toFlat(rt.merger.forward(h)).slice(0, 4 * 12);
      };
      expect(relError({ shape: [48], data: feats(b, [16, 12]) }, { shape: [48], data: feats(a, [16, 12]) })).toBeLessThan(1e-12);
      expect(relError({ shape: [48], data: feats(b, [28]) }, { shape: [48], data: feats(a, [28]) })).toBeGreaterThan(1e-3);
    });

    it('a t = 2 video equals two t = 1 items of its frame pairs (no attention across temporal groups, positions repeated)', async () => {
      const cfg = tinyProVision();
      const w = proVisionWeights(cfg, 31);
      const x = gridPatches(cfg, [[2, 4, 2]], 32);
      await expectNoLeak(() => {
        const tower = fast.ProVisionModel.fromWeights(cfg, w);
        const xt = dataToTf(x);
        const video = tower.forward(xt, [[2, 4, 2]]);
        const pair = tower.forward(xt, [[1, 4, 2], [1, 4, 2]]);
        expect(video.shape).toEqual([4, 12]);
        assertRelClose(video, toNd(pair), 1e-6);
        expect(fast.proVisionSeqLens([[2, 4, 2]])).toEqual([8, 8]);
        tf.dispose([xt, video, pair]);
        tower.dispose();
      });
    });
  });

  describe('end to end', () => {
    it('PNG → preprocessProImage → tower, fast == reference (preprocessing and tower each in their own twin)', async () => {
      const cfg = tinyProVision();
      const w = proVisionWeights(cfg, 41);
      const img = readImage('test/fixtures/images/src/rgb8.png'); // 23x17 → smart_resize 224x320
      const r = refImage.preprocessProImage(img);
      expect(r.gridThw).toEqual([1, 14, 20]);
      const expected = ref.ProVisionModel.fromWeights(cfg, w).forward(r.pixelValues, [r.gridThw]);
      await expectNoLeak(() => {
        const p = preprocessProImage(img);
        expect(p.gridThw).toEqual([1, 14, 20]);
        const tower = fast.ProVisionModel.fromWeights(cfg, w);
        expect(tower.tokenCounts([p.gridThw])).toEqual([70]);
        const y = tower.forward(p.pixelValues, [p.gridThw]);
        expect(y.shape).toEqual([70, 12]);
        assertRelClose(y, expected, 1e-4);
        tf.dispose([p.pixelValues, y]);
        tower.dispose();
      });
    });

    it('loads from the tiny Pro checkpoint (model.visual.* as tiny.ts writes them) and matches the reference', async () => {
      const json = tinyConfigJson('pro', { vocabSize: 256 });
      const cfg = (parseConfig(json) as InternS1ProConfig).vision_config;
      const w = memoryWeights(tinyTensors(json, { seed: 3 }));
      const grid: Grid = [[1, 2, 4], [2, 2, 2]];
      const { x, expected } = both(cfg, w, grid, 4);
      await expectNoLeak(() => {
        const tower = fast.ProVisionModel.fromWeights(cfg, w);
        const xt = dataToTf(x);
        const y = tower.forward(xt, grid);
        expect(y.shape).toEqual([4, cfg.out_hidden_size]);
        assertRelClose(y, expected, 1e-4);
        tf.dispose([xt, y]);
        tower.dispose();
      });
    });

    it('accepts the grid as an int32 [N, 3] tensor', async () => {
      const cfg = tinyProVision();
      const w = proVisionWeights(cfg, 51);
      const grid: Grid = [[1, 2, 4], [1, 2, 2]];
      const { x, expected } = both(cfg, w, grid, 52);
      await expectNoLeak(() => {
        const tower = fast.ProVisionModel.fromWeights(cfg, w);
        const [xt, g] = [dataToTf(x), tf.tensor2d(grid.flat(), [2, 3], 'int32')];
        const y = tower.forward(xt, g);
        assertRelClose(y, expected, 1e-4);
        tf.dispose([xt, g, y]);
        tower.dispose();
      });
    });
  });

  describe('errors', () => {
    it('bad grids and pixel values name the argument and leak nothing', async () => {
      const cfg = tinyProVision();
      const w = proVisionWeights(cfg, 61);
      const tower = fast.ProVisionModel.fromWeights(cfg, w);
      const x = dataToTf(gridPatches(cfg, [[1, 2, 4]], 62)); // [8, 1536]
      const run = (px: tf.Tensor, g: unknown) => () => tower.forward(px, g as Grid);
      await expectThrowsNoLeak(run(x, [[1, 3, 4]]), ShapeError, /'gridThw\[0\]' = \[1, 3, 4\]: gh and gw must be multiples of the merge size 2/);
      await expectThrowsNoLeak(run(x, [[1, 2, 5]]), ShapeError, /gridThw\[0\].*multiples of the merge size/);
      await expectThrowsNoLeak(run(x, [[1, 2, 2]]), ShapeError, /'pixelValues' has 8 patches but 'gridThw' \[\[1, 2, 2\]\] needs Σ t·gh·gw = 4/);
      await expectThrowsNoLeak(run(x, [[1, 2, 2], [1, 2, 4]]), ShapeError, /needs Σ t·gh·gw = 12/);
      await expectThrowsNoLeak(run(x, [[0, 2, 4]]), ValueError, /'gridThw\[0\]' = \[0, 2, 4\] must hold positive integers/);
      await expectThrowsNoLeak(run(x, [[1, 2.5, 4]]), ValueError, /gridThw\[0\]/);
      await expectThrowsNoLeak(run(x, []), ValueError, /'gridThw' is empty/);
      await expectThrowsNoLeak(run(x, [[1, 2]]), ShapeError, /'gridThw\[0\]' must be \[t, gh, gw\]/);
      const gf = tf.tensor2d([[1, 2, 4]]);
      await expectThrowsNoLeak(run(x, gf), DTypeError, /'gridThw' must be an int32 tensor/);
      const g4 = tf.tensor2d([[1, 2, 4, 1]], [1, 4], 'int32');
      await expectThrowsNoLeak(run(x, g4), ShapeError, /'gridThw' must have shape \[N, 3\]/);
      const narrow = tf.zeros([8, 1535]);
      await expectThrowsNoLeak(run(narrow, [[1, 2, 4]]), ShapeError, /'pixelValues' \[8, 1535\] has 1535 features per patch, expected in_channels·temporal_patch_size·patch_size² = 1536/);
      const ints = tf.zeros([8, 1536], 'int32');
      await expectThrowsNoLeak(run(ints, [[1, 2, 4]]), DTypeError, /pixelValues/);
      const flat = tf.zeros([8 * 1536]);
      await expectThrowsNoLeak(run(flat, [[1, 2, 4]]), ShapeError, /pixelValues/);
      tf.dispose([x, gf, g4, narrow, ints, flat]);
      tower.dispose();
    });

    it('missing or misshapen weights and bad configs fail before anything stays allocated', async () => {
      const cfg = tinyProVision();
      const w = proVisionWeights(cfg, 71);
      await expectThrowsNoLeak(() => fast.ProVisionModel.fromWeights(cfg, without(w, 'model.visual.blocks.1.attn.qkv.bias')), CheckpointError, /blocks\.1\.attn\.qkv\.bias/);
      await expectThrowsNoLeak(() => fast.ProVisionModel.fromWeights(cfg, without(w, 'model.visual.merger.norm.bias')), CheckpointError, /merger\.norm\.bias/);
      await expectThrowsNoLeak(() => fast.ProVisionModel.fromWeights({ ...cfg, out_hidden_size: 10 }, w), ShapeError, /merger\.linear_fc2\.weight' has shape \[12, 64\], expected \[10, 64\]/);
      await expectThrowsNoLeak(() => fast.ProVisionModel.fromWeights({ ...cfg, num_position_embeddings: 2500 }, w), ShapeError, /pos_embed\.weight' has shape \[2304, 16\], expected \[2500, 16\]/);
      await expectThrowsNoLeak(() => fast.ProVisionModel.fromWeights({ ...cfg, patch_size: 14 }, w), ShapeError, /patch_embed\.proj\.weight' has shape \[16, 3, 2, 16, 16\], expected \[16, 3, 2, 14, 14\]/);
      await expectThrowsNoLeak(() => fast.ProVisionModel.fromWeights({ ...cfg, num_heads: 8 }, w), ConfigError, /head dim 2 .* must be a multiple of 4/);
      await expectThrowsNoLeak(() => fast.ProVisionModel.fromWeights({ ...cfg, num_position_embeddings: 2000 }, w), ConfigError, /must be a square/);
      await expectThrowsNoLeak(() => fast.ProVisionModel.fromWeights({ ...cfg, hidden_act: 'mish' as 'gelu' }, w), ConfigError, /unknown activation 'mish'/);
    });
  });
});

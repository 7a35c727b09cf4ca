/**
 * One block of the Pro vision tower (spec 6.2.2): ProVisionBlock, and its ProVisionAttention and
 * ProVisionMLP, fast == reference on random grids (several items, t = 2, 2 or 4 heads); the
 * attention blocks really separate items at block level; typed errors at load and at call; no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../../reference/models/pro-vision/index.js';
import { CheckpointError, ConfigError, DTypeError, ShapeError } from '../../../src/errors.js';
import type { ProVisionConfig } from '../../../src/io/configs/vision.js';
import * as fast from '../../../src/models/pro-vision/index.js';
import { mulberry32, normals } from '../../support/arbitraries.js';
import { assertRelClose, relError } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { type Data, dataToNd, dataToTf, toNd } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { without } from '../../support/weights.js';
import { proVisionWeights, tinyProVision } from './tiny.js';
import { runs } from '../../support/runs.js';

type Grid = [number, number, number][];
const BP = 'model.visual.blocks.0';

/** Random grid lists of 1..2 items (t 1..2, gh and gw even, at most 6), the tokens of a block. */
const gridArb: fc.Arbitrary<Grid> = fc.array(
  fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })).map(([t, h, w]): [number, number, number] => [t, 2 * h, 2 * w]),
  { minLength: 1, maxLength: 2 },
);

/** Seeded tokens `[P, C]` of std 1. */
function tokens(P: number, C: number, seed: number): Data {
  return { shape: [P, C], data: normals(mulberry32(seed), P * C) };
}

/** The position inputs of a grid for the fast block (the caller disposes cos and sin) and for the reference. */
function positions(grid: Grid, cfg: ProVisionConfig) {
  const d = cfg.hidden_size / cfg.num_heads;
  return { fast: { ...fast.proVisionRopeTables(grid, d), seqLens: fast.proVisionSeqLens(grid) }, ref: { ...ref.proVisionRopeTables(grid, d), seqLens: ref.proVisionSeqLens(grid) } };
}

forEachBackend(() => {
  describe('ProVisionBlock: fast == reference', () => {
    it('the block, its attention and its MLP (rel ≤ 1e-4) on random grids with 2 or 4 heads', async () => {
      await fc.assert(fc.asyncProperty(gridArb, fc.constantFrom(2, 4), fc.nat(), async (grid, H, seed) => {
        const cfg = tinyProVision({ num_heads: H, depth: 1 });
        const w = proVisionWeights(cfg, seed);
        const P = grid.reduce((s, [t, h, ww]) => s + t * h * ww, 0);
        const x = tokens(P, 16, seed + 1);
        const pos = positions(grid, cfg);
        const rb = ref.ProVisionBlock.fromWeights(cfg, w, BP);
        const xn = dataToNd(x);
        const want = { block: rb.forward(xn, pos.ref), attn: rb.attn.forward(xn, pos.ref), mlp: rb.mlp.forward(xn) };
        await expectNoLeak(() => {
          const block = fast.ProVisionBlock.fromWeights(cfg, w, BP);
          const xt = dataToTf(x);
          const [y, a, m] = [block.forward(xt, pos.fast), block.attn.forward(xt, pos.fast), block.mlp.forward(xt)];
          expect(y.shape).toEqual([P, 16]);
          assertRelClose(y, want.block, 1e-4, 'block');
          assertRelClose(a, want.attn, 1e-4, 'attention');
          assertRelClose(m, want.mlp, 1e-4, 'mlp');
          tf.dispose([xt, y, a, m]);
          block.dispose();
        });
        tf.dispose([pos.fast.cos, pos.fast.sin]);
      }), { numRuns: runs(12) });
    });

    it('attention stays inside each block of seqLens: item 1 does not see item 2, one dense block would', async () => {
      const cfg = tinyProVision({ depth: 1 });
      const w = proVisionWeights(cfg, 7);
      const grid: Grid = [[1, 2, 4], [1, 2, 2]]; // 8 + 4 patches
      const pos = positions(grid, cfg);
      const x = tokens(12, 16, 8);
      const changed = { shape: x.shape, data: Float64Array.from(x.data) };
      changed.data.set(normals(mulberry32(9), 4 * 16), 8 * 16); // new tokens for item 2
      await expectNoLeak(() => {
        const block = fast.ProVisionBlock.fromWeights(cfg, w);
        const [xa, xb] = [dataToTf(x), dataToTf(changed)];
        const [ya, yb] = [block.forward(xa, pos.fast), block.forward(xb, pos.fast)];
        const dense = { ...pos.fast, seqLens: [12] };
        const [da, db] = [block.forward(xa, dense), block.forward(xb, dense)];
        const first = (y: tf.Tensor) => tf.slice(y, [0, 0], [8, 16]);
        const [fa, fb, ga, gb] = [first(ya), first(yb), first(da), first(db)];
        assertRelClose(fb, toNd(fa), 1e-6, 'item 1 with item 2 changed');
        expect(relError(gb, toNd(ga))).toBeGreaterThan(1e-3); // without the blocks it would change
        tf.dispose([xa, xb, ya, yb, da, db, fa, fb, ga, gb]);
        block.dispose();
      });
      tf.dispose([pos.fast.cos, pos.fast.sin]);
    });
  });

  describe('ProVisionBlock errors and leaks', () => {
    it('load: missing or misshapen tensors are named, a bad config is a ConfigError; nothing stays allocated', async () => {
      const cfg = tinyProVision();
      const w = proVisionWeights(cfg, 11);
      await expectThrowsNoLeak(() => fast.ProVisionBlock.fromWeights(cfg, without(w, `${BP}.norm2.bias`)), CheckpointError, /blocks\.0\.norm2\.bias/);
      await expectThrowsNoLeak(() => fast.ProVisionBlock.fromWeights(cfg, without(w, `${BP}.mlp.linear_fc2.weight`)), CheckpointError, /mlp\.linear_fc2\.weight/);
      await expectThrowsNoLeak(() => fast.ProVisionBlock.fromWeights({ ...cfg, intermediate_size: 24 }, w), ShapeError, /^Linear: 'model\.visual\.blocks\.0\.mlp\.linear_fc1\.weight' has shape \[32, 16\], expected \[24, 16\]$/);
      await expectThrowsNoLeak(() => fast.ProVisionBlock.fromWeights({ ...cfg, hidden_size: 8 }, w), ShapeError, /norm1\.weight' has shape \[16\], expected \[8\]/);
      await expectThrowsNoLeak(() => fast.ProVisionBlock.fromWeights({ ...cfg, num_heads: 8 }, w), ConfigError, /^ProVisionBlock: head dim 2 .* must be a multiple of 4/);
      await expectThrowsNoLeak(() => fast.ProVisionAttention.fromWeights(cfg, w, `${BP}.nope`), CheckpointError, /blocks\.0\.nope\.qkv\.weight/);
    });

    it('forward: width, rank and dtype are typed errors naming the op; nothing leaks over 30 calls', async () => {
      const cfg = tinyProVision();
      const block = fast.ProVisionBlock.fromWeights(cfg, proVisionWeights(cfg, 12), `model.visual.blocks.1`);
      const grid: Grid = [[1, 2, 2]];
      const pos = positions(grid, cfg).fast;
      const [narrow, cube, ints, ok] = [tf.zeros([4, 15]), tf.zeros([1, 4, 16]), tf.zeros([4, 16], 'int32'), dataToTf(tokens(4, 16, 13))];
      await expectThrowsNoLeak(() => block.forward(narrow, pos), ShapeError, /^ProVisionBlock: 'x' \[4, 15\] has width 15 but the config has hidden_size 16$/);
      await expectThrowsNoLeak(() => block.forward(cube, pos), ShapeError, /ProVisionBlock: 'x' must have rank 2/);
      await expectThrowsNoLeak(() => block.forward(ints, pos), DTypeError, /ProVisionBlock: 'x' must be float32/);
      await expectThrowsNoLeak(() => block.attn.forward(narrow, pos), ShapeError, /^ProVisionAttention: 'x' \[4, 15\] has width 15/);
      await expectNoLeak(() => {
        for (let i = 0; i < 30; i++) block.forward(ok, pos).dispose();
      });
      tf.dispose([narrow, cube, ints, ok, pos.cos, pos.sin]);
      block.dispose();
    });
  });
});

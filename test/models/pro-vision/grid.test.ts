/**
 * The patch grids of the Pro vision tower (spec 6.2.1, 6.2.2, 8.2): window coordinates, attention
 * blocks, token counts, video groups and grid validation on hand-worked cases (moved here from
 * positions.test.ts), fast == reference and the window-order invariants on random grids and merge
 * sizes, int32 grid tensors on both backends, and every error.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../../reference/models/pro-vision/index.js';
import { DTypeError, ShapeError, ValueError } from '../../../src/errors.js';
import * as fast from '../../../src/models/pro-vision/index.js';
import { applyChatTemplate, expandMediaPlaceholders } from '../../../src/tokenizer/chat.js';
import { forEachBackend } from '../../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { runs } from '../../support/runs.js';

/** Random grid lists: 1..3 items, t 1..3, gh and gw multiples of the merge size m (1..3), up to 5 windows a side. */
const gridsArb = fc.integer({ min: 1, max: 3 }).chain((m) => fc.record({
  m: fc.constant(m),
  grid: fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })).map(([t, h, w]) => [t, h * m, w * m]), { minLength: 1, maxLength: 3 }),
}));

// The backend blocks come first: the host-only tests below also build a grid tensor, on the backend left active.
forEachBackend(() => {
  describe('grids as int32 [N, 3] tensors', () => {
    it('give the same coordinates, blocks and counts as the arrays, and leak nothing', async () => {
      const grid = [[2, 4, 6], [1, 2, 2]];
      const g = tf.tensor2d(grid, [2, 3], 'int32');
      await expectNoLeak(() => {
        expect(fast.checkGridThw('op', g, 2)).toEqual(grid);
        const [a, b] = [fast.proWindowCoords(g), fast.proWindowCoords(grid)];
        expect(Array.from(a.rows)).toEqual(Array.from(b.rows));
        expect(Array.from(a.cols)).toEqual(Array.from(b.cols));
        expect(fast.proVisionSeqLens(g)).toEqual([24, 24, 4]);
        expect(fast.proVisionTokenCounts(g)).toEqual([12, 1]);
      });
      g.dispose();
    });

    it('reject float, misshapen and bad-valued tensors with typed errors, leaking nothing', async () => {
      const [f, r1, w4, zero] = [tf.tensor2d([[1, 2, 2]]), tf.tensor1d([1, 2, 2], 'int32'), tf.tensor2d([[1, 2, 2, 1]], [1, 4], 'int32'), tf.tensor2d([[1, 0, 2]], [1, 3], 'int32')];
      await expectThrowsNoLeak(() => fast.proVisionSeqLens(f), DTypeError, /^proVisionSeqLens: 'gridThw' must be an int32 tensor, got float32$/);
      await expectThrowsNoLeak(() => fast.proWindowCoords(r1), ShapeError, /'gridThw' must have shape \[N, 3\], got \[3\]/);
      await expectThrowsNoLeak(() => fast.proVisionTokenCounts(w4), ShapeError, /got \[1, 4\]/);
      await expectThrowsNoLeak(() => fast.checkGridThw('op', zero, 2), ValueError, /'gridThw\[0\]' = \[1, 0, 2\] must hold positive integers/);
      tf.dispose([f, r1, w4, zero]);
    });
  });
});

describe('grids: window coordinates, attention blocks, token counts, video groups', () => {
  it('window coordinates: windows row-major, row-major inside, repeated over t and per item', () => {
    const { rows, cols } = fast.proWindowCoords([[2, 2, 4], [1, 4, 2]]);
    const one = [[0, 0], [0, 1], [1, 0], [1, 1], [0, 2], [0, 3], [1, 2], [1, 3]];
    const two = [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1], [3, 0], [3, 1]];
    expect(Array.from(rows)).toEqual([...one, ...one, ...two].map((p) => p[0]));
    expect(Array.from(cols)).toEqual([...one, ...one, ...two].map((p) => p[1]));
    expect(ref.proWindowCoords([[2, 2, 4], [1, 4, 2]])).toEqual({ rows: Array.from(rows), cols: Array.from(cols) });
    const m3 = fast.proWindowCoords([[1, 3, 6]], 3); // merge size 3: two 3x3 windows
    expect(Array.from(m3.cols.subarray(0, 10))).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 3]);
  });

  it('attention blocks are gh·gw per temporal group; token counts t·gh·gw / 4', () => {
    const grid = [[1, 28, 28], [2, 4, 6], [1, 2, 2]];
    expect(fast.proVisionSeqLens(grid)).toEqual([784, 24, 24, 4]);
    expect(fast.proVisionTokenCounts(grid)).toEqual([196, 12, 1]);
    expect(ref.proVisionSeqLens(grid)).toEqual([784, 24, 24, 4]);
    expect(ref.proVisionTokenCounts(grid)).toEqual([196, 12, 1]);
    expect(fast.proPatchCount(fast.checkGridThw('t', grid, 2))).toBe(784 + 48 + 4);
    const g = tf.tensor2d([[1, 28, 28]], [1, 3], 'int32');
    expect(fast.proVisionTokenCounts(g)).toEqual([196]);
    g.dispose();
  });

  it('token counts expand the chat template placeholder: <|vision_start|><|image_pad|>×N<|vision_end|>', () => {
    const p = applyChatTemplate([{ role: 'user', content: [{ type: 'image' }, { type: 'image' }, { type: 'text', text: 'Compare.' }] }]);
    const out = expandMediaPlaceholders(p, { images: fast.proVisionTokenCounts([[1, 4, 4], [1, 2, 6]]) });
    expect(out).toContain(`Picture 1: <|vision_start|>${'<|image_pad|>'.repeat(4)}<|vision_end|>Picture 2: <|vision_start|>${'<|image_pad|>'.repeat(3)}<|vision_end|>Compare.`);
  });

  it('video groups: mean of the first and last frame seconds per pair, the last frame repeated; gh·gw/4 tokens each', () => {
    expect(fast.proVideoGroups([2, 4, 6], [0, 0.5, 1, 1.5])).toEqual([{ seconds: 0.25, tokens: 6 }, { seconds: 1.25, tokens: 6 }]);
    expect(fast.proVideoGroups([2, 2, 2], [0, 1, 2])).toEqual([{ seconds: 0.5, tokens: 1 }, { seconds: 2, tokens: 1 }]);
    expect(ref.proVideoGroups([2, 2, 2], [0, 1, 2])).toEqual(fast.proVideoGroups([2, 2, 2], [0, 1, 2]));
    const p = applyChatTemplate([{ role: 'user', content: [{ type: 'video' }] }]);
    const out = expandMediaPlaceholders(p, { videos: [fast.proVideoGroups([2, 2, 2], [0, 1, 2])] });
    expect(out).toContain('<0.5 seconds><|vision_start|><|video_pad|><|vision_end|><2.0 seconds><|vision_start|><|video_pad|><|vision_end|>');
    expect(() => fast.proVideoGroups([2, 2, 2], [0, 1, 2, 3, 4])).toThrow(/5 frame timestamps make 3 groups of 2, but the grid has t = 2/);
    expect(() => fast.proVideoGroups([1, 2, 2], [NaN])).toThrow(ValueError);
  });

  it('grid errors are typed and name gridThw', () => {
    expect(() => fast.checkGridThw('op', [], 2)).toThrow(/op: 'gridThw' is empty/);
    expect(() => fast.checkGridThw('op', [[1, 2, 3]], 2)).toThrow(ShapeError);
    expect(() => fast.checkGridThw('op', [[1, 0, 2]], 2)).toThrow(ValueError);
    expect(() => fast.checkGridThw('op', [[-1, 2, 2]], 2)).toThrow(/gridThw\[0\]/);
    expect(() => fast.checkGridThw('op', [[1, 2, 2], [1, 4]], 2)).toThrow(/'gridThw\[1\]' must be \[t, gh, gw\]/);
    expect(() => fast.checkGridThw('op', 'x' as never, 2)).toThrow(ValueError);
    expect(() => fast.checkGridThw('op', [[1, 8192, 8192]], 2)).toThrow(/more than 2\^24 patches/);
    const f = tf.tensor2d([[1, 2, 2]]);
    expect(() => fast.checkGridThw('op', f, 2)).toThrow(DTypeError);
    f.dispose();
    expect(() => ref.checkGridThw('op', [[1, 3, 2]], 2)).toThrow(/multiples of 2/);
  });
});

describe('grids on random inputs', () => {
  it('fast == reference: checkGridThw, proPatchCount, proWindowCoords, proVisionSeqLens, proVisionTokenCounts', () => {
    fc.assert(fc.property(gridsArb, ({ m, grid }) => {
      const rows = fast.checkGridThw('op', grid, m);
      expect(rows).toEqual(ref.checkGridThw('op', grid, m));
      expect(fast.proPatchCount(rows)).toBe(ref.proPatchCount(rows));
      const c = fast.proWindowCoords(grid, m);
      expect({ rows: Array.from(c.rows), cols: Array.from(c.cols) }).toEqual(ref.proWindowCoords(grid, m));
      expect(fast.proVisionSeqLens(grid, m)).toEqual(ref.proVisionSeqLens(grid, m));
      expect(fast.proVisionTokenCounts(grid, m)).toEqual(ref.proVisionTokenCounts(grid, m));
    }), { numRuns: runs(50) });
  });

  it('window order: each temporal group visits every (row, col) once, in m×m windows of consecutive patches; blocks and tokens add up', () => {
    fc.assert(fc.property(gridsArb, ({ m, grid }) => {
      const { rows, cols } = fast.proWindowCoords(grid, m);
      const P = grid.reduce((s, [t, h, w]) => s + t * h * w, 0);
      expect(rows.length).toBe(P);
      let j = 0;
      for (const [t, gh, gw] of grid) {
        for (let tau = 0; tau < t; tau++) {
          const seen = new Set<number>();
          for (let k = 0; k < gh * gw; k++, j++) {
            expect(rows[j] < gh && cols[j] < gw).toBe(true);
            seen.add(rows[j] * gw + cols[j]);
            const first = j - (k % (m * m)); // the window's first patch
            expect([Math.floor(rows[j] / m), Math.floor(cols[j] / m)]).toEqual([Math.floor(rows[first] / m), Math.floor(cols[first] / m)]);
          }
          expect(seen.size).toBe(gh * gw);
        }
      }
      const lens = fast.proVisionSeqLens(grid, m);
      expect(lens.reduce((a, b) => a + b, 0)).toBe(P);
      expect(fast.proVisionTokenCounts(grid, m).reduce((a, b) => a + b, 0)).toBe(P / (m * m));
    }), { numRuns: runs(50) });
  });

  it('proVideoGroups: other merge and temporal patch sizes, and bad ones', () => {
    // 7 frames in groups of 3: (0, 1, 2), (3, 4, 5), (6, 6, 6) with the last frame repeated; 3·3 / 3² = 1 token each
    expect(fast.proVideoGroups([3, 3, 3], [0, 1, 2, 3, 4, 5, 6], { mergeSize: 3, temporalPatchSize: 3 })).toEqual([
      { seconds: 1, tokens: 1 }, { seconds: 4, tokens: 1 }, { seconds: 6, tokens: 1 },
    ]);
    expect(ref.proVideoGroups([3, 3, 3], [0, 1, 2, 3, 4, 5, 6], { mergeSize: 3, temporalPatchSize: 3 })).toEqual(fast.proVideoGroups([3, 3, 3], [0, 1, 2, 3, 4, 5, 6], { mergeSize: 3, temporalPatchSize: 3 }));
    expect(fast.proVideoGroups([1, 4, 4], [2.5], { temporalPatchSize: 1 })).toEqual([{ seconds: 2.5, tokens: 4 }]);
    expect(() => fast.proVideoGroups([1, 2, 2], [0], { temporalPatchSize: 0 })).toThrow(/^proVideoGroups: 'temporalPatchSize' must be a positive integer, got 0$/);
    expect(() => fast.proVideoGroups([1, 2, 2], [0, Infinity])).toThrow(/'frameSeconds' must be finite numbers/);
    expect(() => fast.proVideoGroups([1, 3, 2], [0, 1])).toThrow(ShapeError);
    expect(() => fast.proVideoGroups([2, 2, 2], [0, 1])).toThrow(/2 frame timestamps make 1 groups of 2, but the grid has t = 2/);
  });
});

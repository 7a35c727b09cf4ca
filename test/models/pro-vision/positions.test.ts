/**
 * Position signals of the Pro vision tower (spec 6.2.1, 6.2.2): the linspace sample points and
 * the bilinear blend against hand-computed values, the window permutation and the repeat over t,
 * the 2-D RoPE tables against hand-computed angles (rows then columns, head dim 64 frequencies),
 * fast == reference. The grid helpers are grid.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../../reference/models/pro-vision/index.js';
import { toFlat } from '../../../reference/ndarray.js';
import { ShapeError, ValueError } from '../../../src/errors.js';
import { memoryWeights } from '../../../src/io/weights.js';
import * as fast from '../../../src/models/pro-vision/index.js';
import { assertClose, assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { proVisionWeights, tinyProVision } from './tiny.js';
import { runs } from '../../support/runs.js';

describe('proPositionSamples (linspace(0, N − 1, n), align-corners style)', () => {
  it('hand-computed points for N = 48', () => {
    const s = fast.proPositionSamples(48, 4); // r = 0, 15.667, 31.333, 47
    expect(s.lo).toEqual([0, 15, 31, 47]);
    expect(s.hi).toEqual([1, 16, 32, 47]);
    assertClose({ shape: [4], data: s.frac }, { shape: [4], data: [0, 2 / 3, 1 / 3, 0] }, { rtol: 0, atol: 1e-12 });
    const two = fast.proPositionSamples(48, 2); // the two ends
    expect([two.lo, two.hi, two.frac]).toEqual([[0, 47], [1, 47], [0, 0]]);
    const same = fast.proPositionSamples(48, 48); // the trained grid: the table rows themselves
    expect(same.lo).toEqual(Array.from({ length: 48 }, (_, i) => i));
    expect(same.frac.every((f) => f === 0)).toBe(true);
    expect(fast.proPositionSamples(48, 1)).toEqual({ lo: [0], hi: [1], frac: [0] });
    expect(ref.proPositionSamples(48, 28)).toEqual(fast.proPositionSamples(48, 28));
  });

  it('rejects bad sizes', () => {
    expect(() => fast.proPositionSamples(48, 0)).toThrow(ValueError);
    expect(() => fast.proPositionSamples(0, 4)).toThrow(/positive integers/);
  });
});

/** A 3×3 (N = 3) table of width 4: E[r, c] = [10·r + c, (r + 1)·(c + 1), 1, 0]. */
function table3() {
  const data: number[] = [];
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) data.push(10 * r + c, (r + 1) * (c + 1), 1, 0);
  return memoryWeights({ 'pos.weight': { dtype: 'F32', shape: [9, 4], data } });
}
const cfg3 = tinyProVision({ hidden_size: 4, num_heads: 1, num_position_embeddings: 9 });

forEachBackend(() => {
  describe('ProVisionPositionEmbedding (explicit bilinear blend, window order, repeated over t)', () => {
    it('a hand-computed 2x4 grid from a 3x3 table', async () => {
      // rows: linspace(0, 2, 2) = [0, 2] (exact table rows); cols: linspace(0, 2, 4) = [0, 2/3, 4/3, 2].
      // Channel 0 is linear (10r + c): exact. Channel 1, (r+1)(c+1), is bilinear in (r, c) too, so also exact.
      const at = (r: number, c: number) => [10 * r + c, (r + 1) * (c + 1), 1, 0];
      const cs = [0, 2 / 3, 4 / 3, 2];
      const order = [[0, 0], [0, 1], [1, 0], [1, 1], [0, 2], [0, 3], [1, 2], [1, 3]]; // window order of a 2x4 grid
      const expected = order.flatMap(([a, b]) => at(2 * a, cs[b]));
      await expectNoLeak(() => {
        const pos = fast.ProVisionPositionEmbedding.fromWeights(cfg3, table3(), 'pos');
        const y = pos.forward([[1, 2, 4]]);
        assertClose(y, { shape: [8, 4], data: expected }, { rtol: 1e-6, atol: 1e-6 });
        y.dispose();
        pos.dispose();
      });
    });

    it('a non-bilinear table: the four-corner blend, computed by hand for one point', async () => {
      // E[r, c] = r² + 3c² is not bilinear; at (r, c) = (4/3, 2/3) (grid 4x4 on N = 3: rows/cols linspace(0, 2, 4)):
      // r0 = 1, r1 = 2, dr = 1/3; c0 = 0, c1 = 1, dc = 2/3
      // (2/3)(1/3)·E[1,0] + (2/3)(2/3)·E[1,1] + (1/3)(1/3)·E[2,0] + (1/3)(2/3)·E[2,1] = (2/9)·1 + (4/9)·4 + (1/9)·4 + (2/9)·7 = 36/9 = 4
      const data: number[] = [];
      for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) data.push(r * r + 3 * c * c, 0, 0, 0);
      const w = memoryWeights({ 'pos.weight': { dtype: 'F32', shape: [9, 4], data } });
      await expectNoLeak(() => {
        const pos = fast.ProVisionPositionEmbedding.fromWeights(cfg3, w, 'pos');
        const y = pos.forward([[1, 4, 4]]); // patch (row 2, col 1) sits in window (1, 0) at (0, 1): index 2·4 + 1 = 9
        const v = y.dataSync();
        expect(v[9 * 4]).toBeCloseTo(4, 5);
        expect(v[0]).toBeCloseTo(0, 6); // (0, 0)
        expect(v[15 * 4]).toBeCloseTo(4 + 12, 5); // (3, 3) → E[2, 2]
        y.dispose();
        pos.dispose();
      });
    });

    it('t = 2 repeats each temporal group; items are blended on their own grids; fast == reference', async () => {
      const cfg = tinyProVision();
      await fc.assert(fc.asyncProperty(fc.nat(), fc.constantFrom([[2, 4, 6]], [[1, 2, 2], [1, 6, 4]], [[1, 48, 2]], [[1, 2, 96]]), async (seed, grid) => {
        const w = proVisionWeights(cfg, seed);
        const expected = ref.ProVisionPositionEmbedding.fromWeights(cfg, w).forward(grid);
        await expectNoLeak(() => {
          const pos = fast.ProVisionPositionEmbedding.fromWeights(cfg, w);
          const y = pos.forward(grid);
          assertRelClose(y, expected, 1e-6);
          if (grid[0][0] === 2) {
            const v = y.dataSync();
            const half = v.length / 2;
            expect(Array.from(v.subarray(half))).toEqual(Array.from(v.subarray(0, half)));
          }
          y.dispose();
          pos.dispose();
        });
      }), { numRuns: runs(6) });
    });

    it('on the trained 48x48 grid the table is used as is (permuted into window order)', async () => {
      const cfg = tinyProVision();
      const w = proVisionWeights(cfg, 3);
      const E = w.float32('model.visual.pos_embed.weight');
      const { rows, cols } = fast.proWindowCoords([[1, 48, 48]]);
      const expected = Array.from(rows).flatMap((r, j) => Array.from(E.subarray((r * 48 + cols[j]) * 16, (r * 48 + cols[j] + 1) * 16)));
      await expectNoLeak(() => {
        const pos = fast.ProVisionPositionEmbedding.fromWeights(cfg, w);
        const y = pos.forward([[1, 48, 48]]);
        expect(Array.from(y.dataSync())).toEqual(expected);
        y.dispose();
        pos.dispose();
      });
    });
  });

  describe('proVisionRopeTables (2-D RoPE, spec 6.2.2)', () => {
    it('head dim 8 on a 2x4 grid: lanes [row·1, row·0.01, col·1, col·0.01] twice, in window order', async () => {
      const order = [[0, 0], [0, 1], [1, 0], [1, 1], [0, 2], [0, 3], [1, 2], [1, 3]];
      const angles = order.map(([r, c]) => [r, Math.fround(r * 0.01), c, Math.fround(c * 0.01)]);
      const cosE = angles.flatMap((a) => [...a, ...a].map(Math.cos));
      const sinE = angles.flatMap((a) => [...a, ...a].map(Math.sin));
      await expectNoLeak(() => {
        const { cos, sin } = fast.proVisionRopeTables([[1, 2, 4]], 8);
        assertClose(cos, { shape: [8, 8], data: cosE }, { rtol: 0, atol: 1e-6 });
        assertClose(sin, { shape: [8, 8], data: sinE }, { rtol: 0, atol: 1e-6 });
        tf.dispose([cos, sin]);
      });
      const r = ref.proVisionRopeTables([[1, 2, 4]], 8);
      assertClose({ shape: [8, 8], data: toFlat(r.cos) }, { shape: [8, 8], data: cosE }, { rtol: 0, atol: 1e-12 });
    });

    it('head dim 64 (the release): inv_freq_k = 10000^(−2k/32), row lanes 0..15, column lanes 16..31, then repeated', async () => {
      // patch 3 of a [1, 4, 6] grid is (row 1, col 1); patch 4 is (row 0, col 2); patch 8 (second window row) is... window (0, 2) → (0, 4)
      const grid = [[1, 4, 6]];
      const { rows, cols } = fast.proWindowCoords(grid);
      expect([rows[4], cols[4], rows[8], cols[8], rows[12], cols[12]]).toEqual([0, 2, 0, 4, 2, 0]);
      const inv = (k: number) => 10000 ** (-(2 * k) / 32);
      await expectNoLeak(() => {
        const { cos, sin } = fast.proVisionRopeTables(grid, 64);
        expect(cos.shape).toEqual([24, 64]);
        const s = sin.dataSync();
        const c = cos.dataSync();
        const j = 12; // row 2, col 0
        for (let k = 0; k < 16; k++) {
          expect(s[j * 64 + k]).toBeCloseTo(Math.sin(2 * inv(k)), 5); // row half
          expect(s[j * 64 + 16 + k]).toBe(0); // col 0
          expect(c[j * 64 + 16 + k]).toBe(1);
          expect(s[j * 64 + 32 + k]).toBe(s[j * 64 + k]); // emb = [φ, φ]
        }
        const i = 8; // row 0, col 4
        for (let k = 0; k < 16; k++) {
          expect(s[i * 64 + k]).toBe(0);
          expect(s[i * 64 + 16 + k]).toBeCloseTo(Math.sin(4 * inv(k)), 5);
          expect(s[i * 64 + 48 + k]).toBe(s[i * 64 + 16 + k]);
        }
        tf.dispose([cos, sin]);
      });
    });

    it('fast == reference for several grids and head dims; t = 2 repeats the tables', async () => {
      await fc.assert(fc.asyncProperty(fc.constantFrom(4, 8, 16, 64), fc.constantFrom([[1, 2, 2]], [[2, 4, 6]], [[1, 6, 2], [1, 2, 8]], [[1, 40, 30]]), async (d, grid) => {
        const r = ref.proVisionRopeTables(grid, d);
        await expectNoLeak(() => {
          const { cos, sin } = fast.proVisionRopeTables(grid, d);
          assertClose(cos, r.cos, { rtol: 0, atol: 1e-6 });
          assertClose(sin, r.sin, { rtol: 0, atol: 1e-6 });
          tf.dispose([cos, sin]);
        });
      }), { numRuns: runs(8) });
    });

    it('rejects head dims that are not multiples of 4 and bad θ', async () => {
      await expectThrowsNoLeak(() => fast.proVisionRopeTables([[1, 2, 2]], 6), ValueError, /'headDim' must be a positive multiple of 4, got 6/);
      await expectThrowsNoLeak(() => fast.proVisionRopeTables([[1, 2, 2]], 8, 2, 0), ValueError, /'theta'/);
      await expectThrowsNoLeak(() => fast.proVisionRopeTables([[1, 3, 2]], 8), ShapeError, /multiples of the merge size 2/);
    });
  });
});

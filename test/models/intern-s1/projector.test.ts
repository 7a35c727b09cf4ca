/**
 * InternS1MultiModalProjector (spec 6.1.3): LayerNorm(eps 1e-5) → Linear → GELU → Linear,
 * fast == reference on random widths (moved here from tower.test.ts) and for any leading shape;
 * the LayerNorm epsilon against a hand-computed row; a missing tensor, a width mismatch and an
 * unknown activation; no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../../reference/models/intern-s1/index.js';
import { CheckpointError, ConfigError, DTypeError, ShapeError } from '../../../src/errors.js';
import { memoryWeights } from '../../../src/io/weights.js';
import * as fast from '../../../src/models/intern-s1/index.js';
import { mulberry32, normals } from '../../support/arbitraries.js';
import { assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { randomWeights } from '../../support/weights.js';
import { projectorSpecs, without } from '../internvit/tiny.js';
import { runs } from '../../support/runs.js';

const D = 24; // text width of the tiny towers

forEachBackend(() => {
  describe('InternS1MultiModalProjector', () => {
    it('fast == reference: LayerNorm(eps 1e-5) -> Linear -> GELU -> Linear', async () => {
      await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 40 }), fc.nat(), async (rows, K, seed) => {
        const w = randomWeights(projectorSpecs(K, D), seed);
        const x = { shape: [rows, K], data: normals(mulberry32(seed), rows * K, 2, 0.5) };
        const expected = ref.InternS1MultiModalProjector.fromWeights({ projector_hidden_act: 'gelu' }, w).forward(dataToNd(x));
        await expectNoLeak(() => {
          const p = fast.InternS1MultiModalProjector.fromWeights({ projector_hidden_act: 'gelu' }, w);
          expect([p.inFeatures, p.outFeatures]).toEqual([K, D]);
          expect(p.layerNorm.eps).toBe(1e-5);
          const xt = dataToTf(x);
          const y = p.forward(xt);
          assertRelClose(y, expected, 1e-5);
          tf.dispose([xt, y]);
          p.dispose();
        });
      }), { numRuns: runs(10) });
    });

    it('rejects a missing tensor, a width mismatch and an unknown activation', async () => {
      const w = randomWeights(projectorSpecs(16, D), 1);
      const load = (o: { act?: string; w?: typeof w; inF?: number }) => () =>
        fast.InternS1MultiModalProjector.fromWeights({ projector_hidden_act: (o.act ?? 'gelu') as 'gelu' }, o.w ?? w, undefined, o.inF);
      await expectThrowsNoLeak(load({ w: without(w, 'model.multi_modal_projector.linear_2.bias') }), CheckpointError, /model\.multi_modal_projector\.linear_2\.bias/);
      await expectThrowsNoLeak(load({ w: without(w, 'model.multi_modal_projector.layer_norm.weight') }), CheckpointError, /layer_norm\.weight/);
      await expectThrowsNoLeak(load({ inF: 32 }), ShapeError, /linear_1\.weight' has shape \[24, 16\] but the pixel-shuffled ViT features have width 32/);
      await expectThrowsNoLeak(load({ act: 'mish' }), ConfigError, /unknown activation 'mish'/);
      const p = load({})();
      const x = tf.zeros([2, 15]);
      await expectThrowsNoLeak(() => p.forward(x), ShapeError, /width 15 but the projector takes 16/);
      x.dispose();
      p.dispose();
    });
  });

  describe('InternS1MultiModalProjector: shapes, epsilon, leaks', () => {
    it('fast == reference for inputs [N, T, s²C] and [s²C] (any leading shape)', async () => {
      const w = randomWeights(projectorSpecs(16, D), 5);
      const p = fast.InternS1MultiModalProjector.fromWeights({ projector_hidden_act: 'gelu' }, w);
      const r = ref.InternS1MultiModalProjector.fromWeights({ projector_hidden_act: 'gelu' }, w);
      for (const shape of [[2, 3, 16], [16]]) {
        const x = { shape, data: normals(mulberry32(6), shape.reduce((a, b) => a * b, 1), 2) };
        await expectNoLeak(() => {
          const xt = dataToTf(x);
          const y = p.forward(xt);
          expect(y.shape).toEqual([...shape.slice(0, -1), D]);
          assertRelClose(y, r.forward(dataToNd(x)), 1e-5, JSON.stringify(shape));
          tf.dispose([xt, y]);
        });
      }
      p.dispose();
    });

    it('the LayerNorm uses eps 1e-5 (PyTorch default, gotcha 10.8), not the ViT 1e-6: a hand-computed row', async () => {
      // x = [1, -1]·10⁻³: mean 0, var 10⁻⁶, LayerNorm = x / √(10⁻⁶ + eps) = ±0.30151 with eps 1e-5 (±0.70711 with 1e-6).
      // Identity weights and a zero linear_1 bias read the normed value through: linear_1 = [[1, 0]], GELU, linear_2 = [[1]].
      const t = (shape: number[], data: number[]) => ({ dtype: 'F32' as const, shape, data });
      const w = memoryWeights({
        'p.layer_norm.weight': t([2], [1, 1]), 'p.layer_norm.bias': t([2], [0, 0]),
        'p.linear_1.weight': t([1, 2], [1, 0]), 'p.linear_1.bias': t([1], [0]), 'p.linear_2.weight': t([1, 1], [1]), 'p.linear_2.bias': t([1], [0]),
      });
      const z = 1e-3 / Math.sqrt(1e-6 + 1e-5); // 0.30151
      const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
      await expectNoLeak(() => {
        const p = fast.InternS1MultiModalProjector.fromWeights({ projector_hidden_act: 'gelu' }, w, 'p');
        const x = tf.tensor2d([[1e-3, -1e-3]]);
        const y = p.forward(x);
        expect(y.dataSync()[0]).toBeCloseTo(gelu(z), 4);
        tf.dispose([x, y]);
        p.dispose();
      });
    });

    it('rejects an int input and a scalar; leaks nothing over 50 calls', async () => {
      const p = fast.InternS1MultiModalProjector.fromWeights({ projector_hidden_act: 'gelu' }, randomWeights(projectorSpecs(16, D), 7));
      const [ints, scalar, ok] = [tf.zeros([2, 16], 'int32'), tf.scalar(1), tf.ones([3, 16])];
      await expectThrowsNoLeak(() => p.forward(ints), DTypeError, /InternS1MultiModalProjector: 'x' must be float32/);
      await expectThrowsNoLeak(() => p.forward(scalar), ShapeError, /rank >= 1/);
      await expectNoLeak(() => {
        for (let i = 0; i < 50; i++) p.forward(ok).dispose();
      });
      tf.dispose([ints, scalar, ok]);
      p.dispose();
    });
  });
});

/** erf, Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7), for the hand-computed GELU. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

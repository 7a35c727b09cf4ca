/** causalLmLoss (issue 16): fast == reference (value and gradient against central differences), −100, errors, leaks. */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/train/loss.js';
import { DTypeError, ShapeError, ValueError } from '../../src/errors.js';
import { causalLmLoss } from '../../src/train/loss.js';
import { mulberry32, normals } from '../support/arbitraries.js';
import { forEachBackend } from '../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../support/leak.js';

const caseArb = fc.record({ B: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 1, max: 5 }), V: fc.integer({ min: 2, max: 9 }), seed: fc.nat(), ignore: fc.double({ min: 0, max: 1, noNaN: true }) });

function make(B: number, T: number, V: number, seed: number, ignore: number) {
  const r = mulberry32(seed);
  const z = Float64Array.from(normals(r, B * T * V, 2), (x) => Math.fround(x));
  const labels = Array.from({ length: B }, () => Array.from({ length: T }, () => (r() < ignore ? -100 : Math.floor(r() * V))));
  return { z, labels };
}

forEachBackend(() => {
  describe('causalLmLoss', () => {
    it('fast == reference, and its gradient == central differences of the reference', async () => {
      await fc.assert(fc.asyncProperty(caseArb, async ({ B, T, V, seed, ignore }) => {
        const { z, labels } = make(B, T, V, seed, ignore);
        const want = ref.causalLmLoss(ndarray(z, [B, T, V]), labels);
        const logits = tf.tensor3d(Float32Array.from(z), [B, T, V]);
        const lab = tf.tensor2d(labels, [B, T], 'int32');
        await expectNoLeak(() => {
          const [loss, g] = tf.tidy(() => {
            const l = causalLmLoss(logits, lab);
            return [l.dataSync()[0], tf.grad((x: tf.Tensor) => causalLmLoss(x, lab))(logits).dataSync()];
          }) as unknown as [number, Float32Array];
          expect(Math.abs(loss - want)).toBeLessThanOrEqual(1e-5 * Math.abs(want) + 1e-6);
          const eps = 1e-6;
          for (let i = 0; i < z.length; i++) {
            const up = Float64Array.from(z); up[i] += eps;
            const dn = Float64Array.from(z); dn[i] -= eps;
            const fd = (ref.causalLmLoss(ndarray(up, [B, T, V]), labels) - ref.causalLmLoss(ndarray(dn, [B, T, V]), labels)) / (2 * eps);
            expect(Math.abs(g[i] - fd)).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(fd));
          }
        });
        tf.dispose([logits, lab]);
      }), { numRuns: 15 });
    });

    it('is log V for uniform logits, and 0 with a zero gradient when every label is ignored', () => {
      const lab = tf.tensor2d([[0, 1, 2]], [1, 3], 'int32');
      const none = tf.tensor2d([[5, -100, -100]], [1, 3], 'int32');
      const z = tf.zeros([1, 3, 4]);
      expect(causalLmLoss(z, lab).dataSync()[0]).toBeCloseTo(Math.log(4), 6);
      expect(causalLmLoss(z, none).dataSync()[0]).toBe(0);
      expect(Array.from(tf.grad((x: tf.Tensor) => causalLmLoss(x, none))(z).dataSync()).every((v) => v === 0)).toBe(true);
      tf.dispose([lab, none, z]);
    });

    it('bad input: typed errors, no leaks', async () => {
      const z = tf.zeros([1, 3, 4]);
      const ok = tf.tensor2d([[0, 1, 2]], [1, 3], 'int32');
      const [high, short, float, z2] = [tf.tensor2d([[0, 1, 4]], [1, 3], 'int32'), tf.tensor2d([[0, 1]], [1, 2], 'int32'), tf.zeros([1, 3]), tf.zeros([3, 4])];
      await expectThrowsNoLeak(() => causalLmLoss(z, high), ValueError, /'labels' holds 4 at \[0, 2\], outside \[0, 4\) and not -100/);
      await expectThrowsNoLeak(() => causalLmLoss(z, short), ShapeError, /'labels' must be \[B, T\] = \[1, 3\]/);
      await expectThrowsNoLeak(() => causalLmLoss(z, float), DTypeError);
      await expectThrowsNoLeak(() => causalLmLoss(z2, ok), ShapeError);
      tf.dispose([high, short, float, z2]);
      tf.dispose([z, ok]);
    });
  });
});

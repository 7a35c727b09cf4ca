/** AdamW and SGD-momentum updates (issue 16): fast == float64 reference over several steps, errors. */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import type { NDArray } from '../../reference/ndarray.js';
import * as ref from '../../reference/train/optim.js';
import { ValueError } from '../../src/errors.js';
import { Optimizer, adamwUpdate, optimizerConfig, sgdUpdate } from '../../src/train/optim.js';
import { mulberry32, normals } from '../support/arbitraries.js';
import { assertClose } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { toNd } from '../support/convert.js';
import { expectNoLeak } from '../support/leak.js';

const optArb = fc.record({
  kind: fc.constantFrom('adamw' as const, 'sgd' as const), lr: fc.double({ min: 1e-4, max: 0.1, noNaN: true }),
  weightDecay: fc.double({ min: 0, max: 0.1, noNaN: true }), momentum: fc.double({ min: 0, max: 0.99, noNaN: true }),
  n: fc.integer({ min: 1, max: 12 }), steps: fc.integer({ min: 1, max: 4 }), seed: fc.nat(),
});

forEachBackend(() => {
  describe('optimizers', () => {
    it('fast == reference for several consecutive steps (params and moments)', async () => {
      await fc.assert(fc.asyncProperty(optArb, async ({ kind, lr, weightDecay, momentum, n, steps, seed }) => {
        const c = optimizerConfig({ kind, lr, weightDecay, momentum });
        const r = mulberry32(seed);
        const f = (x: Float64Array) => Float64Array.from(x, Math.fround);
        let p: NDArray = ndarray(f(normals(r, n)), [n]);
        let slots: NDArray[] = [ndarray(new Float64Array(n), [n]), ndarray(new Float64Array(n), [n])];
        const opt = new Optimizer({ kind, lr, weightDecay, momentum });
        const v = tf.variable(tf.tensor1d(Float32Array.from(p.data)));
        await expectNoLeak(() => {
          for (let t = 1; t <= steps; t++) {
            const g = ndarray(f(normals(r, n)), [n]);
            if (kind === 'adamw') {
              const [p1, m1, v1] = ref.adamwUpdate(p, g, slots[0], slots[1], t, c);
              p = p1; slots = [m1, v1];
            } else {
              const [p1, b1] = ref.sgdUpdate(p, g, slots[0], t, c);
              p = p1; slots = [b1, slots[1]];
            }
            const gt = tf.tensor1d(Float32Array.from(g.data));
            opt.apply(new Map([['w', v]]), new Map([['w', gt]]));
            gt.dispose();
          }
          expect(opt.step).toBe(steps);
          assertClose(v, p, { rtol: 1e-5, atol: 1e-6 }, 'param');
          assertClose(opt.slots.get('w')![0], slots[0], { rtol: 1e-5, atol: 1e-6 }, 'first slot');
          opt.dispose();
        });
        v.dispose();
      }), { numRuns: 20 });
    });

    it('the update functions match their twins directly', () => {
      const c = optimizerConfig({ lr: 0.01 });
      const [p, g, m, v] = [tf.tensor1d([1, -2]), tf.tensor1d([0.5, 0.25]), tf.tensor1d([0.1, 0]), tf.tensor1d([0.01, 0.02])];
      const out = adamwUpdate(p, g, m, v, 3, c);
      const want = ref.adamwUpdate(toNd(p), toNd(g), toNd(m), toNd(v), 3, c);
      out.forEach((t, i) => assertClose(t, want[i], { rtol: 1e-6, atol: 1e-7 }));
      const sc = optimizerConfig({ kind: 'sgd', lr: 0.1, weightDecay: 0.01 });
      const s = sgdUpdate(p, g, m, 2, sc);
      const sw = ref.sgdUpdate(toNd(p), toNd(g), toNd(m), 2, sc);
      s.forEach((t, i) => assertClose(t, sw[i], { rtol: 1e-6, atol: 1e-7 }));
      tf.dispose([p, g, m, v, ...out, ...s]);
    });

    it('bad hyper-parameters are ValueErrors', () => {
      expect(() => optimizerConfig({ kind: 'adam' as never })).toThrow(ValueError);
      expect(() => optimizerConfig({ lr: -1 })).toThrow(/'lr' must be a finite number >= 0, got -1/);
      expect(() => optimizerConfig({ beta2: 1 })).toThrow(/beta1 and beta2 must be < 1/);
      const opt = new Optimizer();
      const g = tf.ones([1]);
      expect(() => opt.apply(new Map(), new Map([['x', g]]))).toThrow(/a gradient for 'x', which is not a parameter/);
      g.dispose();
    });
  });
});

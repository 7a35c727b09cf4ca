/**
 * Row-split products across the worker pool (issue 15, item 2): the split product equals the
 * one-thread product on the same backend and the float64 reference within the matmul tolerance,
 * large products inside `dense` / `matmul` take the split path, decode-shaped ones do not, and
 * nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as ref from '../../reference/ops/matmul.js';
import { rowBounds, SPLIT_LIMITS, splitMatMul2d, splitPool } from '../../src/backend/split.js';
import { parallelRunner, setThreads, shutdownThreads, threadsInfo } from '../../src/backend/threads.js';
import * as fast from '../../src/ops/matmul.js';
import { dataArb } from '../support/arbitraries.js';
import { assertClose, reductionTol } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { dataToNd, dataToTf, toNd } from '../support/convert.js';
import { expectNoLeak } from '../support/leak.js';
import { runs } from '../support/runs.js';

afterEach(() => setThreads(undefined));
afterAll(() => shutdownThreads());

describe('rowBounds', () => {
  it('cuts M rows into near-equal blocks that cover them in order', () => {
    expect(rowBounds(10, 3)).toEqual([0, 3, 7, 10]);
    expect(rowBounds(2048, 2)).toEqual([0, 1024, 2048]);
  });
});

forEachBackend(() => {
  describe('split 2-D product', () => {
    it('equals the one-thread product and the reference (property)', async () => {
      setThreads(3);
      const pool = parallelRunner()!;
      const caseArb = fc.record({ m: fc.integer({ min: 16, max: 48 }), k: fc.integer({ min: 1, max: 20 }), n: fc.integer({ min: 1, max: 20 }) })
        .chain(({ m, k, n }) => fc.record({ a: dataArb([m, k], -3, 3), b: dataArb([k, n], -3, 3) }));
      await fc.assert(fc.asyncProperty(caseArb, async ({ a, b }) => {
        const at = dataToTf(a);
        const bt = dataToTf(b);
        await expectNoLeak(() => {
          const y = splitMatMul2d(pool, at, bt);
          const one = tf.matMul(at as tf.Tensor2D, bt as tf.Tensor2D);
          assertClose(y, one, { rtol: 0, atol: 1e-6 }, 'split vs one thread');
          assertClose(toNd(y), ref.matmul(dataToNd(a), dataToNd(b)), reductionTol(a.shape[1]), 'split vs reference');
          tf.dispose([y, one]);
        }, 'splitMatMul2d');
        tf.dispose([at, bt]);
      }), { numRuns: runs(10) });
    });

    it('dense splits a product of ≥ SPLIT_LIMITS.minMacs rows·in·out at inference, equal to one thread; one-row and gradient products do not split', () => {
      const x = tf.randomNormal([256, 256], 0, 1, 'float32', 7);
      const w = tf.randomNormal([256, 256], 0, 1, 'float32', 8);
      expect(256 ** 3).toBeGreaterThanOrEqual(SPLIT_LIMITS.minMacs);
      setThreads(1);
      const one = fast.dense(x, w);
      shutdownThreads();
      setThreads(2);
      expect(splitPool(1, 4096, 4096)).toBeUndefined(); // a decode step: one row
      expect(threadsInfo().started).toBe(false);
      const before = tf.memory().numTensors;
      const two = fast.dense(x, w);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(threadsInfo().started).toBe(true);
      assertClose(two, one, reductionTol(256), 'dense 2 threads vs 1');
      const g = tf.grad((xx: tf.Tensor) => tf.sum(fast.dense(xx, w)))(x);
      expect(g.shape).toEqual([256, 256]);
      tf.dispose([x, w, one, two, g]);
    });
  });
});

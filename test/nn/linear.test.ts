import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/nn/index.js';
import { CheckpointError, ConfigError, ShapeError } from '../../src/errors.js';
import * as fast from '../../src/nn/index.js';
import { assertClose, reductionTol } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { dataToNd, dataToTf } from '../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../support/leak.js';
import { randomWeights } from '../support/weights.js';

const dims = fc.record({ rows: fc.integer({ min: 1, max: 4 }), inF: fc.integer({ min: 1, max: 12 }), outF: fc.integer({ min: 1, max: 12 }), seed: fc.nat(), bias: fc.boolean() });

forEachBackend(() => {
  describe('Linear', () => {
    it('fast == reference for random weights and inputs', async () => {
      await fc.assert(fc.asyncProperty(dims, async ({ rows, inF, outF, seed, bias }) => {
        const w = randomWeights({ 'fc.weight': { shape: [outF, inF] }, ...(bias ? { 'fc.bias': { shape: [outF] } } : {}) }, seed);
        const x = { shape: [rows, inF], data: Float64Array.from({ length: rows * inF }, (_, i) => Math.fround(Math.sin(seed + i))) };
        const expected = ref.Linear.fromWeights(w, 'fc').forward(dataToNd(x));
        await expectNoLeak(() => {
          const layer = fast.Linear.fromWeights(w, 'fc');
          expect(layer.inFeatures).toBe(inF);
          expect(layer.outFeatures).toBe(outF);
          const xt = dataToTf(x);
          const y = layer.forward(xt);
          assertClose(y, expected, reductionTol(inF));
          tf.dispose([xt, y]);
          layer.dispose();
        });
      }));
    });
    it('rejects a missing weight, a missing required bias and a wrong expected shape', async () => {
      const w = randomWeights({ 'fc.weight': { shape: [3, 2] } }, 1);
      await expectThrowsNoLeak(() => fast.Linear.fromWeights(w, 'nope'), CheckpointError, /nope\.weight/);
      await expectThrowsNoLeak(() => fast.Linear.fromWeights(w, 'fc', { bias: true }), CheckpointError, /fc\.bias/);
      await expectThrowsNoLeak(() => fast.Linear.fromWeights(w, 'fc', { expect: [2, 3] }), ShapeError, /fc\.weight.*\[3, 2\].*\[2, 3\]/);
      const layer = fast.Linear.fromWeights(w, 'fc');
      const x = tf.zeros([1, 3]);
      await expectThrowsNoLeak(() => layer.forward(x), ShapeError);
      tf.dispose(x);
      layer.dispose();
    });
  });
});

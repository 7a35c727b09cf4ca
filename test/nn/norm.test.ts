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
  describe('RMSNorm and LayerNorm', () => {
    it('fast == reference', async () => {
      await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 16 }), fc.nat(), async (D, seed) => {
        const w = randomWeights({ 'n.weight': { shape: [D], mean: 1 }, 'n.bias': { shape: [D] } }, seed);
        const x = { shape: [3, D], data: Float64Array.from({ length: 3 * D }, (_, i) => Math.fround(Math.cos(seed * 7 + i) * 3)) };
        for (const [F, R, eps] of [[fast.RMSNorm, ref.RMSNorm, 1e-6], [fast.LayerNorm, ref.LayerNorm, 1e-5]] as const) {
          const expected = R.fromWeights(w, 'n', eps).forward(dataToNd(x));
          await expectNoLeak(() => {
            const layer = F.fromWeights(w, 'n', eps);
            const xt = dataToTf(x);
            const y = layer.forward(xt);
            assertClose(y, expected, reductionTol(D));
            tf.dispose([xt, y]);
            layer.dispose();
          });
        }
      }));
    });
    it('LayerNorm without a bias in the checkpoint uses zero', async () => {
      const w = randomWeights({ 'n.weight': { shape: [4], value: 1 } }, 3);
      const layer = fast.LayerNorm.fromWeights(w, 'n', 1e-5);
      const y = layer.forward(tf.tensor2d([[1, 2, 3, 4]]));
      assertClose(y, ref.LayerNorm.fromWeights(w, 'n', 1e-5).forward(dataToNd({ shape: [1, 4], data: Float64Array.from([1, 2, 3, 4]) })));
      tf.dispose(y);
      layer.dispose();
    });
  });
});

/** MLP (src/nn/mlp.ts): fast == reference for random sizes, weight names and activations; errors; leaks. */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/nn/index.js';
import { CheckpointError, ConfigError, ShapeError } from '../../src/errors.js';
import * as fast from '../../src/nn/index.js';
import { assertRelClose } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { dataToNd, dataToTf } from '../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../support/leak.js';
import { randomWeights } from '../support/weights.js';

const NAMES: readonly (readonly [string, string])[] = [['fc1', 'fc2'], ['linear_fc1', 'linear_fc2']];
const dims = fc.record({
  rows: fc.integer({ min: 1, max: 5 }), C: fc.integer({ min: 1, max: 12 }), I: fc.integer({ min: 1, max: 16 }), seed: fc.nat(),
  names: fc.constantFrom(...NAMES), act: fc.constantFrom('gelu', 'gelu_pytorch_tanh', 'silu'),
});

function weights(C: number, I: number, [n1, n2]: readonly [string, string], seed: number) {
  return randomWeights({ [`m.${n1}.weight`]: { shape: [I, C] }, [`m.${n1}.bias`]: { shape: [I] }, [`m.${n2}.weight`]: { shape: [C, I] }, [`m.${n2}.bias`]: { shape: [C] } }, seed);
}

forEachBackend(() => {
  describe('MLP', () => {
    it('fast == reference for random sizes, weight names and activations', async () => {
      await fc.assert(fc.asyncProperty(dims, async ({ rows, C, I, seed, names, act }) => {
        const cfg = { hidden_size: C, intermediate_size: I, hidden_act: act };
        const w = weights(C, I, names, seed);
        const x = { shape: [2, rows, C], data: Float64Array.from({ length: 2 * rows * C }, (_, i) => Math.fround(Math.sin(seed + 3 * i))) };
        const expected = ref.MLP.fromWeights(cfg, w, 'm', names).forward(dataToNd(x));
        await expectNoLeak(() => {
          const mlp = fast.MLP.fromWeights(cfg, w, 'm', names);
          const xt = dataToTf(x);
          const y = mlp.forward(xt);
          expect(y.shape).toEqual([2, rows, C]);
          assertRelClose(y, expected, 1e-4);
          tf.dispose([xt, y]);
          mlp.dispose();
        });
      }));
    });
    it('rejects an unknown activation, a missing bias, a wrong shape and a bad input, leaking nothing', async () => {
      const w = weights(4, 6, ['fc1', 'fc2'], 1);
      const cfg = { hidden_size: 4, intermediate_size: 6, hidden_act: 'gelu' };
      await expectThrowsNoLeak(() => fast.MLP.fromWeights({ ...cfg, hidden_act: 'swish7' }, w, 'm'), ConfigError, /swish7/);
      await expectThrowsNoLeak(() => fast.MLP.fromWeights(cfg, w, 'm', ['linear_fc1', 'linear_fc2']), CheckpointError, /m\.linear_fc1/);
      await expectThrowsNoLeak(() => fast.MLP.fromWeights({ ...cfg, intermediate_size: 5 }, w, 'm'), ShapeError, /m\.fc1\.weight/);
      const mlp = fast.MLP.fromWeights(cfg, w, 'm');
      const x = tf.zeros([2, 3]);
      await expectThrowsNoLeak(() => mlp.forward(x), ShapeError);
      tf.dispose(x);
      mlp.dispose();
    });
  });
});

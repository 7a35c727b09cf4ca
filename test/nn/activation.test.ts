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
  describe('activation', () => {
    it('maps each config name to the same function in both implementations', () => {
      const x = { shape: [7], data: Float64Array.from([-3, -1, -0.5, 0, 0.5, 1, 3]) };
      for (const name of ['silu', 'swish', 'gelu', 'gelu_pytorch_tanh', 'gelu_new', 'relu']) {
        const xt = dataToTf(x);
        const y = fast.activation(name)(xt);
        assertClose(y, ref.activation(name)(dataToNd(x)), { rtol: 1e-5, atol: 1e-6 }, name);
        tf.dispose([xt, y]);
      }
      // Distinct names must not silently alias: gelu (erf) and gelu_pytorch_tanh differ at x = 1.
      const g = ref.activation('gelu')(dataToNd(x)).get(5);
      const gt = ref.activation('gelu_pytorch_tanh')(dataToNd(x)).get(5);
      expect(Math.abs(g - gt)).toBeGreaterThan(1e-5);
    });
    it('rejects an unknown activation name', () => {
      expect(() => fast.activation('mish')).toThrow(ConfigError);
      expect(() => ref.activation('mish')).toThrow(/mish/);
    });
  });
});

/** The `model` component of `intern-s1 run`: the whole model through the registry, fast == reference. */
import { describe, expect, it } from 'vitest';
import '../../../src/cli/components/model.js';
import { ValueError } from '../../../src/errors.js';
import { type ComponentTensor, runComponent } from '../../../src/io/components.js';
import { parseConfig } from '../../../src/io/configs/model.js';
import { toBytes } from '../../../src/io/dtype.js';
import { tinyConfigJson } from '../../../src/io/tiny-config.js';
import { tinyTensors } from '../../../src/io/tiny.js';
import { memoryWeights } from '../../../src/io/weights.js';
import { mulberry32, normals } from '../../support/arbitraries.js';
import { assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';

const input = (dtype: ComponentTensor['dtype'], shape: number[], values: ArrayLike<number>): ComponentTensor => ({ dtype, shape, bytes: toBytes(dtype, Array.from(values)) });

forEachBackend(() => {
  describe('component model', () => {
    it('pro: text + two images + a normalised signal, fast == reference', async () => {
      const json = tinyConfigJson('pro', { vocabSize: 80 });
      const cfg = parseConfig(json);
      const ckpt = { weights: memoryWeights(tinyTensors(json, { variant: 'pro', seed: 2 })), config: cfg };
      if (cfg.model_type !== 'interns1_pro') throw new Error('expected a pro config');
      const img = cfg.image_token_id;
      const ts = cfg.ts_token_id;
      // 60 samples at 10 Hz: stride 3, patch 6, L1 = 19, N_ts = (9 + 1) div 2 = 5 tokens (spec 7.2, 7.5).
      const ids = [1, 2, ...new Array(6 + 1).fill(img), 3, ...new Array(5).fill(ts), 4];
      const P = 4 * 6 + 2 * 2;
      const inputs = {
        input_ids: input('I64', [1, ids.length], ids),
        pixel_values: input('F32', [P, 1536], normals(mulberry32(1), P * 1536)),
        image_grid_thw: input('I64', [2, 3], [1, 4, 6, 1, 2, 2]),
        signal: input('F32', [60, 2], normals(mulberry32(2), 120)),
        sampling_rate: input('F64', [], [10]),
      };
      const fast = await runComponent('model', ckpt, inputs);
      const ref = await runComponent('model', ckpt, inputs, 'reference');
      expect(fast.logits.shape).toEqual([1, ids.length, 80]);
      assertRelClose(fast.logits, ref.logits, 1e-4, 'logits');
      await expect(runComponent('model', ckpt, { input_ids: inputs.input_ids, signal: inputs.signal })).rejects.toThrow(ValueError);
    });
  });
});

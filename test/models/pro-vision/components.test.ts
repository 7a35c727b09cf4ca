/**
 * The `vision.pro` component of `intern-s1 run`, through the registry on the tiny Intern-S1-Pro
 * checkpoint: output equals the tower called directly, the reference implementation agrees, I64 and I32
 * grids, two images in one call, and input / checkpoint / config errors.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import '../../../src/cli/components/pro-vision.js';
import { CheckpointError, ShapeError, ValueError } from '../../../src/errors.js';
import { type ComponentTensor, findComponent, runComponent } from '../../../src/io/components.js';
import { type InternS1Config, type InternS1ProConfig, parseConfig } from '../../../src/io/config.js';
import { toBytes } from '../../../src/io/dtype.js';
import { tinyConfigJson, tinyTensors } from '../../../src/io/tiny.js';
import { memoryWeights } from '../../../src/io/weights.js';
import * as fast from '../../../src/models/pro-vision/index.js';
import { assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToTf } from '../../support/convert.js';
import { expectNoLeak } from '../../support/leak.js';
import { without } from '../../support/weights.js';
import { patches } from './tiny.js';

function tinyPro() {
  const json = tinyConfigJson('pro', { vocabSize: 256 });
  return { weights: memoryWeights(tinyTensors(json, { seed: 9 })), config: parseConfig(json) as InternS1ProConfig };
}

function inputs(grid: number[][], seed: number, gridDtype: 'I64' | 'I32' = 'I64') {
  const P = grid.reduce((s, [t, h, w]) => s + t * h * w, 0);
  const x = patches(P, 1536, seed);
  const pixel_values: ComponentTensor = { dtype: 'F32', shape: [P, 1536], bytes: toBytes('F32', x.data) };
  const image_grid_thw: ComponentTensor = { dtype: gridDtype, shape: [grid.length, 3], bytes: toBytes(gridDtype, grid.flat()) };
  return { x, ins: { pixel_values, image_grid_thw } };
}

const asData = (r: { shape: number[]; data: ArrayLike<number> }) => ({ shape: r.shape, data: r.data });

forEachBackend((backend) => {
  describe('vision.pro component', () => {
    it('is registered with its declared inputs and output', () => {
      const c = findComponent('vision.pro')?.spec;
      expect(c?.inputs.map((i) => i.name)).toEqual(['pixel_values', 'image_grid_thw']);
      expect(c?.outputs.map((o) => o.name)).toEqual(['image_features']);
    });

    it('equals ProVisionModel called directly (two images, I64 and I32 grids); the reference implementation agrees', async () => {
      const ck = tinyPro();
      const grid = [[1, 4, 6], [1, 2, 2]];
      const { x, ins } = inputs(grid, 1);
      const out = await runComponent('vision.pro', ck, ins);
      expect(out.image_features.shape).toEqual([7, ck.config.text_config.hidden_size]);
      const out32 = await runComponent('vision.pro', ck, inputs(grid, 1, 'I32').ins);
      expect(Array.from(out32.image_features.data)).toEqual(Array.from(out.image_features.data));
      await expectNoLeak(() => {
        const tower = fast.ProVisionModel.fromWeights(ck.config.vision_config, ck.weights);
        const xt = dataToTf(x);
        const y = tower.forward(xt, grid);
        expect(Array.from(out.image_features.data)).toEqual(Array.from(y.dataSync()));
        tf.dispose([xt, y]);
        tower.dispose();
      });
      await expectNoLeak(() => runComponent('vision.pro', ck, ins));
      if (backend === 'cpu') { // the reference implementation does not depend on the tfjs backend
        const r = await runComponent('vision.pro', ck, ins, 'reference');
        assertRelClose(asData(out.image_features), asData(r.image_features), 1e-4);
      }
    });

    it('rejects bad inputs, missing weights and non-Pro checkpoints with typed errors', async () => {
      const ck = tinyPro();
      const { ins } = inputs([[1, 2, 4]], 2);
      const narrow: ComponentTensor = { dtype: 'F32', shape: [8, 768], bytes: new Uint8Array(8 * 768 * 4) };
      await expect(runComponent('vision.pro', ck, { ...ins, pixel_values: narrow })).rejects.toThrow(ShapeError);
      await expect(runComponent('vision.pro', ck, { ...ins, pixel_values: narrow })).rejects.toThrow(/pixel_values.*dim 1 \(K\) is 768, expected K = 1536/);
      const badGrid: ComponentTensor = { dtype: 'I64', shape: [1, 3], bytes: toBytes('I64', [1, 2, 2]) };
      await expect(runComponent('vision.pro', ck, { ...ins, image_grid_thw: badGrid })).rejects.toThrow(/'pixelValues' has 8 patches but 'gridThw' \[\[1, 2, 2\]\] needs Σ t·gh·gw = 4/);
      const odd: ComponentTensor = { dtype: 'I64', shape: [1, 3], bytes: toBytes('I64', [2, 1, 4]) };
      await expect(runComponent('vision.pro', ck, { ...ins, image_grid_thw: odd })).rejects.toThrow(/multiples of the merge size 2/);
      await expect(runComponent('vision.pro', ck, { pixel_values: ins.pixel_values })).rejects.toThrow(/missing input 'image_grid_thw'/);
      await expect(runComponent('vision.pro', { ...ck, weights: without(ck.weights, 'model.visual.blocks.1.mlp.linear_fc2.bias') }, ins))
        .rejects.toThrow(CheckpointError);
      const s1 = tinyConfigJson('s1', { vocabSize: 256 });
      await expect(runComponent('vision.pro', { weights: memoryWeights(tinyTensors(s1, { seed: 1 })), config: parseConfig(s1) as InternS1Config }, ins))
        .rejects.toThrow(ValueError);
      await expect(runComponent('vision.pro', { weights: ck.weights, config: null }, ins)).rejects.toThrow(/needs the checkpoint's config\.json/);
    });
  });
});

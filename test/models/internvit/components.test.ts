/**
 * The `vision.encoder` and `vision` components of `intern-s1 run`, through the registry on the tiny
 * Intern-S1 / -mini checkpoints: outputs equal the models called directly, the reference backend
 * agrees, InternVL-chat names work, 256 rows per 448 tile, and input / checkpoint / config errors.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import '../../../src/cli/components/vision.js';
import { CheckpointError, ShapeError, ValueError } from '../../../src/errors.js';
import { type ComponentTensor, findComponent, runComponent } from '../../../src/io/components.js';
import { type InternS1Config, parseConfig } from '../../../src/io/config.js';
import { toBytes } from '../../../src/io/dtype.js';
import { tinyConfigJson, tinyTensors } from '../../../src/io/tiny.js';
import { memoryWeights, type WeightSource } from '../../../src/io/weights.js';
import * as fast from '../../../src/models/internvit/index.js';
import { InternS1VisionTower } from '../../../src/models/intern-s1/tower.js';
import { assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToTf } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { pixels, toInternVlChat, without } from './tiny.js';

function tiny(variant: 's1' | 'mini') {
  const json = tinyConfigJson(variant, { vocabSize: 256 });
  return { weights: memoryWeights(tinyTensors(json, { seed: 7 })), config: parseConfig(json) as InternS1Config };
}

function pixelInput(shape: [number, number, number, number], seed: number): { input: ComponentTensor; x: ReturnType<typeof pixels> } {
  const x = pixels(shape, seed);
  return { input: { dtype: 'F32', shape, bytes: toBytes('F32', x.data) }, x };
}

const asData = (r: { shape: number[]; data: ArrayLike<number> }) => ({ shape: r.shape, data: r.data });

forEachBackend((backend) => {
  describe('vision components', () => {
    it('are registered with their declared input and outputs', () => {
      expect(findComponent('vision.encoder')?.spec.outputs.map((o) => o.name)).toEqual(['last_hidden_state']);
      expect(findComponent('vision')?.spec.outputs.map((o) => o.name)).toEqual(['image_features']);
      expect(findComponent('vision')?.spec.inputs.map((i) => i.name)).toEqual(['pixel_values']);
    });

    for (const variant of ['s1', 'mini'] as const) {
      it(`${variant}: vision.encoder and vision equal the models called directly; the reference implementation agrees`, async () => {
        const ck = tiny(variant);
        const { input, x } = pixelInput([2, 3, 112, 168], 3); // an 8x12 grid: positions resized from 32x32
        const enc = await runComponent('vision.encoder', ck, { pixel_values: input });
        const feats = await runComponent('vision', ck, { pixel_values: input });
        expect(enc.last_hidden_state.shape).toEqual([2, 97, 16]);
        expect(feats.image_features.shape).toEqual([2 * 24, ck.config.text_config.hidden_size]);
        await expectNoLeak(() => {
          const xt = dataToTf(x);
          const vit = fast.InternVisionModel.fromWeights(ck.config.vision_config, ck.weights);
          const direct = vit.forward(xt).lastHiddenState;
          expect(Array.from(enc.last_hidden_state.data)).toEqual(Array.from(direct.dataSync()));
          const tower = InternS1VisionTower.fromWeights(ck.config, ck.weights);
          const y = tower.forward(xt);
          expect(Array.from(feats.image_features.data)).toEqual(Array.from(y.dataSync()));
          tf.dispose([xt, direct, y]);
          vit.dispose();
          tower.dispose();
        });
        await expectNoLeak(() => runComponent('vision', ck, { pixel_values: input }));
        if (backend === 'cpu') { // the reference implementation does not depend on the tfjs backend: once is enough
          const rEnc = await runComponent('vision.encoder', ck, { pixel_values: input }, 'reference');
          const rFeats = await runComponent('vision', ck, { pixel_values: input }, 'reference');
          assertRelClose(asData(enc.last_hidden_state), asData(rEnc.last_hidden_state), 1e-4);
          assertRelClose(asData(feats.image_features), asData(rFeats.image_features), 1e-4);
        }
      });
    }

    it('an InternVL-chat-named checkpoint gives the same image_features', async () => {
      const ck = tiny('s1');
      const chat = { weights: toInternVlChat(ck.weights), config: ck.config };
      expect(chat.weights.has('vision_model.encoder.layers.1.attn.qkv.weight')).toBe(true);
      const { input } = pixelInput([1, 3, 112, 168], 4);
      const a = await runComponent('vision', ck, { pixel_values: input });
      const b = await runComponent('vision', chat, { pixel_values: input });
      expect(b.image_features.shape).toEqual([4 * 6, 16]);
      expect(Array.from(b.image_features.data)).toEqual(Array.from(a.image_features.data));
    });

    it('errors: wrong channels, a size the patches do not tile, missing weights, a Pro or config-less checkpoint; no leaks', async () => {
      const ck = tiny('mini');
      await expectThrowsNoLeak(() => runComponent('vision', ck, { pixel_values: pixelInput([1, 4, 28, 28], 1).input }), ShapeError,
        /input 'pixel_values' has shape \[1, 4, 28, 28\].*dim 1 \(C\) is 4, expected C = 3/);
      await expectThrowsNoLeak(() => runComponent('vision.encoder', ck, { pixel_values: pixelInput([1, 3, 30, 28], 1).input }), ShapeError,
        /image 30x28 is not a positive multiple of the patch size 14x14/);
      await expectThrowsNoLeak(() => runComponent('vision', ck, { pixel_values: pixelInput([1, 3, 42, 28], 1).input }), ShapeError,
        /patch grid 3x2 of a 42x28 tile is not divisible by the pixel-shuffle factor 2/);
      const missing = { weights: without(ck.weights, 'model.vision_tower.encoder.layer.1.mlp.fc2.weight'), config: ck.config };
      await expectThrowsNoLeak(() => runComponent('vision.encoder', missing, { pixel_values: pixelInput([1, 3, 28, 28], 1).input }), CheckpointError,
        /component vision\.encoder needs 1 tensor\(s\) the checkpoint lacks: model\.vision_tower\.encoder\.layer\.1\.mlp\.fc2\.weight/);
      const noProj = { weights: without(ck.weights, 'model.multi_modal_projector.linear_1.weight'), config: ck.config };
      await expectThrowsNoLeak(() => runComponent('vision', noProj, { pixel_values: pixelInput([1, 3, 28, 28], 1).input }), CheckpointError, /multi_modal_projector\.linear_1\.weight/);
      await expectThrowsNoLeak(() => runComponent('vision', { weights: ck.weights, config: null }, { pixel_values: pixelInput([1, 3, 28, 28], 1).input }), ValueError,
        /vision: needs the checkpoint's config\.json/);
      const pro = { weights: ck.weights as WeightSource, config: parseConfig(tinyConfigJson('pro', { vocabSize: 256 })) };
      await expectThrowsNoLeak(() => runComponent('vision.encoder', pro, { pixel_values: pixelInput([1, 3, 28, 28], 1).input }), ValueError,
        /serves the InternViT tower of Intern-S1 \/ Intern-S1-mini; this checkpoint is 'interns1_pro'/);
    });
  });
});

forEachBackend(() => {
  it('vision on one 448 tile of the tiny checkpoint: 256 rows of the text width', async () => {
    const ck = tiny('s1');
    const out = await runComponent('vision', ck, { pixel_values: pixelInput([1, 3, 448, 448], 5).input });
    expect(out.image_features.shape).toEqual([256, 16]);
    expect(out.image_features.dtype).toBe('F32');
  });
}, ['wasm']); // one backend: tfjs's pure-JS cpu attention at 1025 tokens takes seconds

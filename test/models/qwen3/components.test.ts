/**
 * The `text.layer.N` and `text` components of `intern-s1 run`, through the registry, on the tiny
 * in-memory checkpoints of every variant: fast == reference == the classes used directly, input
 * and weight errors, no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import '../../../src/cli/components/text-decoder.js';
import { softmax as refSoftmax } from '../../../reference/ops/softmax.js';
import { ShapeError, ValueError, CheckpointError } from '../../../src/errors.js';
import { type ComponentResult, type ComponentTensor, findComponent, runComponent } from '../../../src/io/components.js';
import { type ModelConfig, parseConfig, textConfigOf } from '../../../src/io/config.js';
import { toBytes } from '../../../src/io/dtype.js';
import { tinyConfigJson, tinyTensors } from '../../../src/io/tiny.js';
import { memoryWeights, type WeightSource } from '../../../src/io/weights.js';
import { Qwen3DecoderLayer } from '../../../src/models/qwen3/decoder.js';
import { Qwen3TextModel } from '../../../src/models/qwen3/model.js';
import { mulberry32, normals } from '../../support/arbitraries.js';
import { assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { routingMargin } from './helpers.js';

const input = (dtype: ComponentTensor['dtype'], shape: number[], values: ArrayLike<number>): ComponentTensor => ({ dtype, shape, bytes: toBytes(dtype, Array.from(values)) });
const asArr = (r: ComponentResult) => ({ shape: r.shape, data: Float64Array.from(r.data) });

function tiny(variant: 's1' | 'mini' | 'pro'): { weights: WeightSource; config: ModelConfig } {
  const json = tinyConfigJson(variant, { vocabSize: 64 });
  return { weights: memoryWeights(tinyTensors(json, { seed: 7 })), config: parseConfig(json) };
}

const CK = { s1: tiny('s1'), mini: tiny('mini'), pro: tiny('pro') };

describe('registration', () => {
  it('text.layer.N and text are registered with their declared inputs and outputs', () => {
    const layer = findComponent('text.layer.3');
    expect(layer?.params).toEqual({ N: 3 });
    expect(layer?.spec.outputs.map((o) => o.name)).toEqual(['hidden_states', 'router_logits', 'router_indices', 'router_weights']);
    expect(findComponent('text')?.spec.inputs.map((i) => i.name)).toEqual(['input_ids']);
  });
});

forEachBackend(() => {
  describe('text.layer.N', () => {
    for (const variant of ['s1', 'mini', 'pro'] as const) {
      it(`${variant}: fast == reference == Qwen3DecoderLayer, with and without position ids (no leaks)`, async () => {
        const ck = CK[variant];
        const text = textConfigOf(ck.config);
        const D = text.hidden_size;
        const hs = normals(mulberry32(3), 2 * 3 * D);
        const pos = [5, 6, 7, 0, 1, 2];
        for (const withPos of [false, true]) {
          const inputs: Record<string, ComponentTensor> = { hidden_states: input('F32', [2, 3, D], hs) };
          if (withPos) inputs.position_ids = input('I64', [2, 3], pos);
          const want = await runComponent('text.layer.1', ck, inputs, 'reference');
          const moe = text.model_type !== 'qwen3';
          if (moe) {
            const logits = want.router_logits;
            const probs = refSoftmax(ndarray(Float64Array.from(logits.data), logits.shape), -1);
            const G = 'router_n_groups' in text && text.router_n_groups ? text.router_n_groups : 1;
            expect(routingMargin(probs, text.num_experts_per_tok, G)).toBeGreaterThan(1e-4); // the seeded inputs keep a margin
          }
          await expectNoLeak(async () => {
            const got = await runComponent('text.layer.1', ck, inputs);
            assertRelClose(asArr(got.hidden_states), asArr(want.hidden_states), 1e-4);
            if (moe) {
              expect(got.router_indices.dtype).toBe('I32');
              expect(got.router_logits.shape).toEqual([6, (text as { num_experts: number }).num_experts]);
              expect(Array.from(got.router_indices.data)).toEqual(Array.from(want.router_indices.data));
              assertRelClose(asArr(got.router_weights), asArr(want.router_weights), 1e-4);
            } else {
              expect(got.router_logits).toBeUndefined();
            }
            // the same as the class used directly
            const layer = Qwen3DecoderLayer.fromWeights(text, ck.weights, `model.language_model.layers.1`);
            const x = tf.tensor3d(Float32Array.from(hs), [2, 3, D]);
            const o = layer.forward(x, withPos ? [[5, 6, 7], [0, 1, 2]] : undefined);
            expect(Array.from(o.hidden.dataSync())).toEqual(Array.from(got.hidden_states.data));
            tf.dispose([x, o.hidden, ...(o.router ? [o.router.logits, o.router.indices, o.router.weights] : [])]);
            layer.dispose();
          });
        }
      });
    }

    it('rejects a layer that does not exist, a wrong width, a bare checkpoint and missing weights', async () => {
      const ck = CK.pro;
      const D = textConfigOf(ck.config).hidden_size;
      const hs = { hidden_states: input('F32', [1, 2, D], new Array(2 * D).fill(0.5)) };
      await expectThrowsNoLeak(() => runComponent('text.layer.2', ck, hs), ValueError, /layer 2 does not exist \(num_hidden_layers = 2\)/);
      await expectThrowsNoLeak(() => runComponent('text.layer.0', ck, { hidden_states: input('F32', [1, 2, D + 1], new Array(2 * D + 2).fill(0)) }), ShapeError, /expected D = 16/);
      await expectThrowsNoLeak(() => runComponent('text.layer.0', { weights: ck.weights, config: null }, hs), ValueError, /needs the checkpoint's config\.json/);
      await expectThrowsNoLeak(() => runComponent('text.layer.0', { weights: memoryWeights({}), config: ck.config }, hs), CheckpointError, /rotary_emb|input_layernorm/);
      await expectThrowsNoLeak(() => runComponent('text.layer.0', ck, { ...hs, position_ids: input('I64', [1, 2], [0, -3]) }), ValueError, /position id -3/);
    });
  });

  describe('text', () => {
    for (const variant of ['s1', 'mini', 'pro'] as const) {
      it(`${variant}: fast == reference == Qwen3TextModel (logits and final hidden states)`, async () => {
        const ck = CK[variant];
        const text = textConfigOf(ck.config);
        const ids = [3, 17, 42, 8, 1, 63];
        const want = await runComponent('text', ck, { input_ids: input('I64', [2, 3], ids) }, 'reference');
        await expectNoLeak(async () => {
          const got = await runComponent('text', ck, { input_ids: input('I32', [2, 3], ids) });
          expect(got.logits.shape).toEqual([2, 3, text.vocab_size]);
          expect(got.hidden_states.shape).toEqual([2, 3, text.hidden_size]);
          assertRelClose(asArr(got.logits), asArr(want.logits), 1e-4);
          assertRelClose(asArr(got.hidden_states), asArr(want.hidden_states), 1e-4);
          const m = Qwen3TextModel.fromWeights(text, ck.weights);
          const o = m.forward([ids.slice(0, 3), ids.slice(3)]);
          expect(Array.from(o.logits!.dataSync())).toEqual(Array.from(got.logits.data));
          tf.dispose([o.logits!, o.hidden]);
          m.dispose();
        });
      });
    }
    it('rejects ids outside the vocabulary', async () => {
      await expectThrowsNoLeak(() => runComponent('text', CK.mini, { input_ids: input('I64', [1, 2], [1, 64]) }), ValueError, /64/);
    });
  });
});

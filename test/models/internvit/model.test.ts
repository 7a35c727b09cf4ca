/**
 * InternVisionModel: fast == reference for both variants on the trained grid and on other grids;
 * hidden states, attentions and vision_feature_layer semantics; the final LayerNorm when
 * use_mean_pooling is false; InternVL-chat-named checkpoints give the same output; errors; leaks.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../../reference/models/internvit/index.js';
import { CheckpointError, ConfigError, ShapeError, ValueError } from '../../../src/errors.js';
import { parseInternVitConfig } from '../../../src/io/configs/vision.js';
import * as fast from '../../../src/models/internvit/index.js';
import { assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { randomWeights } from '../../support/weights.js';
import { pixels, tinyVit, tinyWeights, toInternVlChat, vitSpecs, without } from './tiny.js';
import { runs } from '../../support/runs.js';

forEachBackend(() => {
  describe('InternVisionModel', () => {
    it('fast == reference (rel. error <= 1e-4) for both variants, trained grid 4x4 and other grids', async () => {
      const arb = fc.record({
        grid: fc.constantFrom<[number, number]>([4, 4], [2, 2], [6, 4], [4, 6], [6, 6]),
        N: fc.integer({ min: 1, max: 2 }), seed: fc.nat(), v: fc.constantFrom<'s1' | 'mini'>('s1', 'mini'),
      });
      await fc.assert(fc.asyncProperty(arb, async ({ grid: [hp, wp], N, seed, v }) => {
        const cfg = tinyVit(v);
        const w = tinyWeights(cfg, seed);
        const x = pixels([N, 3, 4 * hp, 4 * wp], seed);
        const expected = ref.InternVisionModel.fromWeights(cfg, w).forward(dataToNd(x)).lastHiddenState;
        await expectNoLeak(() => {
          const vit = fast.InternVisionModel.fromWeights(cfg, w);
          const xt = dataToTf(x);
          const { lastHiddenState, hiddenStates, attentions } = vit.forward(xt);
          expect(hiddenStates).toBeUndefined();
          expect(attentions).toBeUndefined();
          expect(lastHiddenState.shape).toEqual([N, 1 + hp * wp, 32]);
          assertRelClose(lastHiddenState, expected, 1e-4);
          tf.dispose([xt, lastHiddenState]);
          vit.dispose();
        });
      }), { numRuns: runs(12) });
    });

    it('hidden states (L + 1, embeddings first) and attentions match the reference', async () => {
      const cfg = tinyVit('s1');
      const w = tinyWeights(cfg, 21);
      const x = pixels([2, 3, 16, 24], 21);
      const r = ref.InternVisionModel.fromWeights(cfg, w).forward(dataToNd(x), { outputHiddenStates: true, outputAttentions: true });
      await expectNoLeak(() => {
        const vit = fast.InternVisionModel.fromWeights(cfg, w);
        const xt = dataToTf(x);
        const out = vit.forward(xt, { outputHiddenStates: true, outputAttentions: true });
        expect(out.hiddenStates).toHaveLength(3);
        expect(out.attentions).toHaveLength(2);
        out.hiddenStates!.forEach((h, i) => assertRelClose(h, r.hiddenStates![i], 1e-4, `hidden ${i}`));
        out.attentions!.forEach((a, i) => {
          expect(a.shape).toEqual([2, 4, 25, 25]);
          assertRelClose(a, r.attentions![i], 1e-4, `attention ${i}`);
        });
        // use_mean_pooling: no final norm, so the last hidden state is hidden_states[L]
        expect(Array.from(out.lastHiddenState.dataSync())).toEqual(Array.from(out.hiddenStates![2].dataSync()));
        tf.dispose([xt, out.lastHiddenState, ...out.hiddenStates!, ...out.attentions!]);
        vit.dispose();
      });
    });

    it('featureLayer follows HF vision_feature_layer: -1 last, else hidden_states[i] (negative from the end)', async () => {
      const cfg = tinyVit('mini', { num_hidden_layers: 3 });
      const w = tinyWeights(cfg, 22);
      const x = pixels([1, 3, 16, 16], 22);
      await expectNoLeak(() => {
        const vit = fast.InternVisionModel.fromWeights(cfg, w);
        const xt = dataToTf(x);
        const all = vit.forward(xt, { outputHiddenStates: true });
        const cases: [number, number][] = [[-1, 3], [0, 0], [1, 1], [3, 3], [-2, 2], [-4, 0]];
        for (const [layer, idx] of cases) {
          const f = vit.featureLayer(xt, layer);
          expect(Array.from(f.dataSync()), `layer ${layer}`).toEqual(Array.from(all.hiddenStates![idx].dataSync()));
          f.dispose();
        }
        expect(() => vit.featureLayer(xt, 4)).toThrow(ValueError);
        expect(() => vit.featureLayer(xt, -5)).toThrow(/in \[-4, 3\]/);
        tf.dispose([xt, all.lastHiddenState, ...all.hiddenStates!]);
        vit.dispose();
      });
    });

    it('use_mean_pooling false: a final LayerNorm (layernorm.{weight,bias}), same as the reference', async () => {
      const cfg = tinyVit('mini', { use_mean_pooling: false });
      const w = tinyWeights(cfg, 23);
      const x = pixels([1, 3, 16, 16], 23);
      const r = ref.InternVisionModel.fromWeights(cfg, w).forward(dataToNd(x), { outputHiddenStates: true });
      await expectNoLeak(() => {
        const vit = fast.InternVisionModel.fromWeights(cfg, w);
        expect(vit.layernorm).not.toBeNull();
        const xt = dataToTf(x);
        const out = vit.forward(xt, { outputHiddenStates: true });
        assertRelClose(out.lastHiddenState, r.lastHiddenState, 1e-4);
        assertRelClose(out.hiddenStates![2], r.hiddenStates![2], 1e-4);
        const vfl = vit.featureLayer(xt, -1); // -1 is the normed last_hidden_state, as in HF
        assertRelClose(vfl, r.lastHiddenState, 1e-4);
        tf.dispose([xt, vfl, out.lastHiddenState, ...out.hiddenStates!]);
        vit.dispose();
      });
      await expectThrowsNoLeak(() => fast.InternVisionModel.fromWeights(cfg, without(w, 'model.vision_tower.layernorm.bias')), CheckpointError, /model\.vision_tower\.layernorm\.bias/);
    });

    it('an InternVL-chat-named checkpoint (fused attn.qkv, ls1, norm1, ...) gives the same output as the HF-named one', async () => {
      for (const v of ['s1', 'mini'] as const) {
        const cfg = tinyVit(v);
        const hf = tinyWeights(cfg, 24);
        const chat = toInternVlChat(hf);
        expect(chat.has('vision_model.encoder.layers.0.attn.qkv.weight')).toBe(true); // stored fused ...
        expect(chat.info('vision_model.encoder.layers.0.attn.qkv.weight').shape).toEqual([96, 32]);
        expect(chat.info('model.vision_tower.encoder.layer.0.attention.k_proj.weight').shape).toEqual([32, 32]); // ... read split
        const x = pixels([1, 3, 16, 16], 24);
        await expectNoLeak(() => {
          const a = fast.InternVisionModel.fromWeights(cfg, hf);
          const b = fast.InternVisionModel.fromWeights(cfg, chat);
          const xt = dataToTf(x);
          const ya = a.forward(xt).lastHiddenState;
          const yb = b.forward(xt).lastHiddenState;
          expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
          tf.dispose([xt, ya, yb]);
          a.dispose();
          b.dispose();
        });
        const rb = ref.InternVisionModel.fromWeights(cfg, chat).forward(dataToNd(x)).lastHiddenState;
        const ra = ref.InternVisionModel.fromWeights(cfg, hf).forward(dataToNd(x)).lastHiddenState;
        expect(Array.from(rb.data)).toEqual(Array.from(ra.data));
      }
    });

    it('loads from a custom prefix', async () => {
      const cfg = tinyVit('s1', { num_hidden_layers: 1 });
      const w = randomWeights(vitSpecs(cfg, 'vision'), 25);
      await expectNoLeak(() => {
        const vit = fast.InternVisionModel.fromWeights(cfg, w, 'vision');
        expect(vit.layers).toHaveLength(1);
        vit.dispose();
      });
      await expectThrowsNoLeak(() => fast.InternVisionModel.fromWeights(cfg, w), CheckpointError, /model\.vision_tower\.embeddings/);
    });

    it('errors: a missing tensor in the last layer frees everything loaded before it; bad config; bad input', async () => {
      const cfg = tinyVit('s1');
      const w = tinyWeights(cfg, 26);
      await expectThrowsNoLeak(() => fast.InternVisionModel.fromWeights(cfg, without(w, 'model.vision_tower.encoder.layer.1.mlp.fc1.bias')), CheckpointError,
        /model\.vision_tower\.encoder\.layer\.1\.mlp\.fc1\.bias/);
      expect(() => parseInternVitConfig({ hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 4, intermediate_size: 8, norm_type: 'batch_norm' })).toThrow(ConfigError);
      await expectThrowsNoLeak(() => fast.InternVisionModel.fromWeights({ ...cfg, norm_type: 'batch_norm' as 'rms_norm' }, w), ConfigError, /InternVisionModel: unsupported norm_type 'batch_norm'/);
      const vit = fast.InternVisionModel.fromWeights(cfg, w);
      const x = tf.zeros([1, 3, 16, 14]);
      await expectThrowsNoLeak(() => vit.forward(x), ShapeError, /16x14 is not a positive multiple of the patch size 4x4/);
      await expectThrowsNoLeak(() => vit.forward(x, { outputHiddenStates: true, outputAttentions: true }), ShapeError);
      x.dispose();
      vit.dispose();
    });
  });
});

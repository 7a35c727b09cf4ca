/**
 * Qwen3DecoderLayer (spec 3.1): fast == reference for dense, MoE and Pro layers (RoPE and FoPE,
 * routing, attention probabilities), the KV cache against the full causal pass, bad inputs,
 * loading errors and leaks. The parts have their own files (attention, mlp, moe, routing, rotary,
 * losses); the whole text stack is model.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as refA from '../../../reference/models/qwen3/attention.js';
import * as refD from '../../../reference/models/qwen3/decoder.js';
import { CheckpointError, ShapeError, ValueError } from '../../../src/errors.js';
import { Qwen3KVCache } from '../../../src/models/qwen3/attention.js';
import { Qwen3DecoderLayer, layerIndexOf, rotaryPrefixOf } from '../../../src/models/qwen3/decoder.js';
import { assertClose, assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { without, withTensors } from '../../support/weights.js';
import { disposeRouter, normalData, posArb, refRouterMargin, specArb, tinyConfig, tinySpec, tinyWeights } from './helpers.js';
import { runs } from '../../support/runs.js';

const LP = 'model.language_model.layers.0';
const MARGIN = 1e-4;

const layerCase = fc
  .record({ s: specArb(), B: fc.integer({ min: 1, max: 2 }), T: fc.integer({ min: 1, max: 5 }), seed: fc.nat() })
  .chain((c) => fc.record({ c: fc.constant(c), positions: posArb(c.B, c.T) }));

forEachBackend(() => {
  describe('Qwen3DecoderLayer', () => {
    it('fast == reference for dense, MoE and Pro (RoPE and FoPE) layers: hidden rel ≤ 1e-4, routing, attention probs', async () => {
      await fc.assert(fc.asyncProperty(layerCase, async ({ c: { s, B, T, seed }, positions }) => {
        const cfg = tinyConfig(s);
        const w = tinyWeights(s, seed);
        const x = normalData([B, T, s.D], seed + 1);
        const want = refD.Qwen3DecoderLayer.fromWeights(cfg, w, LP).forward(dataToNd(x), positions, undefined, { returnAttentionProbs: true });
        fc.pre(refRouterMargin([want.router], s) > MARGIN);
        await expectNoLeak(() => {
          const layer = Qwen3DecoderLayer.fromWeights(cfg, w, LP);
          expect(layer.isMoe).toBe(s.kind !== 'dense');
          expect(layer.selfAttn.position.kind).toBe(s.fope ? 'fope' : 'rope');
          const xt = dataToTf(x);
          const out = layer.forward(xt, positions, undefined, { returnAttentionProbs: true });
          assertRelClose(out.hidden, want.hidden, 1e-4, 'hidden');
          assertClose(out.attentionProbs!, want.attentionProbs!, { rtol: 1e-4, atol: 1e-5 }, 'probs');
          if (want.router) {
            expect(Array.from(out.router!.indices.dataSync())).toEqual(Array.from(want.router.indices.data));
            assertClose(out.router!.weights, want.router.weights, { rtol: 1e-4, atol: 1e-6 }, 'weights');
            expect(out.router!.logits.shape).toEqual([B * T, s.E]);
          } else {
            expect(out.router).toBeNull();
          }
          disposeRouter(out.router);
          tf.dispose([xt, out.hidden, out.attentionProbs!]);
          layer.dispose();
        });
      }), { numRuns: runs(20) });
    });

    it('KV cache: prefill then one token at a time equals the full causal pass (RoPE and FoPE, batch 2)', async () => {
      for (const s of [tinySpec({ kind: 'dense', fope: false }), tinySpec({}), tinySpec({ sepHead: false, numInvFreq: 2, H: 6, Hkv: 3 })]) {
        const cfg = tinyConfig(s);
        const w = tinyWeights(s, 21);
        const layer = Qwen3DecoderLayer.fromWeights(cfg, w, LP);
        const x = dataToTf(normalData([2, 7, s.D], 22));
        await expectNoLeak(() => {
          const full = layer.forward(x);
          const cache = new Qwen3KVCache(1);
          const parts: tf.Tensor[] = [];
          for (const [t0, n] of [[0, 3], [3, 1], [4, 1], [5, 2]]) {
            const xs = tf.slice(x, [0, t0, 0], [2, n, s.D]);
            const o = layer.forward(xs, undefined, cache.layers[0]);
            parts.push(o.hidden);
            disposeRouter(o.router);
            xs.dispose();
          }
          expect(cache.length).toBe(7);
          const inc = tf.concat(parts, 1);
          assertRelClose(inc, full.hidden, 1e-5, 'incremental');
          // the cache holds k after norm and rotation: the k of a second full pass with positions 0..6
          expect(cache.layers[0].k!.shape).toEqual([2, 7, s.Hkv, s.d]);
          tf.dispose([inc, ...parts, full.hidden]);
          disposeRouter(full.router);
          cache.dispose();
        });
        // the reference agrees with itself the same way
        const refLayer = refD.Qwen3DecoderLayer.fromWeights(cfg, w, LP);
        const xn = dataToNd(normalData([1, 4, s.D], 23));
        const refFull = refLayer.forward(xn).hidden;
        const refCache = new refA.Qwen3KVCache(1);
        const a = refLayer.forward(dataToNd({ shape: [1, 3, s.D], data: Float64Array.from(xn.data.subarray(0, 3 * s.D)) }), undefined, refCache.layers[0]).hidden;
        const b = refLayer.forward(dataToNd({ shape: [1, 1, s.D], data: Float64Array.from(xn.data.subarray(3 * s.D)) }), undefined, refCache.layers[0]).hidden;
        assertClose({ shape: [1, 4, s.D], data: Float64Array.from([...a.data, ...b.data]) }, refFull, { rtol: 1e-10, atol: 1e-12 });
        tf.dispose(x);
        layer.dispose();
      }
    });

    it('rejects bad inputs with typed errors: width, position ids (length, negative, out of range), cache batch', async () => {
      const s = tinySpec({});
      const layer = Qwen3DecoderLayer.fromWeights(tinyConfig(s), tinyWeights(s, 3), LP);
      const x = tf.zeros([2, 3, s.D]);
      const narrow = tf.zeros([2, 3, s.D - 2]);
      await expectThrowsNoLeak(() => layer.forward(narrow), ShapeError);
      await expectThrowsNoLeak(() => layer.forward(x, [0, 1]), ShapeError, /row 0 has 2 ids but the input has T = 3/);
      await expectThrowsNoLeak(() => layer.forward(x, [[0, 1, 2], [0, 1, 2], [0, 1, 2]]), ShapeError, /3 rows/);
      await expectThrowsNoLeak(() => layer.forward(x, [0, -1, 2]), ValueError, /position id -1 at \[0, 1\]/);
      await expectThrowsNoLeak(() => layer.forward(x, [0, 1, 64]), ValueError, /outside \[0, 64\)/);
      await expectThrowsNoLeak(() => layer.forward(x, [0, 1.5, 2]), ValueError);
      const cache = new Qwen3KVCache(1);
      const one = tf.zeros([1, 3, s.D]);
      const o = layer.forward(one, undefined, cache.layers[0]);
      disposeRouter(o.router);
      o.hidden.dispose();
      await expectThrowsNoLeak(() => layer.forward(x, undefined, cache.layers[0]), ShapeError, /batch size 1/);
      await expectThrowsNoLeak(() => layer.forward(one, [62, 63, 64], cache.layers[0]), ValueError, /64/);
      expect(cache.length).toBe(3); // a rejected call leaves the cache as it was
      cache.dispose();
      tf.dispose([x, narrow, one]);
      layer.dispose();
    });

    it('loading: names the missing or misshapen tensor, and the FoPE coefficients next to the layers', async () => {
      const s = tinySpec({});
      const w = tinyWeights(s, 4);
      const cfg = tinyConfig(s);
      const misshapen = withTensors(w, { [`${LP}.self_attn.q_proj.weight`]: { dtype: 'F32', shape: [3, s.D], data: new Float32Array(3 * s.D) } });
      await expectThrowsNoLeak(() => Qwen3DecoderLayer.fromWeights(cfg, without(w, `${LP}.self_attn.k_norm.weight`), LP), CheckpointError, /k_norm/);
      await expectThrowsNoLeak(() => Qwen3DecoderLayer.fromWeights(cfg, misshapen, LP), ShapeError, /q_proj\.weight.*\[3, 16\]/);
      await expectThrowsNoLeak(() => Qwen3DecoderLayer.fromWeights(cfg, without(w, 'model.language_model.rotary_emb.cos_coef'), LP), CheckpointError, /rotary_emb\.cos_coef/);
      expect(layerIndexOf('model.language_model.layers.12')).toBe(12);
      expect(rotaryPrefixOf('model.language_model.layers.12')).toBe('model.language_model.rotary_emb');
    });

    it('leaks nothing across 100 calls (MoE + FoPE, with a KV cache)', async () => {
      const s = tinySpec({});
      const layer = Qwen3DecoderLayer.fromWeights(tinyConfig(s), tinyWeights(s, 5), LP);
      const x = dataToTf(normalData([1, 1, s.D], 6));
      await expectNoLeak(() => {
        const cache = new Qwen3KVCache(1);
        for (let i = 0; i < 100; i++) {
          const o = layer.forward(x, [i % 64], i % 10 === 0 ? undefined : cache.layers[0], { returnAttentionProbs: i % 3 === 0 });
          disposeRouter(o.router);
          tf.dispose([o.hidden, ...(o.attentionProbs ? [o.attentionProbs] : [])]);
          if (cache.length >= 20) cache.dispose();
        }
        cache.dispose();
      });
      x.dispose();
      layer.dispose();
    });
  });
});

import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NDArray } from '../../../reference/ndarray.js';
import * as refA from '../../../reference/models/qwen3/attention.js';
import * as refD from '../../../reference/models/qwen3/decoder.js';
import * as refM from '../../../reference/models/qwen3/model.js';
import { softmax as refSoftmax } from '../../../reference/ops/softmax.js';
import { CheckpointError, ShapeError, ValueError } from '../../../src/errors.js';
import { memoryWeights, type TensorInput, type WeightSource } from '../../../src/io/weights.js';
import { FOPE_PADDING_VLLM } from '../../../src/nn/fope.js';
import { Qwen3KVCache } from '../../../src/models/qwen3/attention.js';
import { Qwen3DecoderLayer, layerIndexOf, rotaryPrefixOf } from '../../../src/models/qwen3/decoder.js';
import { Qwen3TextModel } from '../../../src/models/qwen3/model.js';
import type { RouterOutput } from '../../../src/models/qwen3/routing.js';
import { assertClose, assertRelClose } from '../../support/assertClose.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { normalData, routingMargin, specArb, type TinySpec, tinyConfig, tinyWeights } from './helpers.js';

const LP = 'model.language_model.layers.0';
const MARGIN = 1e-4;

function disposeRouter(r: RouterOutput | null | undefined): void {
  if (r) tf.dispose([r.logits, r.indices, r.weights]);
}

/** Routing margins of every MoE router output of the reference (Infinity for dense layers). */
function margin(routers: ({ logits: NDArray } | null)[], s: TinySpec): number {
  return Math.min(Infinity, ...routers.map((r) => (r ? routingMargin(refSoftmax(r.logits, -1), s.K, s.G) : Infinity)));
}

function spec(over: Partial<TinySpec>): TinySpec {
  return { kind: 'pro', D: 16, H: 4, Hkv: 2, d: 8, I: 8, E: 8, K: 2, G: 2, layers: 1, V: 12, fope: true, sepHead: true, numInvFreq: null, maxPos: 64, norm: true, ...over };
}

/** Positions: default (undefined), shared row, or one row per batch item; all < maxPos. */
const posArb = (B: number, T: number) =>
  fc.oneof(
    fc.constant(undefined),
    fc.array(fc.integer({ min: 0, max: 63 }), { minLength: T, maxLength: T }),
    fc.array(fc.array(fc.integer({ min: 0, max: 63 }), { minLength: T, maxLength: T }), { minLength: B, maxLength: B }),
  );

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
        fc.pre(margin([want.router], s) > MARGIN);
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
      }), { numRuns: 20 });
    });

    it('KV cache: prefill then one token at a time equals the full causal pass (RoPE and FoPE, batch 2)', async () => {
      for (const s of [spec({ kind: 'dense', fope: false }), spec({}), spec({ sepHead: false, numInvFreq: 2, H: 6, Hkv: 3 })]) {
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
      const s = spec({});
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
      const s = spec({});
      const w = tinyWeights(s, 4);
      const without = (drop: string, reshape?: number[]): WeightSource => {
        const t: Record<string, TensorInput> = {};
        for (const n of w.names()) {
          if (n === drop && !reshape) continue;
          t[n] = n === drop ? { dtype: 'F32', shape: reshape!, data: new Float32Array(reshape!.reduce((a, b) => a * b, 1)) } : { dtype: 'F32', shape: w.info(n).shape, data: w.float32(n) };
        }
        return memoryWeights(t);
      };
      const cfg = tinyConfig(s);
      await expectThrowsNoLeak(() => Qwen3DecoderLayer.fromWeights(cfg, without(`${LP}.self_attn.k_norm.weight`), LP), CheckpointError, /k_norm/);
      await expectThrowsNoLeak(() => Qwen3DecoderLayer.fromWeights(cfg, without(`${LP}.self_attn.q_proj.weight`, [3, s.D]), LP), ShapeError, /q_proj\.weight.*\[3, 16\]/);
      await expectThrowsNoLeak(() => Qwen3DecoderLayer.fromWeights(cfg, without('model.language_model.rotary_emb.cos_coef'), LP), CheckpointError, /rotary_emb\.cos_coef/);
      expect(layerIndexOf('model.language_model.layers.12')).toBe(12);
      expect(rotaryPrefixOf('model.language_model.layers.12')).toBe('model.language_model.rotary_emb');
    });

    it('leaks nothing across 100 calls (MoE + FoPE, with a KV cache)', async () => {
      const s = spec({});
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

  describe('Qwen3TextModel', () => {
    const modelArb = fc.record({ s: specArb(['dense', 'moe', 'pro'], 2), T: fc.integer({ min: 1, max: 4 }), seed: fc.nat() });

    it('fast == reference: logits and hidden (rel ≤ 1e-4), router per layer; embeds path == ids path', async () => {
      await fc.assert(fc.asyncProperty(modelArb, async ({ s, T, seed }) => {
        const cfg = tinyConfig(s);
        const w = tinyWeights(s, seed);
        const ids = [Array.from({ length: T }, (_, t) => (seed + 5 * t) % s.V), Array.from({ length: T }, (_, t) => (seed * 3 + t) % s.V)];
        const want = refM.Qwen3TextModel.fromWeights(cfg, w).forward(ids, undefined, undefined, { returnRouter: true });
        fc.pre(margin(want.router!, s) > MARGIN);
        await expectNoLeak(() => {
          const model = Qwen3TextModel.fromWeights(cfg, w);
          const out = model.forward(ids, undefined, undefined, { returnRouter: true });
          expect(out.logits!.shape).toEqual([2, T, s.V]);
          assertRelClose(out.logits!, want.logits!, 1e-4, 'logits');
          assertRelClose(out.hidden, want.hidden, 1e-4, 'hidden');
          expect(out.router!.length).toBe(2);
          out.router!.forEach((r, l) => {
            if (want.router![l]) expect(Array.from(r!.indices.dataSync())).toEqual(Array.from(want.router![l]!.indices.data));
            else expect(r).toBeNull();
          });
          const e = model.embed(ids);
          const viaEmbeds = model.forwardEmbeds(e, undefined, undefined, { logits: 'last' });
          const last = tf.slice(out.logits!, [0, T - 1, 0], [2, 1, s.V]);
          assertClose(viaEmbeds.logits!, last, { rtol: 1e-6, atol: 1e-6 });
          out.router!.forEach(disposeRouter);
          tf.dispose([out.logits!, out.hidden, e, viaEmbeds.logits!, viaEmbeds.hidden, last]);
          model.dispose();
        });
      }), { numRuns: 10 });
    });

    it('generation with a KV cache (prefill, then one token at a time) equals the full pass; lazy embeddings agree', async () => {
      const s = spec({ layers: 2 });
      const cfg = tinyConfig(s);
      const w = tinyWeights(s, 31);
      const model = Qwen3TextModel.fromWeights(cfg, w);
      const lazy = Qwen3TextModel.fromWeights(cfg, w, { lazyEmbeddings: true });
      expect(lazy.embedTokens).toBeNull();
      const ids = [[1, 5, 7, 2, 9, 11]];
      await expectNoLeak(() => {
        const full = model.forward(ids);
        const cache = model.newCache();
        const pre = lazy.forward([ids[0].slice(0, 4)], undefined, cache);
        const steps = [4, 5].map((t) => lazy.forward([[ids[0][t]]], undefined, cache, { logits: 'last' }));
        expect(cache.length).toBe(6);
        const inc = tf.concat([pre.logits!, ...steps.map((o) => o.logits!)], 1);
        assertRelClose(inc, full.logits!, 1e-5);
        tf.dispose([full.logits!, full.hidden, pre.logits!, pre.hidden, inc, ...steps.flatMap((o) => [o.logits!, o.hidden])]);
        cache.dispose();
      });
      model.dispose();
      lazy.dispose();
    });

    it('plain Qwen3 prefix `model.`, tied embeddings, and the vLLM FoPE padding switch (fast == reference each)', () => {
      const dense = spec({ kind: 'dense', fope: false });
      const wd = tinyWeights(dense, 41, 'model.');
      const ids = [[3, 1, 4]];
      const tied = { ...tinyConfig(dense), tie_word_embeddings: true };
      for (const cfg of [tinyConfig(dense), tied]) {
        const m = Qwen3TextModel.fromWeights(cfg, wd, { prefix: 'model.' });
        const r = refM.Qwen3TextModel.fromWeights(cfg, wd, { prefix: 'model.' }).forward(ids);
        const o = m.forward(ids);
        assertRelClose(o.logits!, r.logits!, 1e-4);
        tf.dispose([o.logits!, o.hidden]);
        m.dispose();
      }
      const pro = spec({ numInvFreq: 2 });
      const wp = tinyWeights(pro, 42);
      const outs = [undefined, FOPE_PADDING_VLLM].map((pad) => {
        const m = Qwen3TextModel.fromWeights(tinyConfig(pro), wp, { fopePadding: pad });
        const r = refM.Qwen3TextModel.fromWeights(tinyConfig(pro), wp, { fopePadding: pad }).forward(ids);
        const o = m.forward(ids, undefined, undefined, { logits: 'none' });
        assertRelClose(o.hidden, r.hidden, 1e-4);
        expect(o.logits).toBeNull();
        m.dispose();
        return o.hidden;
      });
      const diff = tf.max(tf.abs(tf.sub(outs[0], outs[1]))).dataSync()[0];
      expect(diff).toBeGreaterThan(1e-3); // the padding constant matters
      tf.dispose(outs);
    });

    it('rejects bad ids and embeddings with typed errors, leaking nothing', async () => {
      const s = spec({ kind: 'dense', fope: false });
      const m = Qwen3TextModel.fromWeights(tinyConfig(s), tinyWeights(s, 1));
      await expectThrowsNoLeak(() => m.forward([[1, 12]]), ValueError, /12/);
      await expectThrowsNoLeak(() => m.forward([[1, 2], [3]]), ShapeError);
      const e = tf.zeros([1, 2, s.D + 1]);
      await expectThrowsNoLeak(() => m.forwardEmbeds(e), ShapeError, /D = 16/);
      const c = new Qwen3KVCache(3);
      const ok = tf.zeros([1, 2, s.D]);
      await expectThrowsNoLeak(() => m.forwardEmbeds(ok, undefined, c), ShapeError, /3 layers/);
      await expectThrowsNoLeak(() => Qwen3TextModel.fromWeights({ ...tinyConfig(s), vocab_size: 13 }, tinyWeights(s, 1)), ShapeError, /embed_tokens/);
      tf.dispose([e, ok]);
      m.dispose();
    });
  });
});

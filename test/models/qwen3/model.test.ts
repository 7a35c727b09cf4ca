/**
 * Qwen3TextModel (spec 3, 8): fast == reference for dense, MoE and Pro stacks (logits, hidden
 * states, routing per layer), the embeddings path against the ids path, generation with a KV cache
 * against the full pass, lazy embeddings, the plain Qwen3 `model.` prefix, tied embeddings, the
 * vLLM FoPE padding switch, and bad ids / embeddings with typed errors and no leaks.
 * (Moved here from decoder.test.ts.)
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as refM from '../../../reference/models/qwen3/model.js';
import { ShapeError, ValueError } from '../../../src/errors.js';
import { Qwen3KVCache } from '../../../src/models/qwen3/attention.js';
import { Qwen3TextModel } from '../../../src/models/qwen3/model.js';
import { FOPE_PADDING_VLLM } from '../../../src/nn/fope.js';
import { assertClose, assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { disposeRouter, refRouterMargin, specArb, tinyConfig, tinySpec, tinyWeights } from './helpers.js';
import { runs } from '../../support/runs.js';

const MARGIN = 1e-4;

forEachBackend(() => {
  describe('Qwen3TextModel', () => {
    const modelArb = fc.record({ s: specArb(['dense', 'moe', 'pro'], 2), T: fc.integer({ min: 1, max: 4 }), seed: fc.nat() });

    it('fast == reference: logits and hidden (rel ≤ 1e-4), router per layer; embeds path == ids path', async () => {
      await fc.assert(fc.asyncProperty(modelArb, async ({ s, T, seed }) => {
        const cfg = tinyConfig(s);
        const w = tinyWeights(s, seed);
        const ids = [Array.from({ length: T }, (_, t) => (seed + 5 * t) % s.V), Array.from({ length: T }, (_, t) => (seed * 3 + t) % s.V)];
        const want = refM.Qwen3TextModel.fromWeights(cfg, w).forward(ids, undefined, undefined, { returnRouter: true });
        fc.pre(refRouterMargin(want.router!, s) > MARGIN);
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
      }), { numRuns: runs(10) });
    });

    it('generation with a KV cache (prefill, then one token at a time) equals the full pass; lazy embeddings agree', async () => {
      const s = tinySpec({ layers: 2 });
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
      const dense = tinySpec({ kind: 'dense', fope: false });
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
      const pro = tinySpec({ numInvFreq: 2 });
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
      const s = tinySpec({ kind: 'dense', fope: false });
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

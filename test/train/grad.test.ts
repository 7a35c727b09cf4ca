/**
 * Gradients through every text-model part (issue 16, item 1), any batch size including 1: the
 * fast path's ∂loss/∂W for every checkpoint weight (embeddings, RMSNorms, attention with RoPE or
 * FoPE and its coefficients, dense SwiGLU, MoE with top-k or grouped routing, final norm,
 * lm_head), projected on a random direction per tensor, against central differences of the
 * float64 reference loss along that direction.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { TextParams } from '../../src/train/params.js';
import { lossAndGrads } from '../../src/train/step.js';
import { mulberry32, normals } from '../support/arbitraries.js';
import { forEachBackend } from '../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../support/leak.js';
import * as refM from '../../reference/models/qwen3/model.js';
import { refRouterMargin, specArb, tinyConfig, tinySpec, tinyWeights } from '../models/qwen3/helpers.js';
import { directional, float64Weights, refLoss } from './support.js';

const LOSS = { auxCoef: 0.01, zCoef: 0.01 };

/** ids [B][T] in [0, V) from a seed. */
function batchIds(B: number, T: number, V: number, seed: number): number[][] {
  const r = mulberry32(seed);
  return Array.from({ length: B }, () => Array.from({ length: T }, () => Math.floor(r() * V)));
}

forEachBackend(() => {
  describe('lossAndGrads: every weight against finite differences of the float64 reference', () => {
    const caseArb = fc.record({ s: specArb(['dense', 'moe', 'pro'], 2), B: fc.integer({ min: 1, max: 2 }), T: fc.integer({ min: 2, max: 5 }), seed: fc.nat() });

    it('loss equals the reference loss; <grad, u> equals the central difference for every tensor', async () => {
      await fc.assert(fc.asyncProperty(caseArb, async ({ s, B, T, seed }) => {
        const cfg = tinyConfig(s);
        const w = tinyWeights(s, seed);
        const ids = batchIds(B, T, s.V, seed + 1);
        const labels = ids.map((r, b) => r.map((y, t) => ((b + t) % 3 === 2 ? -100 : y))); // some ignored
        const want = refM.Qwen3TextModel.fromWeights(cfg as never, w).forward(ids, undefined, undefined, { returnRouter: true });
        fc.pre(refRouterMargin(want.router!, s) > 1e-3); // routing decisions stable under float32 and ±ε
        const values = float64Weights(w);
        const params = TextParams.fromWeights(cfg, w);
        await expectNoLeak(() => {
          const r = lossAndGrads(params, { inputIds: ids, labels }, { auxLossCoef: LOSS.auxCoef, zLossCoef: LOSS.zCoef });
          const loss = refLoss(cfg, values, ids, labels, LOSS);
          expect(Math.abs(r.loss - loss)).toBeLessThanOrEqual(1e-4 * Math.abs(loss) + 1e-6);
          const rand = mulberry32(seed + 2);
          for (const name of params.trainable) {
            const g = r.grads.get(name)!;
            expect(g.shape).toEqual(values.get(name)!.shape);
            const gv = Array.from(g.dataSync());
            const dir = normals(rand, gv.length);
            const gu = gv.reduce((a, x, i) => a + x * dir[i], 0);
            const gNorm = Math.sqrt(gv.reduce((a, x) => a + x * x, 0));
            const uNorm = Math.sqrt(dir.reduce((a, x) => a + x * x, 0));
            const fd = directional(cfg, values, ids, labels, LOSS, name, dir);
            if (Math.abs(gu - fd) > 1e-3 * gNorm * uNorm + 1e-6) {
              throw new Error(`${name}: <grad, u> = ${gu}, central difference ${fd} (|grad| ${gNorm})`);
            }
          }
          for (const g of r.grads.values()) g.dispose();
        });
        params.dispose();
      }), { numRuns: 3 });
    });

    it('an expert no token chose gets an exactly zero gradient; chosen experts and the router get one', () => {
      const s = tinySpec({ kind: 'moe', E: 8, K: 1, G: 1, fope: false, layers: 1 });
      const cfg = tinyConfig(s);
      const params = TextParams.fromWeights(cfg, tinyWeights(s, 5));
      const r = lossAndGrads(params, { inputIds: [[1, 2, 3]] });
      const chosen = new Set(r.expertLoad[0]!.perExpert.flatMap((c, e) => (c > 0 ? [e] : [])));
      expect(chosen.size).toBeLessThan(8);
      let chosenSum = 0;
      for (let e = 0; e < 8; e++) {
        const g = r.grads.get(`model.language_model.layers.0.mlp.experts.${e}.down_proj.weight`)!;
        const max = tf.tidy(() => tf.max(tf.abs(g)).dataSync()[0]);
        // A chosen expert may still get 0 when only the last token (which predicts nothing) chose it.
        if (chosen.has(e)) chosenSum += max;
        else expect(max).toBe(0);
      }
      expect(chosenSum).toBeGreaterThan(0);
      const gate = r.grads.get('model.language_model.layers.0.mlp.gate.weight')!;
      expect(tf.tidy(() => tf.max(tf.abs(gate)).dataSync()[0])).toBeGreaterThan(0);
      for (const g of r.grads.values()) g.dispose();
      params.dispose();
    });

    it("STE: without norm_topk_prob it is the true gradient (finite differences); with it, only the router's gradient and what lies below it change", () => {
      const ids = [[3, 1, 4, 1, 5]];
      for (const norm of [false, true]) {
        const s = tinySpec({ kind: 'moe', E: 8, K: 2, G: 1, fope: false, layers: 1, norm });
        const cfg = tinyConfig(s);
        const w = tinyWeights(s, 9);
        const params = TextParams.fromWeights(cfg, w);
        const ste = lossAndGrads(params, { inputIds: ids }, { routerGradient: 'ste', auxLoss: 'none' });
        const topk = lossAndGrads(params, { inputIds: ids }, { routerGradient: 'topk', auxLoss: 'none' });
        expect(ste.loss).toBe(topk.loss); // same forward
        const gate = 'model.language_model.layers.0.mlp.gate.weight';
        const diff = (n: string) => tf.tidy(() => tf.max(tf.abs(tf.sub(ste.grads.get(n)!, topk.grads.get(n)!))).dataSync()[0]);
        if (!norm) {
          const values = float64Weights(w);
          const dir = normals(mulberry32(4), 8 * 16);
          const gu = Array.from(ste.grads.get(gate)!.dataSync()).reduce((a, x, i) => a + x * dir[i], 0);
          const fd = directional(cfg, values, ids, ids, { auxCoef: 0, zCoef: 0 }, gate, dir);
          expect(Math.abs(gu - fd)).toBeLessThan(1e-3 * Math.abs(fd) + 1e-6);
          expect(diff(gate)).toBeLessThan(1e-6);
        } else {
          expect(diff(gate)).toBeGreaterThan(1e-4); // STE sends gradient to unselected logits
          for (const n of ['lm_head.weight', 'model.language_model.norm.weight', 'model.language_model.layers.0.mlp.experts.0.up_proj.weight']) {
            expect(diff(n)).toBeLessThan(1e-6); // above / beside the router: same forward, same gradient
          }
          expect(diff('model.language_model.layers.0.self_attn.q_proj.weight')).toBeGreaterThan(0); // below the router
        }
        for (const g of [...ste.grads.values(), ...topk.grads.values()]) g.dispose();
        params.dispose();
      }
    });

    it('bad batches and options are typed errors and leak nothing', async () => {
      const s = tinySpec({ kind: 'dense', layers: 1, fope: false });
      const params = TextParams.fromWeights(tinyConfig(s), tinyWeights(s, 1));
      await expectThrowsNoLeak(() => lossAndGrads(params, { inputIds: [[1]] }), Error, /T >= 2/);
      await expectThrowsNoLeak(() => lossAndGrads(params, { inputIds: [[1, 99]] }), ValueError, /inputIds\[0\]\[1\]' is 99, outside \[0, 12\)/);
      await expectThrowsNoLeak(() => lossAndGrads(params, { inputIds: [[1, 2]], labels: [[1, 12]] }), ValueError, /labels' holds 12 at \[0, 1\], outside \[0, 12\) and not -100/);
      await expectThrowsNoLeak(() => lossAndGrads(params, { inputIds: [[1, 2]] }, { routerGradient: 'dense' as never }), ValueError, /routerGradient/);
      params.dispose();
    });
  });
});

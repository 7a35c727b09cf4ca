/**
 * Routing (spec 4.2, 4.3): the reference gradients against finite differences, fast == reference
 * (probabilities, exact choices given a margin, weights, STE and sparse gradients), grouped routing
 * on fixed examples, expert load, typed errors and leaks. The auxiliary losses are losses.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NDArray } from '../../../reference/ndarray.js';
import * as ref from '../../../reference/models/qwen3/routing.js';
import { softmax as refSoftmax } from '../../../reference/ops/softmax.js';
import { ConfigError, ShapeError, ValueError } from '../../../src/errors.js';
import * as fast from '../../../src/models/qwen3/routing.js';
import { marginDataArb, mulberry32, normals } from '../../support/arbitraries.js';
import { assertClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { type Data, dataToNd, dataToTf, toNd } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { routingConfigArb } from './helpers.js';
import { runs } from '../../support/runs.js';

/** A routing case: logits with a margin between every pair of sorted scores (so choices cannot flip). */
const caseArb = routingConfigArb.chain((rc) =>
  fc.record({ rc: fc.constant(rc), logits: fc.integer({ min: 1, max: 8 }).chain((N) => marginDataArb([N, rc.numExperts], 0.05)), dw: fc.nat() }));

function dWeights(N: number, K: number, seed: number): Data {
  return { shape: [N, K], data: normals(mulberry32(seed), N * K) };
}

/** `Σ routingWeights ⊙ dW` (sparse) or the STE surrogate `Σ p_S ⊙ dW`, in float64. */
function objective(z: NDArray, idx: NDArray, dW: NDArray, rc: ref.RoutingConfig, mode: ref.RouterGradient): number {
  const p = refSoftmax(z, -1);
  const w = ref.routingWeights(z, idx, rc);
  let s = 0;
  for (let t = 0; t < idx.shape[0]; t++) {
    for (let k = 0; k < idx.shape[1]; k++) s += dW.get(t, k) * (mode === 'ste' ? p.get(t, idx.get(t, k)) : w.get(t, k));
  }
  return s;
}

describe('reference routing gradients (float64, no backend)', () => {
  it('match central finite differences: sparse of the forward, STE of its surrogate p_S', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom<ref.RouterGradient>('sparse', 'ste'), ({ rc, logits, dw }, mode) => {
      const z = dataToNd(logits);
      const { indices } = ref.routeTokens(z, rc);
      const dW = dataToNd(dWeights(z.shape[0], rc.topK, dw));
      const analytic = ref.routingWeightsGrad(z, indices, dW, rc, mode);
      const h = 1e-6;
      for (let t = 0; t < z.shape[0]; t++) {
        for (let j = 0; j < z.shape[1]; j++) {
          const v = z.get(t, j);
          z.set(t, j, v + h);
          const up = objective(z, indices, dW, rc, mode);
          z.set(t, j, v - h);
          const down = objective(z, indices, dW, rc, mode);
          z.set(t, j, v);
          const fd = (up - down) / (2 * h);
          expect(Math.abs(fd - analytic.get(t, j))).toBeLessThan(1e-7 + 1e-6 * Math.abs(fd));
        }
      }
    }), { numRuns: runs(10) });
  });
});

forEachBackend(() => {
  describe('routing', () => {
    it('fast == reference: probabilities, exact choices (given a margin) and weights', async () => {
      await fc.assert(fc.asyncProperty(caseArb, async ({ rc, logits }) => {
        const want = ref.routeTokens(dataToNd(logits), rc);
        await expectNoLeak(() => {
          const z = dataToTf(logits);
          const r = fast.routeTokens(z, rc);
          assertClose(r.probs, want.probs, { rtol: 1e-5, atol: 1e-7 }, 'probs');
          expect(Array.from(r.indices.dataSync())).toEqual(Array.from(want.indices.data));
          expect(r.indices.dtype).toBe('int32');
          assertClose(r.weights, want.weights, { rtol: 1e-5, atol: 1e-7 }, 'weights');
          tf.dispose([z, r.probs, r.indices, r.weights]);
        });
      }));
    });

    it('grouped routing takes exactly k/G experts from every group (global ids, group by group), unlike plain top-k', () => {
      const rc = fast.routingConfig({ num_experts: 8, num_experts_per_tok: 2, norm_topk_prob: true, router_n_groups: 2 });
      const plain = fast.routingConfig({ num_experts: 8, num_experts_per_tok: 2, norm_topk_prob: true });
      const z = tf.tensor2d([[5, 4, 0, 0, 1, 0, 2, 0], [0, 0, 0, 0, 3, 0, 0, 9]]); // token 0's two best are in group 0
      const g = fast.routeTokens(z, rc);
      const p = fast.routeTokens(z, plain);
      expect(g.indices.arraySync()).toEqual([[0, 6], [0, 7]]); // group 1 of token 1: best is 7; group 0 ties go to 0
      expect(p.indices.arraySync()).toEqual([[0, 1], [7, 4]]);
      const w = g.weights.arraySync() as number[][];
      const e = Math.exp(5) / (Math.exp(5) + Math.exp(2));
      expect(w[0][0]).toBeCloseTo(e, 6);
      expect(w[0][0] + w[0][1]).toBeCloseTo(1, 6);
      tf.dispose([z, g.probs, g.indices, g.weights, p.probs, p.indices, p.weights]);
    });

    it('STE and sparse gradients equal the reference; STE reaches every logit, sparse only the chosen ones', async () => {
      await fc.assert(fc.asyncProperty(caseArb.filter(({ rc }) => rc.topK < rc.numExperts), fc.constantFrom<fast.RouterGradient>('sparse', 'ste'), async ({ rc, logits, dw }, mode) => {
        const rcN = { ...rc, normTopkProb: true }; // the configs of the family renormalise
        const zNd = dataToNd(logits);
        const { indices } = ref.routeTokens(zNd, rcN);
        const dWd = dWeights(zNd.shape[0], rc.topK, dw);
        const want = ref.routingWeightsGrad(zNd, indices, dataToNd(dWd), rcN, mode);
        await expectNoLeak(() => {
          const z = dataToTf(logits);
          const idx = tf.tensor(Int32Array.from(indices.data), indices.shape, 'int32');
          const dW = dataToTf(dWd);
          const g = fast.routingWeightsGrad(z, idx, dW, rcN, mode);
          assertClose(g, want, { rtol: 1e-4, atol: 1e-6 }, mode);
          const gv = toNd(g);
          const chosen = (t: number, j: number) => Array.from({ length: rc.topK }, (_, k) => indices.get(t, k)).includes(j);
          for (let t = 0; t < gv.shape[0]; t++) {
            for (let j = 0; j < gv.shape[1]; j++) {
              if (mode === 'sparse' && !chosen(t, j)) expect(gv.get(t, j)).toBe(0);
              if (mode === 'ste' && !chosen(t, j)) expect(Math.abs(want.get(t, j))).toBeGreaterThan(0);
            }
          }
          tf.dispose([z, idx, dW, g]);
        });
      }), { numRuns: runs(15) });
    });

    it('on a fixed example: with STE every expert of every token has gradient, with the sparse gradient only the selected', () => {
      const rc = fast.routingConfig({ num_experts: 6, num_experts_per_tok: 2, norm_topk_prob: true, router_n_groups: 2 });
      const z = tf.tensor2d([[0.3, -1, 2, 0.5, 1.5, -0.2], [1, 2, 3, -1, -2, 0.1]]);
      const r = fast.routeTokens(z, rc);
      const dW = tf.tensor2d([[1, -0.5], [0.25, 2]]);
      const ste = fast.routingWeightsGrad(z, r.indices, dW, rc, 'ste').arraySync() as number[][];
      const sparse = fast.routingWeightsGrad(z, r.indices, dW, rc, 'sparse').arraySync() as number[][];
      const idx = r.indices.arraySync() as number[][];
      for (let t = 0; t < 2; t++) {
        for (let e = 0; e < 6; e++) {
          expect(Math.abs(ste[t][e])).toBeGreaterThan(1e-4);
          if (idx[t].includes(e)) expect(Math.abs(sparse[t][e])).toBeGreaterThan(1e-4);
          else expect(sparse[t][e]).toBe(0);
        }
      }
      tf.dispose([z, r.probs, r.indices, r.weights, dW]);
    });

    it('without renormalisation both gradient modes coincide (w = p_S)', () => {
      const rc = fast.routingConfig({ num_experts: 5, num_experts_per_tok: 2, norm_topk_prob: false });
      const z = tf.tensor2d([[0.1, 0.9, -0.3, 1.7, 0.4]]);
      const i = tf.tensor2d([[3, 1]], [1, 2], 'int32');
      const dW = tf.tensor2d([[0.7, -1.1]]);
      const a = fast.routingWeightsGrad(z, i, dW, rc, 'sparse');
      const b = fast.routingWeightsGrad(z, i, dW, rc, 'ste');
      assertClose(a, b, { rtol: 1e-5, atol: 1e-7 });
      tf.dispose([z, i, dW, a, b]);
    });

    it('rejects K > E, K or E not divisible by G, bad shapes, ids out of range and unknown modes', async () => {
      expect(() => fast.routingConfig({ num_experts: 4, num_experts_per_tok: 5, norm_topk_prob: true })).toThrow(ConfigError);
      expect(() => fast.routingConfig({ num_experts: 8, num_experts_per_tok: 3, norm_topk_prob: true, router_n_groups: 2 })).toThrow(/num_experts_per_tok \(3\) is not divisible/);
      expect(() => fast.routingConfig({ num_experts: 6, num_experts_per_tok: 4, norm_topk_prob: true, router_n_groups: 4 })).toThrow(/num_experts \(6\)/);
      const rc = fast.routingConfig({ num_experts: 4, num_experts_per_tok: 2, norm_topk_prob: true });
      const z = tf.zeros([3, 5]);
      const z4 = tf.zeros([3, 4]);
      const bad = tf.tensor2d([[0, 4], [1, 2], [0, 1]], [3, 2], 'int32');
      const short = tf.tensor2d([[0, 1]], [1, 2], 'int32');
      await expectThrowsNoLeak(() => fast.routeTokens(z, rc), ShapeError, /E = 4/);
      await expectThrowsNoLeak(() => fast.routingWeights(z4, bad, rc), ValueError, /holds 4/);
      await expectThrowsNoLeak(() => fast.routingWeights(z4, short, rc), ShapeError, /\[3, 2\]/);
      await expectThrowsNoLeak(() => fast.routingWeights(z4, bad, rc, 'dense' as never), ValueError, /'gradient'/);
      tf.dispose([z, z4, bad, short]);
    });

    it('leaks nothing across 100 routings with gradients', async () => {
      const rc = fast.routingConfig({ num_experts: 16, num_experts_per_tok: 4, norm_topk_prob: true, router_n_groups: 4 });
      const z = tf.randomNormal([6, 16], 0, 1, 'float32', 3);
      await expectNoLeak(() => {
        for (let i = 0; i < 100; i++) {
          const r = fast.routeTokens(z, rc, { gradient: i % 2 ? 'ste' : 'sparse' });
          const g = tf.grad((x: tf.Tensor) => fast.routingWeights(x, r.indices, rc, 'ste'))(z);
          tf.dispose([r.probs, r.indices, r.weights, g]);
        }
      });
      z.dispose();
    });
  });

  describe('expertLoad', () => {
    it('fast == reference; the grouped router is exactly balanced over groups', async () => {
      await fc.assert(fc.asyncProperty(caseArb, async ({ rc, logits }) => {
        const want = ref.routeTokens(dataToNd(logits), rc);
        const wantLoad = ref.expertLoad(want.indices, rc.numExperts, rc.nGroups);
        await expectNoLeak(() => {
          const z = dataToTf(logits);
          const r = fast.routeTokens(z, rc);
          const load = fast.expertLoad(r.indices, rc.numExperts, rc.nGroups);
          expect(load).toEqual(wantLoad);
          const N = logits.shape[0];
          expect(load.perExpert.reduce((a, b) => a + b, 0)).toBe(N * rc.topK);
          if (rc.nGroups > 1) {
            expect(load.perGroup).toEqual(new Array(rc.nGroups).fill((N * rc.topK) / rc.nGroups));
            expect(load.groupImbalance).toBe(1);
          }
          tf.dispose([z, r.probs, r.indices, r.weights]);
        });
      }));
    });
    it('counts only unmasked tokens and rejects ids out of range', async () => {
      const idx = tf.tensor2d([[0, 1], [2, 3], [0, 3]], [3, 2], 'int32');
      const l = fast.expertLoad(idx, 4, 2, [1, 0, 1]);
      expect(l).toEqual({ perExpert: [2, 1, 0, 1], perGroup: [3, 1], tokens: 2, expertImbalance: 2, groupImbalance: 1.5 });
      await expectThrowsNoLeak(() => fast.expertLoad(idx, 3), ValueError, /outside \[0, 3\)/);
      await expectThrowsNoLeak(() => fast.expertLoad(idx, 4, 3), ValueError);
      idx.dispose();
    });
  });
});


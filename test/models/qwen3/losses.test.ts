/**
 * The MoE auxiliary losses (spec 4.4): HF load balancing, XTuner balancing and the router z-loss,
 * fast == reference with and without a mask (moved here from routing.test.ts), known values, the
 * gradients of all three against central finite differences of the float64 reference, typed
 * errors and no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as refL from '../../../reference/models/qwen3/losses.js';
import * as ref from '../../../reference/models/qwen3/routing.js';
import type { NDArray } from '../../../reference/ndarray.js';
import { DTypeError, ShapeError, ValueError } from '../../../src/errors.js';
import * as fastL from '../../../src/models/qwen3/losses.js';
import { mulberry32, normals } from '../../support/arbitraries.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf, toNd } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { routingConfigArb } from './helpers.js';
import { runs } from '../../support/runs.js';

/** Central finite differences of a float64 function of `z` (every entry, step h). */
function finiteDifferences(f: (z: NDArray) => number, z: NDArray, h = 1e-6): Float64Array {
  const g = new Float64Array(z.data.length);
  for (let i = 0; i < g.length; i++) {
    const v = z.data[i];
    z.data[i] = v + h;
    const up = f(z);
    z.data[i] = v - h;
    const down = f(z);
    z.data[i] = v;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/** Assert a float32 gradient matches float64 finite differences: |a − fd| ≤ 1e-5 + 1e-3·|fd|. */
function expectGradClose(actual: ArrayLike<number>, fd: Float64Array, what: string): void {
  for (let i = 0; i < fd.length; i++) expect(Math.abs(actual[i] - fd[i]), `${what}[${i}]: ${actual[i]} vs ${fd[i]}`).toBeLessThanOrEqual(1e-5 + 1e-3 * Math.abs(fd[i]));
}

forEachBackend(() => {
  describe('auxiliary losses', () => {
    const layersArb = fc.record({ L: fc.integer({ min: 1, max: 3 }), B: fc.integer({ min: 1, max: 2 }), T: fc.integer({ min: 1, max: 4 }), rc: routingConfigArb, seed: fc.nat(), masked: fc.boolean() });
    it('HF, XTuner and z-loss: fast == reference (with and without a mask)', async () => {
      await fc.assert(fc.asyncProperty(layersArb, async ({ L, B, T, rc, seed, masked }) => {
        const rand = mulberry32(seed);
        const N = B * T;
        const logits = Array.from({ length: L }, () => ({ shape: [N, rc.numExperts], data: normals(rand, N * rc.numExperts, 2) }));
        const mask = masked ? Array.from({ length: N }, (_, i) => (i === 0 || rand() > 0.4 ? 1 : 0)) : undefined;
        const refZ = logits.map(dataToNd);
        const refIdx = refZ.map((z) => ref.routeTokens(z, rc).indices);
        const wantHf = refL.hfLoadBalancingLoss(refZ, rc.topK, mask);
        const wantXt = refL.xtunerBalancingLoss(refZ, refIdx, { alpha: 0.01, mask, nMicroBatches: 2 });
        const wantZ = refL.routerZLoss(refZ, 0.001, mask);
        await expectNoLeak(() => {
          const zs = logits.map((d) => dataToTf(d));
          const idx = refIdx.map((i) => tf.tensor(Int32Array.from(i.data), i.shape, 'int32'));
          const maskT = mask ? tf.tensor2d(mask, [B, T]) : undefined;
          const hf = fastL.hfLoadBalancingLoss(zs, rc.topK, maskT);
          maskT?.dispose();
          const xt = fastL.xtunerBalancingLoss(zs, idx, { alpha: 0.01, mask, nMicroBatches: 2 });
          const zl = fastL.routerZLoss(zs, 0.001, mask);
          expect(hf.dataSync()[0]).toBeCloseTo(wantHf, 4);
          expect(Math.abs(xt.dataSync()[0] - wantXt)).toBeLessThan(1e-6 + 1e-5 * Math.abs(wantXt));
          expect(Math.abs(zl.dataSync()[0] - wantZ)).toBeLessThan(1e-8 + 1e-5 * wantZ);
          tf.dispose([...zs, ...idx, hf, xt, zl]);
        });
      }), { numRuns: runs(15) });
    });
    it('known values: uniform router gives HF aux = K, XTuner 1 when balanced; z-loss log(E)²', () => {
      const hf = fastL.hfLoadBalancingLoss([tf.zeros([4, 8])], 3);
      expect(hf.dataSync()[0]).toBeCloseTo(3, 5); // E · Σ_k Σ_e f[k,e] / E = K
      const idx = tf.tensor2d([[0, 1], [2, 3]], [2, 2], 'int32');
      const xt = fastL.xtunerBalancingLoss([tf.zeros([2, 4])], [idx], { alpha: 1 });
      expect(xt.dataSync()[0]).toBeCloseTo(1, 6); // (E/(n·K)) Σ_e 1 · 1/4 = (4/4)·1
      const zl = fastL.routerZLoss(tf.zeros([3, 4]), 1);
      expect(zl.dataSync()[0]).toBeCloseTo(Math.log(4) ** 2, 5);
      // a collapsed router (all to expert 0) is penalised: aux = E · P_0 > 1
      const peaked = tf.tensor2d([[9, 0, 0, 0], [9, 0, 0, 0]]);
      expect(fastL.hfLoadBalancingLoss(peaked, 1).dataSync()[0]).toBeGreaterThan(3.9);
      tf.dispose([hf, idx, xt, zl, peaked]);
    });
    it('the HF loss gradient (through the mean probabilities) matches finite differences of the reference', () => {
      const z = { shape: [5, 4], data: normals(mulberry32(11), 20) };
      const zt = dataToTf(z);
      const g = toNd(tf.grad((x: tf.Tensor) => fastL.hfLoadBalancingLoss(x, 2))(zt));
      const nd = dataToNd(z);
      const h = 1e-6;
      for (let i = 0; i < 20; i++) {
        const v = nd.data[i];
        nd.data[i] = v + h;
        const up = refL.hfLoadBalancingLoss(nd, 2);
        nd.data[i] = v - h;
        const down = refL.hfLoadBalancingLoss(nd, 2);
        nd.data[i] = v;
        expect(g.data[i]).toBeCloseTo((up - down) / (2 * h), 4);
      }
      zt.dispose();
    });
    it('rejects mismatched shapes', async () => {
      const a = tf.zeros([4, 8]);
      const b = tf.zeros([4, 6]);
      const i = tf.zeros([3, 2], 'int32');
      await expectThrowsNoLeak(() => fastL.hfLoadBalancingLoss([a, b], 2), ShapeError, /logits\[1\]/);
      await expectThrowsNoLeak(() => fastL.hfLoadBalancingLoss([a], 9), ValueError);
      await expectThrowsNoLeak(() => fastL.hfLoadBalancingLoss([a], 2, [1, 0, 1]), ShapeError, /mask/);
      await expectThrowsNoLeak(() => fastL.xtunerBalancingLoss([a], [i]), ShapeError, /indices\[0\]/);
      tf.dispose([a, b, i]);
    });
  });

  describe('auxiliary loss gradients against finite differences of the reference', () => {
    const gradArb = fc.record({ N: fc.integer({ min: 1, max: 6 }), E: fc.constantFrom(4, 8), K: fc.integer({ min: 1, max: 3 }), seed: fc.nat(), masked: fc.boolean() });

    it('XTuner: the gradient flows through the mean probabilities only (the router choices are constants)', async () => {
      await fc.assert(fc.asyncProperty(gradArb, async ({ N, E, K, seed, masked }) => {
        const rand = mulberry32(seed);
        const z = { shape: [N, E], data: normals(rand, N * E, 1.5) };
        const idx = Array.from({ length: N }, () => Array.from({ length: K }, () => Math.floor(rand() * E)));
        const mask = masked ? Array.from({ length: N }, (_, i) => (i === 0 || rand() > 0.4 ? 1 : 0)) : undefined;
        const idxNd = dataToNd({ shape: [N, K], data: Float64Array.from(idx.flat()) });
        const fd = finiteDifferences((zz) => refL.xtunerBalancingLoss([zz], [idxNd], { alpha: 1, mask }), dataToNd(z));
        await expectNoLeak(() => {
          const [zt, it] = [dataToTf(z), tf.tensor2d(idx.flat(), [N, K], 'int32')];
          const g = tf.grad((x: tf.Tensor) => fastL.xtunerBalancingLoss([x], [it], { alpha: 1, mask }))(zt);
          expectGradClose(g.dataSync(), fd, 'xtuner');
          tf.dispose([zt, it, g]);
        });
      }), { numRuns: runs(10) });
    });

    it('z-loss: d/dz of α·mean_t logsumexp(z_t)² (masked tokens get none)', async () => {
      await fc.assert(fc.asyncProperty(gradArb, async ({ N, E, seed, masked }) => {
        const rand = mulberry32(seed);
        const z = { shape: [N, E], data: normals(rand, N * E, 1.5) };
        const mask = masked ? Array.from({ length: N }, (_, i) => (i === 0 || rand() > 0.4 ? 1 : 0)) : undefined;
        const fd = finiteDifferences((zz) => refL.routerZLoss(zz, 1, mask), dataToNd(z));
        await expectNoLeak(() => {
          const zt = dataToTf(z);
          const g = tf.grad((x: tf.Tensor) => fastL.routerZLoss(x, 1, mask))(zt);
          const gv = g.dataSync();
          expectGradClose(gv, fd, 'z-loss');
          mask?.forEach((m, t) => { if (!m) for (let e = 0; e < E; e++) expect(gv[t * E + e]).toBe(0); });
          tf.dispose([zt, g]);
        });
      }), { numRuns: runs(10) });
    });

    it('HF with a [B, T] attention mask repeated over two layers: gradient per layer equals finite differences', () => {
      const [B, T, E] = [2, 3, 4];
      const mask = tf.tensor2d([[1, 1, 0], [1, 0, 1]]);
      const maskFlat = [1, 1, 0, 1, 0, 1];
      const zs = [0, 1].map((l) => ({ shape: [B * T, E], data: normals(mulberry32(20 + l), B * T * E) }));
      const [z0, z1] = zs.map((d) => dataToTf(d));
      const g = toNd(tf.grad((x: tf.Tensor) => fastL.hfLoadBalancingLoss([x, z1], 2, mask))(z0));
      const z1Nd = dataToNd(zs[1]);
      const fd = finiteDifferences((zz) => refL.hfLoadBalancingLoss([zz, z1Nd], 2, maskFlat), dataToNd(zs[0]));
      expectGradClose(g.data, fd, 'hf');
      tf.dispose([mask, z0, z1]);
    });
  });

  describe('auxiliary loss errors and leaks', () => {
    it('typed errors name the argument and leak nothing', async () => {
      const a = tf.zeros([4, 8]);
      const ints = tf.zeros([4, 8], 'int32');
      const i = tf.tensor2d([[0], [1], [2], [9]], [4, 1], 'int32');
      const ok = tf.tensor2d([[0], [1], [2], [3]], [4, 1], 'int32');
      const rank3 = tf.zeros([2, 2, 2]);
      await expectThrowsNoLeak(() => fastL.hfLoadBalancingLoss([], 2), ValueError, /^hfLoadBalancingLoss: no router logits given$/);
      await expectThrowsNoLeak(() => fastL.hfLoadBalancingLoss([ints], 2), DTypeError, /'logits\[0\]' must be float32/);
      await expectThrowsNoLeak(() => fastL.hfLoadBalancingLoss([a], 1.5), ValueError, /'topK' must be an integer in \[1, 8\], got 1\.5/);
      await expectThrowsNoLeak(() => fastL.xtunerBalancingLoss([a, a], [ok]), ShapeError, /1 index tensors for 2 layers of logits/);
      await expectThrowsNoLeak(() => fastL.xtunerBalancingLoss([a], [i]), ValueError, /'indices\[0\]' holds 9, outside \[0, 8\)/);
      await expectThrowsNoLeak(() => fastL.xtunerBalancingLoss([a], [ok], { mask: [1, 0, 1] }), ShapeError, /'mask' has length 3 but layer 0 has 4 tokens/);
      await expectThrowsNoLeak(() => fastL.routerZLoss([a], 0.001, [1, 1]), ShapeError, /^routerZLoss: 'mask' has length 2 but a layer has 4 tokens$/);
      await expectThrowsNoLeak(() => fastL.routerZLoss(rank3, 0.001), ShapeError, /'logits\[0\]' must be \[N, E\]/);
      tf.dispose([a, ints, i, ok, rank3]);
    });

    it('leaks nothing across 50 rounds of all three losses and their gradients', async () => {
      const z = tf.randomNormal([6, 8], 0, 1, 'float32', 7);
      const idx = tf.tensor2d([[0, 1], [2, 3], [4, 5], [6, 7], [0, 2], [1, 3]], [6, 2], 'int32');
      await expectNoLeak(() => {
        for (let r = 0; r < 50; r++) {
          const out = [fastL.hfLoadBalancingLoss(z, 2), fastL.xtunerBalancingLoss([z], [idx]), fastL.routerZLoss(z)];
          const g = tf.grad((x: tf.Tensor) => tf.addN([fastL.hfLoadBalancingLoss(x, 2), fastL.xtunerBalancingLoss([x], [idx]), fastL.routerZLoss(x)]))(z);
          tf.dispose([...out, g]);
        }
      });
      tf.dispose([z, idx]);
    });
  });
});

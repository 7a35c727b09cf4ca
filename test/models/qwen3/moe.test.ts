import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as refMoe from '../../../reference/models/qwen3/moe.js';
import { softmax as refSoftmax } from '../../../reference/ops/softmax.js';
import { CheckpointError, ConfigError, ShapeError } from '../../../src/errors.js';
import type { Qwen3MoeTextConfig } from '../../../src/io/configs/text.js';
import { memoryWeights, type TensorInput } from '../../../src/io/weights.js';
import { Qwen3MoeSparseBlock } from '../../../src/models/qwen3/moe.js';
import { assertClose, assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { normalData, routingMargin, specArb, tinyConfig, tinyWeights } from './helpers.js';
import { runs } from '../../support/runs.js';

const P = 'model.language_model.layers.0.mlp';
/** Routing decisions are compared only when the k-th and (k+1)-th probabilities differ by this (relative). */
const MARGIN = 1e-4;

const moeCase = fc.record({ spec: specArb(['moe', 'pro']), N: fc.integer({ min: 1, max: 8 }), B: fc.boolean(), seed: fc.nat() });

forEachBackend(() => {
  describe('Qwen3MoeSparseBlock', () => {
    it('fast == reference: output (rel ≤ 1e-4), router logits, exact choices and weights', async () => {
      await fc.assert(fc.asyncProperty(moeCase, async ({ spec, N, B, seed }) => {
        const cfg = tinyConfig(spec) as Qwen3MoeTextConfig;
        const w = tinyWeights(spec, seed);
        const x = normalData(B && N % 2 === 0 ? [2, N / 2, spec.D] : [N, spec.D], seed + 7);
        const ref = refMoe.Qwen3MoeSparseBlock.fromWeights(cfg, w, P);
        const want = ref.forward(dataToNd(x));
        fc.pre(routingMargin(refSoftmax(want.router.logits, -1), spec.K, spec.G) > MARGIN);
        await expectNoLeak(() => {
          const moe = Qwen3MoeSparseBlock.fromWeights(cfg, w, P);
          const xt = dataToTf(x);
          const { output, router } = moe.forward(xt);
          expect(output.shape).toEqual(x.shape);
          assertRelClose(output, want.output, 1e-4, 'output');
          assertClose(router.logits, want.router.logits, { rtol: 1e-4, atol: 1e-5 }, 'logits');
          expect(router.indices.dtype).toBe('int32');
          expect(Array.from(router.indices.dataSync())).toEqual(Array.from(want.router.indices.data));
          assertClose(router.weights, want.router.weights, { rtol: 1e-4, atol: 1e-6 }, 'weights');
          // the differentiable tensor path (taken while a gradient is recorded) agrees too
          const vg = tf.valueAndGrad((xx: tf.Tensor) => moe.forward(xx).output)(xt);
          assertRelClose(vg.value, want.output, 1e-4, 'tensor path');
          tf.dispose([xt, output, router.logits, router.indices, router.weights, vg.value, vg.grad]);
          moe.dispose();
        });
      }), { numRuns: runs(20) });
    });

    it('computes only the selected experts: NaN weights in every unselected expert leave the output unchanged', () => {
      const spec = { kind: 'moe' as const, D: 16, H: 2, Hkv: 1, d: 8, I: 8, E: 64, K: 2, G: 1, layers: 1, V: 8, fope: false, sepHead: false, numInvFreq: null, maxPos: 64, norm: true };
      const cfg = tinyConfig(spec) as Qwen3MoeTextConfig;
      const w = tinyWeights(spec, 5);
      const x = dataToTf(normalData([3, 16], 6));
      const moe = Qwen3MoeSparseBlock.fromWeights(cfg, w, P);
      const a = moe.forward(x);
      const used = new Set(a.router.indices.dataSync());
      expect(used.size).toBeLessThanOrEqual(6);
      const poisoned: Record<string, TensorInput> = {};
      for (const name of w.names()) {
        const m = /experts\.(\d+)\./.exec(name);
        const data = Float32Array.from(w.float32(name));
        if (m && !used.has(Number(m[1]))) data.fill(NaN);
        poisoned[name] = { dtype: 'F32', shape: w.info(name).shape, data };
      }
      const moe2 = Qwen3MoeSparseBlock.fromWeights(cfg, memoryWeights(poisoned), P);
      const b = moe2.forward(x);
      expect(Array.from(b.output.dataSync())).toEqual(Array.from(a.output.dataSync()));
      tf.dispose([x, a.output, a.router.logits, a.router.indices, a.router.weights, b.output, b.router.logits, b.router.indices, b.router.weights]);
      moe.dispose();
      moe2.dispose();
    });

    it('router gradient: an expert no token chose gets gate gradient with STE, none with the sparse gradient', () => {
      const spec = { kind: 'pro' as const, D: 8, H: 2, Hkv: 1, d: 4, I: 4, E: 8, K: 2, G: 2, layers: 1, V: 8, fope: false, sepHead: false, numInvFreq: null, maxPos: 64, norm: true };
      const cfg = tinyConfig(spec) as Qwen3MoeTextConfig;
      const moe = Qwen3MoeSparseBlock.fromWeights(cfg, tinyWeights(spec, 3), P);
      const x = dataToTf(normalData([2, 8], 4));
      const probe = moe.forward(x);
      const used = new Set(probe.router.indices.dataSync());
      const unused = [...Array(8).keys()].filter((e) => !used.has(e));
      expect(unused.length).toBeGreaterThan(0);
      const before = tf.memory().numTensors;
      const gradOf = (mode: 'sparse' | 'ste') =>
        tf.grad((g: tf.Tensor) => new Qwen3MoeSparseBlock(g as tf.Tensor2D, moe.experts, moe.routing, 'silu').forward(x, { routerGradient: mode }).output)(moe.gateT);
      // While a gradient is recorded the block takes its differentiable tensor path; it computes
      // the same output as the host path used for inference.
      const vg = tf.valueAndGrad((xx: tf.Tensor) => moe.forward(xx).output)(x);
      assertClose(vg.value, probe.output, { rtol: 1e-5, atol: 1e-6 }, 'tensor path vs host path');
      tf.dispose([vg.value, vg.grad]);
      const gs = gradOf('sparse');
      const ge = gradOf('ste');
      const [sv, ev] = [gs.arraySync() as number[][], ge.arraySync() as number[][]]; // [D, E]
      for (const e of unused) {
        expect(sv.every((row) => row[e] === 0)).toBe(true);
        expect(ev.some((row) => Math.abs(row[e]) > 1e-6)).toBe(true);
      }
      for (const e of used) expect(sv.some((row) => Math.abs(row[e]) > 1e-6)).toBe(true);
      tf.dispose([gs, ge]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, probe.output, probe.router.logits, probe.router.indices, probe.router.weights]);
      moe.dispose();
    });

    it('rejects K > E, K not divisible by G, bad shapes and missing experts, leaking nothing', async () => {
      const spec = { kind: 'pro' as const, D: 8, H: 2, Hkv: 1, d: 4, I: 4, E: 8, K: 4, G: 2, layers: 1, V: 8, fope: false, sepHead: false, numInvFreq: null, maxPos: 64, norm: true };
      const cfg = tinyConfig(spec) as Qwen3MoeTextConfig;
      const w = tinyWeights(spec, 1);
      await expectThrowsNoLeak(() => Qwen3MoeSparseBlock.fromWeights({ ...cfg, num_experts_per_tok: 9 }, w, P), ConfigError, /num_experts_per_tok \(9\)/);
      await expectThrowsNoLeak(() => Qwen3MoeSparseBlock.fromWeights({ ...cfg, num_experts_per_tok: 3 }, w, P), ConfigError, /not divisible by router_n_groups/);
      await expectThrowsNoLeak(() => Qwen3MoeSparseBlock.fromWeights({ ...cfg, num_experts: 9, router_n_groups: 1 }, w, P), ShapeError, /mlp\.gate\.weight/);
      await expectThrowsNoLeak(() => Qwen3MoeSparseBlock.fromWeights({ ...cfg, moe_intermediate_size: 5 }, w, P), ShapeError, /experts\.0\.gate_proj\.weight/);
      const partial: Record<string, TensorInput> = {};
      for (const n of w.names()) if (!n.includes('experts.7.down_proj')) partial[n] = { dtype: 'F32', shape: w.info(n).shape, data: w.float32(n) };
      await expectThrowsNoLeak(() => Qwen3MoeSparseBlock.fromWeights(cfg, memoryWeights(partial), P), CheckpointError, /experts\.7\.down_proj/);
      const moe = Qwen3MoeSparseBlock.fromWeights(cfg, w, P);
      const bad = tf.zeros([3, 7]);
      const empty = tf.zeros([0, 8]);
      await expectThrowsNoLeak(() => moe.forward(bad), ShapeError, /D = 8/);
      await expectThrowsNoLeak(() => moe.forward(empty), ShapeError, /no tokens/);
      tf.dispose([bad, empty]);
      moe.dispose();
    });

    it('leaks nothing across 100 calls', async () => {
      const spec = { kind: 'pro' as const, D: 16, H: 2, Hkv: 1, d: 4, I: 8, E: 16, K: 4, G: 4, layers: 1, V: 8, fope: false, sepHead: false, numInvFreq: null, maxPos: 64, norm: true };
      const moe = Qwen3MoeSparseBlock.fromWeights(tinyConfig(spec) as Qwen3MoeTextConfig, tinyWeights(spec, 2), P);
      const x = dataToTf(normalData([2, 5, 16], 3));
      await expectNoLeak(() => {
        for (let i = 0; i < 100; i++) {
          const r = moe.forward(x, { routerGradient: i % 2 ? 'ste' : 'sparse' });
          tf.dispose([r.output, r.router.logits, r.router.indices, r.router.weights]);
        }
      });
      x.dispose();
      moe.dispose();
    });
  });
});

/**
 * The SwiGLU feed-forward (spec 3.3): Qwen3MLP fast == reference for any leading shape (moved here
 * from moe.test.ts), the `loadSwiGlu` / `swiGlu` pair the MoE experts share against the reference,
 * the gate/up order on a hand-computed case, typed errors at load and at call, and no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as refMlp from '../../../reference/models/qwen3/mlp.js';
import { activation as refActivation } from '../../../reference/nn/activation.js';
import { CheckpointError, ConfigError, DTypeError, ShapeError } from '../../../src/errors.js';
import { memoryWeights } from '../../../src/io/weights.js';
import { loadSwiGlu, Qwen3MLP, swiGlu } from '../../../src/models/qwen3/mlp.js';
import { activation } from '../../../src/nn/activation.js';
import { assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { randomWeights } from '../../support/weights.js';
import { normalData, specArb, tinyConfig, tinyWeights } from './helpers.js';
import { runs } from '../../support/runs.js';

const P = 'model.language_model.layers.0.mlp';

/** One expert's seeded weights under `prefix` (`gate_proj`, `up_proj` `[I, D]`, `down_proj` `[D, I]`). */
const swiGluWeights = (D: number, I: number, seed: number, prefix = 'e') => randomWeights({
  [`${prefix}.gate_proj.weight`]: { shape: [I, D], std: 1 / Math.sqrt(D) },
  [`${prefix}.up_proj.weight`]: { shape: [I, D], std: 1 / Math.sqrt(D) },
  [`${prefix}.down_proj.weight`]: { shape: [D, I], std: 1 / Math.sqrt(I) },
}, seed);

/** A float32 checkpoint tensor (row-major data), for hand-made checkpoints. */
const f32 = (shape: number[], data: number[]) => ({ dtype: 'F32' as const, shape, data });

forEachBackend(() => {
  describe('Qwen3MLP', () => {
    it('fast == reference (dense SwiGLU), any leading shape', async () => {
      await fc.assert(fc.asyncProperty(specArb(['dense']), fc.nat(), async (spec, seed) => {
        const cfg = tinyConfig(spec);
        const w = tinyWeights(spec, seed);
        const x = normalData([2, 3, spec.D], seed + 1);
        const want = refMlp.Qwen3MLP.fromWeights(cfg, w, P).forward(dataToNd(x));
        await expectNoLeak(() => {
          const mlp = Qwen3MLP.fromWeights(cfg, w, P);
          const xt = dataToTf(x);
          const y = mlp.forward(xt);
          assertRelClose(y, want, 1e-5);
          tf.dispose([xt, y]);
          mlp.dispose();
        });
      }), { numRuns: runs(10) });
    });
  });

  describe('loadSwiGlu / swiGlu (the expert FFN of the MoE layers)', () => {
    it('fast == reference for random widths and rows; gate and up are fused into one [D, 2I] product', async () => {
      const arb = fc.record({ D: fc.integer({ min: 1, max: 24 }), I: fc.integer({ min: 1, max: 24 }), N: fc.integer({ min: 1, max: 6 }), seed: fc.nat() });
      await fc.assert(fc.asyncProperty(arb, async ({ D, I, N, seed }) => {
        const w = swiGluWeights(D, I, seed);
        const x = normalData([N, D], seed + 1);
        const want = refMlp.swiGlu(dataToNd(x), refMlp.loadSwiGlu('test', w, 'e', D, I), refActivation('silu'));
        await expectNoLeak(() => {
          const sw = loadSwiGlu('test', w, 'e', D, I);
          expect([sw.gateUpT.shape, sw.downT.shape]).toEqual([[D, 2 * I], [I, D]]);
          const xt = dataToTf(x);
          const y = swiGlu(xt, sw, activation('silu'));
          assertRelClose(y, want, 1e-5);
          tf.dispose([xt, y, sw.gateUpT, sw.downT]);
        });
      }), { numRuns: runs(15) });
    });

    it('a hand-computed case: down(silu(gate·x) ⊙ up·x), gate and up not swapped', async () => {
      // D = 2, I = 1: gate reads x₀, up reads x₁, down copies the one hidden unit to both outputs.
      // x = [2, 3]: silu(2)·3 = 3·2/(1 + e⁻²) = 5.284782467867295 (swapped: silu(3)·2 = 5.715...)
      const w = memoryWeights({ 'e.gate_proj.weight': f32([1, 2], [1, 0]), 'e.up_proj.weight': f32([1, 2], [0, 1]), 'e.down_proj.weight': f32([2, 1], [1, 1]) });
      await expectNoLeak(() => {
        const mlp = Qwen3MLP.fromWeights({ hidden_size: 2, intermediate_size: 1, hidden_act: 'silu' }, w, 'e');
        const x = tf.tensor2d([[2, 3]]);
        const yt = mlp.forward(x);
        const y = yt.dataSync();
        expect(y[0]).toBeCloseTo(5.284782467867295, 5);
        expect(y[1]).toBeCloseTo(5.284782467867295, 5);
        tf.dispose([x, yt]);
        mlp.dispose();
      });
    });
  });

  describe('Qwen3MLP errors and leaks', () => {
    const cfg = { hidden_size: 4, intermediate_size: 6, hidden_act: 'silu' };

    it('load: an unknown activation before anything is loaded, a misshapen or missing tensor named; nothing leaks', async () => {
      const w = swiGluWeights(4, 6, 1, 'mlp');
      await expectThrowsNoLeak(() => Qwen3MLP.fromWeights({ ...cfg, hidden_act: 'mish' }, w, 'mlp'), ConfigError, /unknown activation 'mish'/);
      await expectThrowsNoLeak(() => Qwen3MLP.fromWeights({ ...cfg, intermediate_size: 5 }, w, 'mlp'), ShapeError, /^Qwen3MLP: 'mlp\.gate_proj\.weight' has shape \[6, 4\], expected \[5, 4\]$/);
      await expectThrowsNoLeak(() => Qwen3MLP.fromWeights({ ...cfg, hidden_size: 3 }, w, 'mlp'), ShapeError, /gate_proj\.weight/);
      const noDown = memoryWeights({ 'mlp.gate_proj.weight': f32([6, 4], new Array(24).fill(0)), 'mlp.up_proj.weight': f32([6, 4], new Array(24).fill(0)) });
      await expectThrowsNoLeak(() => Qwen3MLP.fromWeights(cfg, noDown, 'mlp'), CheckpointError, /mlp\.down_proj\.weight/);
    });

    it('forward: a wrong width, an int tensor and a scalar are typed errors; nothing leaks', async () => {
      const mlp = Qwen3MLP.fromWeights(cfg, swiGluWeights(4, 6, 2, 'mlp'), 'mlp');
      const narrow = tf.zeros([2, 3]);
      const ints = tf.zeros([2, 4], 'int32');
      const scalar = tf.scalar(1);
      await expectThrowsNoLeak(() => mlp.forward(narrow), ShapeError, /^Qwen3MLP: 'x' must have last dimension D = 4, got \[2, 3\]$/);
      await expectThrowsNoLeak(() => mlp.forward(ints), DTypeError, /'x' must be float32/);
      await expectThrowsNoLeak(() => mlp.forward(scalar), ShapeError, /rank >= 1/);
      tf.dispose([narrow, ints, scalar]);
      mlp.dispose();
    });

    it('leaks nothing across 100 calls of any rank', async () => {
      const mlp = Qwen3MLP.fromWeights(cfg, swiGluWeights(4, 6, 3, 'mlp'), 'mlp');
      const xs = [tf.ones([4]), tf.ones([3, 4]), tf.ones([2, 3, 4])];
      await expectNoLeak(() => {
        for (let i = 0; i < 100; i++) {
          const y = mlp.forward(xs[i % 3]);
          expect(y.shape).toEqual(xs[i % 3].shape);
          y.dispose();
        }
      });
      tf.dispose(xs);
      mlp.dispose();
    });
  });
});

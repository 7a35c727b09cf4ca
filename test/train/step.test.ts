/** trainStep (issue 16, item 3): updates, clipping, expert load, no leaks over 100 steps, non-finite losses. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { clipByGlobalNorm, lossAndGrads, TextTrainer, trainStep } from '../../src/train/step.js';
import { forEachBackend } from '../support/backends.js';
import { expectNoLeak } from '../support/leak.js';
import { tinyConfig, tinySpec, tinyWeights } from '../models/qwen3/helpers.js';

const batch = { inputIds: [[1, 5, 2, 7, 3, 9], [4, 4, 8, 1, 0, 2]] };

forEachBackend(() => {
  describe('trainStep', () => {
    it('100 steps leak no tensor; the loss on a fixed batch falls (AdamW, grouped MoE with FoPE, STE)', async () => {
      const s = tinySpec({ kind: 'pro', E: 8, K: 4, G: 4, layers: 1 });
      const trainer = TextTrainer.create(tinyConfig(s), tinyWeights(s, 3), { optimizer: { lr: 3e-3 } });
      const losses: number[] = [];
      // The first step creates the optimizer's moments (2 per weight); after it nothing may grow.
      losses.push(trainStep(trainer, batch, { routerGradient: 'ste', zLossCoef: 1e-3 }).ce);
      await expectNoLeak(() => {
        for (let i = 1; i < 100; i++) {
          const r = trainStep(trainer, batch, { routerGradient: 'ste', zLossCoef: 1e-3 });
          losses.push(r.ce);
          expect(r.step).toBe(i + 1);
          expect(r.expertLoad[0]!.perGroup).toEqual([12, 12, 12, 12]); // K/G = 1 per group for each of the 12 tokens
          expect(r.z).toBeGreaterThan(0);
        }
      });
      expect(losses[99]).toBeLessThan(losses[0] * 0.5);
      trainer.dispose();
    });

    it('SGD with momentum: one step is p − lr·clip(g) for every trainable weight; frozen weights stay', () => {
      const s = tinySpec({ kind: 'dense', layers: 1, fope: false });
      const w = tinyWeights(s, 4);
      const trainer = TextTrainer.create(tinyConfig(s), w, { optimizer: { kind: 'sgd', lr: 0.1 }, trainable: (n) => n !== 'lm_head.weight' });
      expect(trainer.params.trainable).not.toContain('lm_head.weight');
      const g = lossAndGrads(trainer.params, batch);
      const { norm } = clipByGlobalNorm(g.grads, 0.5);
      const before = new Map([...trainer.params.vars.keys()].map((n) => [n, trainer.params.checkpointData(n)]));
      const r = trainStep(trainer, batch, { maxGradNorm: 0.5 });
      expect(r.gradNorm).toBeCloseTo(norm, 4);
      expect(r.clipped).toBe(norm > 0.5);
      for (const n of trainer.params.vars.keys()) {
        const now = trainer.params.checkpointData(n);
        const gr = g.grads.get(n)?.dataSync();
        before.get(n)!.forEach((b, i) => expect(now[i]).toBeCloseTo(gr ? b - 0.1 * gr[i] : b, 5));
      }
      for (const t of g.grads.values()) t.dispose();
      trainer.dispose();
    });

    it('a non-finite loss is a ValueError and nothing is updated', async () => {
      const s = tinySpec({ kind: 'dense', layers: 1, fope: false });
      const trainer = TextTrainer.create(tinyConfig(s), tinyWeights(s, 5));
      const v = trainer.params.vars.get('lm_head.weight')!;
      v.assign(tf.fill(v.shape, NaN));
      const emb = trainer.params.vars.get('model.language_model.embed_tokens.weight')!;
      const before = emb.dataSync().slice();
      await expectNoLeak(() => expect(() => trainStep(trainer, batch)).toThrow(/the loss is NaN/));
      expect(Array.from(emb.dataSync())).toEqual(Array.from(before));
      expect(trainer.optimizer.step).toBe(0);
      expect(() => trainStep(trainer, batch, { maxGradNorm: 0 })).toThrow(ValueError);
      trainer.dispose();
    });
  });
});

/** Saving trained weights and resuming (issue 16, items 3 and 4). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { parseConfig } from '../../src/io/config.js';
import { tinyConfigJson, tinyTensors } from '../../src/io/tiny.js';
import { memoryWeights } from '../../src/io/weights.js';
import { Qwen3TextModel } from '../../src/models/qwen3/model.js';
import type { TextConfig } from '../../src/io/configs/text.js';
import { loadTrainerState, saveTrainedModel, saveTrainerState } from '../../src/train/checkpoint.js';
import { TextTrainer, trainStep } from '../../src/train/step.js';
import { forEachBackend } from '../support/backends.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'intern-s1-train-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const json = tinyConfigJson('pro', { vocabSize: 32 });
const textCfg = (parseConfig(json) as { text_config: TextConfig }).text_config;
const batches = [[[1, 2, 3, 4, 5, 6]], [[7, 3, 9, 1, 2, 2]], [[4, 4, 0, 8, 5, 1]]].map((inputIds) => ({ inputIds }));

forEachBackend(() => {
  describe('saveTrainedModel', () => {
    it('writes the checkpoint names and dtypes (BF16 stays BF16), copies the towers, and loads back with the trained values', () => {
      const src = tinyTensors(json, { seed: 2, dtype: 'bf16' });
      const w = memoryWeights(src);
      const trainer = TextTrainer.create(textCfg, w, { optimizer: { lr: 1e-2 } });
      trainStep(trainer, batches[0]);
      const dir = tmp();
      saveTrainedModel(dir, trainer.params, json);
      const ck = openCheckpoint(dir);
      try {
        expect(ck.weights.names().sort()).toEqual(Object.keys(src).sort());
        for (const n of ck.weights.names()) expect(ck.weights.info(n).dtype).toBe(src[n].dtype);
        const vis = ck.weights.names().find((n) => n.startsWith('model.visual.'))!;
        expect(Array.from(ck.weights.raw(vis).bytes)).toEqual(Array.from(w.raw(vis).bytes)); // frozen tower: byte for byte
        const name = 'model.language_model.layers.0.mlp.gate.weight';
        const trained = trainer.params.checkpointData(name);
        const saved = ck.weights.float32(name);
        const orig = w.float32(name);
        expect(saved.some((x, i) => x !== orig[i])).toBe(true); // it moved
        saved.forEach((x, i) => expect(Math.abs(x - trained[i])).toBeLessThanOrEqual(Math.abs(trained[i]) * 2 ** -8)); // BF16 rounding
        expect(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'))).toEqual(json);
        const model = Qwen3TextModel.fromWeights((ck.config as { text_config: TextConfig }).text_config, ck.weights);
        const out = model.forward([[1, 2, 3]]);
        expect(out.logits!.shape).toEqual([1, 3, 32]);
        tf.dispose([out.logits!, out.hidden]);
        model.dispose();
      } finally {
        ck.close();
        trainer.dispose();
      }
    });

    it('resuming from the trainer state continues bit for bit (AdamW moments, float32 master weights, step)', () => {
      const w = memoryWeights(tinyTensors(json, { seed: 3, dtype: 'bf16' }));
      const straight = TextTrainer.create(textCfg, w);
      for (const b of batches) trainStep(straight, b, { routerGradient: 'ste' });
      const first = TextTrainer.create(textCfg, w);
      trainStep(first, batches[0], { routerGradient: 'ste' });
      const dir = tmp();
      saveTrainerState(dir, first, { cursor: 1 });
      first.dispose();
      const resumed = TextTrainer.create(textCfg, w);
      expect(loadTrainerState(dir, resumed).cursor).toBe(1);
      expect(resumed.optimizer.step).toBe(1);
      for (const b of batches.slice(1)) trainStep(resumed, b, { routerGradient: 'ste' });
      for (const [n, v] of straight.params.vars) expect(Array.from(resumed.params.vars.get(n)!.dataSync()), n).toEqual(Array.from(v.dataSync()));
      straight.dispose();
      resumed.dispose();
      const other = TextTrainer.create(textCfg, w);
      expect(() => loadTrainerState(tmp(), other)).toThrow(/no trainer state to resume/);
      other.dispose();
    });
  });
});

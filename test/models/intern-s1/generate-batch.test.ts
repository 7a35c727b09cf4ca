import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as refBatch from '../../../reference/models/intern-s1/generate-batch.js';
import * as refModel from '../../../reference/models/intern-s1/model.js';
import { ShapeError, ValueError } from '../../../src/errors.js';
import { parseConfig } from '../../../src/io/configs/model.js';
import { tinyConfigJson } from '../../../src/io/tiny-config.js';
import { tinyTensors } from '../../../src/io/tiny.js';
import { memoryWeights } from '../../../src/io/weights.js';
import { generate } from '../../../src/models/intern-s1/generate.js';
import { generateBatch } from '../../../src/models/intern-s1/generate-batch.js';
import { InternS1ForConditionalGeneration } from '../../../src/models/intern-s1/model.js';
import { forEachBackend } from '../../support/backends.js';

function tiny(variant: 'mini' | 'pro') {
  const json = tinyConfigJson(variant, { vocabSize: 64 });
  const weights = memoryWeights(tinyTensors(json, { variant, seed: 11 }));
  return { cfg: parseConfig(json), weights, model: InternS1ForConditionalGeneration.fromWeights(parseConfig(json), weights, { vision: false, timeSeries: false }) };
}

const PROMPTS = [[3, 14, 15, 9, 2, 6, 5], [7, 1], [8, 8, 4, 20], [11]];

forEachBackend(() => {
  describe('generateBatch', () => {
    for (const variant of ['mini', 'pro'] as const) {
      it(`${variant}: each row's tokens equal running its prompt alone (greedy, seeded sampling, penalties)`, () => {
        const { model } = tiny(variant);
        const before = tf.memory().numTensors;
        for (const o of [{}, { temperature: 0.9, topK: 20, topP: 0.95, seeds: [1, 2, 3, 4] }, { temperature: 0.7, repetitionPenalty: 1.3, frequencyPenalty: 0.5, seed: 9 }]) {
          const batch = generateBatch(model, PROMPTS, { maxNewTokens: 6, padTokenId: 5, ...o });
          PROMPTS.forEach((p, b) => {
            const alone = generate(model, { inputIds: [p] }, { maxNewTokens: 6, ...o, seed: o.seeds?.[b] ?? o.seed });
            expect(batch.rows[b].tokens, `row ${b}`).toEqual(alone.tokens);
            expect(batch.rows[b].finishReason).toBe('length');
          });
        }
        expect(tf.memory().numTensors).toBe(before);
        model.dispose();
      });
    }

    it('== the float64 reference (each prompt alone)', () => {
      const { cfg, weights, model } = tiny('mini');
      const o = { maxNewTokens: 4, temperature: 0.8, seeds: [5, 6, 7, 8] };
      const fast = generateBatch(model, PROMPTS, o);
      const ref = refBatch.generateBatch(refModel.InternS1ForConditionalGeneration.fromWeights(cfg as never, weights, { vision: false, timeSeries: false }), PROMPTS, o);
      expect(fast.rows.map((r) => r.tokens)).toEqual(ref.rows.map((r) => r.tokens));
      model.dispose();
    });

    it('rows finish on their own: stop ids drop a row from the batch, the others go on unchanged', () => {
      const { model } = tiny('mini');
      const free = generateBatch(model, PROMPTS, { maxNewTokens: 8 });
      const stop = free.rows[1].tokens[1]; // row 1 stops at its 2nd token (maybe others earlier or later)
      const r = generateBatch(model, PROMPTS, { maxNewTokens: 8, stopTokens: [stop], decode: (ids) => ids.join(',') });
      PROMPTS.forEach((p, b) => {
        const alone = generate(model, { inputIds: [p] }, { maxNewTokens: 8, stopTokens: [stop], decode: (ids) => ids.join(',') });
        expect(r.rows[b].tokens).toEqual(alone.tokens);
        expect(r.rows[b].finishReason).toBe(alone.finishReason);
        expect(r.rows[b].text).toBe(alone.text);
      });
      expect(r.rows[1].finishReason).toBe('stop');
      expect(r.steps).toBe(Math.max(...r.rows.map((x) => x.tokens.length)) - 1);
      model.dispose();
    });

    it('the padded attention equals each row alone; bad padding is refused', () => {
      const { model } = tiny('mini');
      const attn = model.text.layers[0].selfAttn;
      const x = tf.randomNormal([2, 4, model.text.cfg.hidden_size], 0, 1, 'float32', 3);
      const padded = attn.forward(x, [[0, 0, 0, 1], [0, 1, 2, 3]], undefined, { leftPadding: [3, 0] }).output;
      const row0 = attn.forward(tf.slice(x, [0, 3, 0], [1, 1, -1]), [[0]]).output;
      const row1 = attn.forward(tf.slice(x, [1, 0, 0], [1, 4, -1]), [[0, 1, 2, 3]]).output;
      expect(Array.from(tf.slice(padded, [0, 3, 0], [1, 1, -1]).dataSync())).toEqual(Array.from(row0.dataSync()));
      const d1 = tf.sub(tf.slice(padded, [1, 0, 0], [1, 4, -1]), row1).abs().max().dataSync()[0];
      expect(d1).toBeLessThan(1e-6);
      expect(() => attn.forward(x, undefined, undefined, { leftPadding: [4, 0] })).toThrow(ShapeError);
      expect(() => attn.forward(x, undefined, undefined, { leftPadding: [1] })).toThrow(/leftPadding/);
      expect(() => attn.forward(x, undefined, undefined, { leftPadding: [1, 0], returnProbs: true })).toThrow(ValueError);
      tf.dispose([x, padded, row0, row1]);
      model.dispose();
    });

    it('rejects bad input', () => {
      const { model } = tiny('mini');
      expect(() => generateBatch(model, [], { maxNewTokens: 1 })).toThrow(/no prompts/);
      expect(() => generateBatch(model, [[1], []], { maxNewTokens: 1 })).toThrow(/prompt 1 is empty/);
      expect(() => generateBatch(model, [[1]], { maxNewTokens: 1, seeds: [1, 2] })).toThrow(/seeds/);
      expect(() => generateBatch(model, [[1]], { maxNewTokens: 0 })).toThrow(/maxNewTokens/);
      expect(() => generateBatch(model, [[1, 99]], { maxNewTokens: 1 })).toThrow(ValueError);
      model.dispose();
    });
  });
});

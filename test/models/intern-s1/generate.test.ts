import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as refGen from '../../../reference/models/intern-s1/generate.js';
import * as refModel from '../../../reference/models/intern-s1/model.js';
import { ValueError } from '../../../src/errors.js';
import { parseConfig } from '../../../src/io/configs/model.js';
import { tinyConfigJson } from '../../../src/io/tiny-config.js';
import { tinyTensors } from '../../../src/io/tiny.js';
import { memoryWeights } from '../../../src/io/weights.js';
import { generate } from '../../../src/models/intern-s1/generate.js';
import { InternS1ForConditionalGeneration } from '../../../src/models/intern-s1/model.js';
import { forEachBackend } from '../../support/backends.js';

function tiny(variant: 's1' | 'mini' | 'pro') {
  const json = tinyConfigJson(variant, { vocabSize: 64 });
  const weights = memoryWeights(tinyTensors(json, { variant, seed: 11 }));
  return { cfg: parseConfig(json), weights };
}

forEachBackend(() => {
  describe('generate', () => {
    for (const variant of ['mini', 'pro'] as const) {
      it(`${variant}: cached == uncached tokens (greedy and seeded sampling), and == the float64 reference`, () => {
        const { cfg, weights } = tiny(variant);
        const model = InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false, timeSeries: false });
        const inputs = { inputIds: [[3, 14, 15, 9, 2, 6]] };
        const before = tf.memory().numTensors;
        for (const sampling of [{}, { temperature: 0.9, topK: 20, topP: 0.95, seed: 5 }]) {
          const a = generate(model, inputs, { maxNewTokens: 6, ...sampling });
          const b = generate(model, inputs, { maxNewTokens: 6, useCache: false, ...sampling });
          expect(a.tokens).toHaveLength(6);
          expect(b.tokens).toEqual(a.tokens);
          const r = refGen.generate(refModel.InternS1ForConditionalGeneration.fromWeights(cfg as never, weights, { vision: false, timeSeries: false }), inputs, { maxNewTokens: 6, ...sampling });
          expect(r.tokens).toEqual(a.tokens);
        }
        expect(tf.memory().numTensors).toBe(before);
        model.dispose();
      });
    }

    it('penalties and min-p: cached == uncached == the float64 reference (HF order, history-aware)', () => {
      const { cfg, weights } = tiny('mini');
      const model = InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false, timeSeries: false });
      const inputs = { inputIds: [[3, 14, 15, 9, 2, 6, 3, 14]] };
      const before = tf.memory().numTensors;
      for (const o of [{ repetitionPenalty: 1.5 }, { temperature: 0.8, minP: 0.05, topK: 40, presencePenalty: 0.5, frequencyPenalty: 0.7, repetitionPenalty: 1.2, seed: 3 }]) {
        const a = generate(model, inputs, { maxNewTokens: 8, ...o });
        const b = generate(model, inputs, { maxNewTokens: 8, useCache: false, ...o });
        expect(b.tokens).toEqual(a.tokens);
        const r = refGen.generate(refModel.InternS1ForConditionalGeneration.fromWeights(cfg as never, weights, { vision: false, timeSeries: false }), inputs, { maxNewTokens: 8, ...o });
        expect(r.tokens).toEqual(a.tokens);
      }
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });

    it('several stop ids, a stop string over decoded text, a time limit; finish reasons and text', () => {
      const { cfg, weights } = tiny('mini');
      const model = InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false });
      const inputs = { inputIds: [[1, 2, 3]] };
      const decode = (ids: readonly number[]) => ids.map((i) => `<${i}>`).join('');
      const free = generate(model, inputs, { maxNewTokens: 8, decode });
      expect(free.text).toBe(decode(free.tokens));
      const stops = [free.tokens[6], free.tokens[4]];
      const cut = free.tokens.findIndex((t) => stops.includes(t));
      const s = generate(model, inputs, { maxNewTokens: 8, stopTokens: stops, decode });
      expect([s.finishReason, s.tokens, s.text]).toEqual(['stop', free.tokens.slice(0, cut + 1), decode(free.tokens.slice(0, cut))]);
      // A stop string across the boundary of tokens 1 and 2: '>' ends token 1, '<' starts token 2.
      const target = `${free.tokens[1]}><${free.tokens[2]}`;
      const at = free.text.indexOf(target);
      const ss = generate(model, inputs, { maxNewTokens: 8, stopStrings: [target], decode });
      expect([ss.finishReason, ss.stopString, ss.text]).toEqual(['stop', target, free.text.slice(0, at)]);
      const tm = generate(model, inputs, { maxNewTokens: 8, maxTimeMs: 1e-6 });
      expect([tm.finishReason, tm.tokens.length]).toEqual(['time', 1]);
      model.dispose();
    });

    it('stops at a stop token, streams each token, and honours the callback', () => {
      const { cfg, weights } = tiny('mini');
      const model = InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false });
      const inputs = { inputIds: [[1, 2, 3]] };
      const free = generate(model, inputs, { maxNewTokens: 5 });
      const stop = free.tokens[2];
      const firstStop = free.tokens.indexOf(stop);
      const streamed: number[] = [];
      const res = generate(model, inputs, { maxNewTokens: 5, stopTokens: [stop], onToken: (t) => void streamed.push(t) });
      expect(res.finishReason).toBe('stop');
      expect(res.tokens).toEqual(free.tokens.slice(0, firstStop + 1));
      expect(streamed).toEqual(res.tokens);
      const cb = generate(model, inputs, { maxNewTokens: 5, onToken: (_t, step) => step < 1 });
      expect(cb.finishReason).toBe('callback');
      expect(cb.tokens).toEqual(free.tokens.slice(0, 2));
      model.dispose();
    });

    it('rejects a batch, an empty prompt and bad options, leaking nothing', () => {
      const { cfg, weights } = tiny('mini');
      const model = InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false });
      const before = tf.memory().numTensors;
      expect(() => generate(model, { inputIds: [[1], [2]] }, { maxNewTokens: 1 })).toThrow(ValueError);
      expect(() => generate(model, { inputIds: [[]] }, { maxNewTokens: 1 })).toThrow(/empty/);
      expect(() => generate(model, { inputIds: [[1]] }, { maxNewTokens: 0 })).toThrow(/maxNewTokens/);
      expect(() => generate(model, { inputIds: [[1]] }, { maxNewTokens: 2, topK: 65 })).toThrow(/topK/);
      expect(() => generate(model, { inputIds: [[1, 64]] }, { maxNewTokens: 2 })).toThrow(ValueError);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });
  });
});

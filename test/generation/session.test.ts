import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/generation/processors.js';
import { ValueError } from '../../src/errors.js';
import { GenerationSession, type SessionOptions } from '../../src/generation/session.js';
import { parseConfig } from '../../src/io/configs/model.js';
import { tinyConfigJson } from '../../src/io/tiny-config.js';
import { tinyTensors } from '../../src/io/tiny.js';
import { memoryWeights } from '../../src/io/weights.js';
import { generate } from '../../src/models/intern-s1/generate.js';
import { InternS1ForConditionalGeneration } from '../../src/models/intern-s1/model.js';
import { mulberry32 } from '../../src/util/random.js';
import { forEachBackend } from '../support/backends.js';

function tinyMini() {
  const json = tinyConfigJson('mini', { vocabSize: 64 });
  return InternS1ForConditionalGeneration.fromWeights(parseConfig(json), memoryWeights(tinyTensors(json, { variant: 'mini', seed: 11 })), { vision: false });
}

function run(model: InternS1ForConditionalGeneration, prompt: number[], o: SessionOptions) {
  const s = new GenerationSession(model, { inputIds: [prompt] }, o);
  let text = '';
  for (let r = s.step(); r; r = s.step()) text += r.text;
  return { s, text };
}

/** Letters for ids: a toy decode that makes stop strings easy to place. */
const letters = (ids: readonly number[]) => ids.map((i) => String.fromCharCode(97 + (i % 26))).join('');

forEachBackend(() => {
  describe('GenerationSession', () => {
    it('gives generate()\'s tokens (greedy and seeded sampling)', () => {
      const model = tinyMini();
      const before = tf.memory().numTensors;
      for (const o of [{}, { temperature: 0.9, topK: 20, topP: 0.95, seed: 5 }]) {
        const a = generate(model, { inputIds: [[3, 14, 15, 9, 2, 6]] }, { maxNewTokens: 6, ...o });
        const { s } = run(model, [3, 14, 15, 9, 2, 6], { maxNewTokens: 6, ...o });
        expect(s.tokens).toEqual(a.tokens);
        expect(s.finishReason).toBe('length');
      }
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });

    it('applies the processors with the history: the same tokens as the reference processors on uncached logits', () => {
      const model = tinyMini();
      const prompt = [5, 6, 7, 5, 6];
      const o = { temperature: 0.8, topK: 30, topP: 0.9, minP: 0.05, repetitionPenalty: 1.3, presencePenalty: 0.4, frequencyPenalty: 0.6, seed: 9 };
      const { s } = run(model, prompt, { maxNewTokens: 8, ...o });
      const rng = mulberry32(9);
      const expected: number[] = [];
      for (let i = 0; i < 8; i++) {
        const out = model.forward({ inputIds: [[...prompt, ...expected]] }, { logits: 'last' });
        const z = out.logits!.dataSync();
        model.disposeOutput(out);
        expected.push(ref.sampleNext(z, o, rng, { prompt, generated: expected }));
      }
      expect(s.tokens).toEqual(expected);
      // Greedy with a strong repetition penalty never repeats a token of prompt or output.
      const g = run(model, prompt, { maxNewTokens: 10, repetitionPenalty: 1e6 }).s.tokens;
      expect(new Set([...prompt, ...g]).size).toBe(new Set(prompt).size + g.length);
      model.dispose();
    });

    it('several stop ids, stop strings across tokens, time limit, abort; the finish reason says which', () => {
      const model = tinyMini();
      const prompt = [1, 2, 3];
      const free = run(model, prompt, { maxNewTokens: 12, decode: letters });
      expect(free.text).toBe(letters(free.s.tokens));
      // Two stop ids: the first one met ends it; it is kept in tokens, left out of text.
      const stops = [free.s.tokens[5], free.s.tokens[3]];
      const firstStop = free.s.tokens.findIndex((t) => stops.includes(t));
      const st = run(model, prompt, { maxNewTokens: 12, stopTokens: stops, decode: letters });
      expect(st.s.finishReason).toBe('stop');
      expect(st.s.tokens).toEqual(free.s.tokens.slice(0, firstStop + 1));
      expect(st.text).toBe(letters(free.s.tokens.slice(0, firstStop)));
      // A stop string spanning tokens 2..4 of the output (letters, one per token).
      const target = free.text.slice(2, 5);
      const at = free.text.indexOf(target);
      const ss = run(model, prompt, { maxNewTokens: 12, stopStrings: [target], decode: letters });
      expect(ss.s.finishReason).toBe('stop');
      expect(ss.s.stopString).toBe(target);
      expect(ss.text).toBe(free.text.slice(0, at));
      expect(ss.s.text).toBe(ss.text);
      expect(ss.s.tokens).toHaveLength(at + 3);
      // A stop string never met: all text comes out, including a held partial match at the end.
      const tail = free.text.slice(-1) + '#';
      const nm = run(model, prompt, { maxNewTokens: 12, stopStrings: [tail], decode: letters });
      expect(nm.s.finishReason).toBe('length');
      expect(nm.text).toBe(free.text);
      // Time: a limit already passed after the first token.
      const tm = run(model, prompt, { maxNewTokens: 12, maxTimeMs: 1e-6 });
      expect(tm.s.finishReason).toBe('time');
      expect(tm.s.tokens).toHaveLength(1);
      // Abort between steps.
      const before = tf.memory().numTensors;
      const ab = new GenerationSession(model, { inputIds: [prompt] }, { maxNewTokens: 12 });
      ab.step();
      ab.step();
      ab.abort();
      expect(ab.step()).toBeNull();
      expect(ab.finishReason).toBe('abort');
      expect(ab.tokens).toHaveLength(2);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });

    it('rejects bad options', () => {
      const model = tinyMini();
      const mk = (o: Partial<SessionOptions>, ids = [[1]]) => () => new GenerationSession(model, { inputIds: ids }, { maxNewTokens: 2, ...o });
      expect(mk({}, [[1], [2]])).toThrow(ValueError);
      expect(mk({}, [[]])).toThrow(/empty/);
      expect(mk({ maxNewTokens: 0 })).toThrow(/maxNewTokens/);
      expect(mk({ maxTimeMs: 0 })).toThrow(/maxTimeMs/);
      expect(mk({ stopStrings: ['x'] })).toThrow(/decode/);
      expect(mk({ minP: 2 })).toThrow(/minP/);
      expect(mk({ stopStrings: [''], decode: letters })).toThrow(/non-empty/);
      model.dispose();
    });
  });
});

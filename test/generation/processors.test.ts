import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/generation/processors.js';
import { ValueError } from '../../src/errors.js';
import * as fast from '../../src/generation/processors.js';
import { mulberry32 } from '../../src/util/random.js';
import { marginDataArb } from '../support/arbitraries.js';

const optsArb = fc.record({
  temperature: fc.oneof(fc.constant(0), fc.double({ min: 0.1, max: 2, noNaN: true })),
  topK: fc.integer({ min: 0, max: 12 }),
  topP: fc.oneof(fc.constant(1), fc.double({ min: 0.05, max: 1, noNaN: true })),
  minP: fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 0.9, noNaN: true })),
  repetitionPenalty: fc.oneof(fc.constant(1), fc.double({ min: 0.5, max: 2, noNaN: true })),
  presencePenalty: fc.oneof(fc.constant(0), fc.double({ min: -2, max: 2, noNaN: true })),
  frequencyPenalty: fc.oneof(fc.constant(0), fc.double({ min: -2, max: 2, noNaN: true })),
});

/** Logits with a margin, and a history of ids in [0, V). */
const caseArb = fc.integer({ min: 12, max: 40 }).chain((V) => fc.tuple(
  marginDataArb([V], 0.05),
  fc.record({ prompt: fc.array(fc.nat(V - 1), { maxLength: 10 }), generated: fc.array(fc.nat(V - 1), { maxLength: 10 }) }),
));

/** Penalties can bring two logits within a hair of each other; keep cases whose cuts are decided. */
function decided(z: Float64Array): boolean {
  const s = Array.from(z).sort((a, b) => b - a);
  return s.every((v, i) => i === 0 || s[i - 1] - v > 1e-6);
}

describe('logits processors', () => {
  it('fast penalties == reference penalties', () => {
    fc.assert(fc.property(caseArb, optsArb, ([logits, h], o) => {
      const a = fast.applyPenalties(logits.data, o, h);
      const e = ref.applyPenalties(logits.data, o, h);
      a.forEach((v, i) => expect(Math.abs(v - e[i])).toBeLessThan(1e-12));
    }));
  });

  it('fast distribution == reference (HF order: penalties, temperature, top-k, top-p, min-p)', () => {
    let checked = 0;
    fc.assert(fc.property(caseArb, optsArb, ([logits, h], o) => {
      if (!decided(ref.applyPenalties(logits.data, o, h))) return;
      checked++;
      const a = fast.nextTokenDistribution(logits.data, o, h);
      const e = ref.nextTokenDistribution(logits.data, o, h);
      expect(a.tokens).toEqual(e.tokens);
      a.probs.forEach((p, i) => expect(Math.abs(p - e.probs[i])).toBeLessThan(1e-9));
      expect(a.probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
    }), { numRuns: 200 });
    expect(checked).toBeGreaterThan(100);
  });

  it('same seed, same draws; fast draws == reference draws', () => {
    fc.assert(fc.property(caseArb, optsArb, fc.nat(), ([logits, h], o, seed) => {
      if (!decided(ref.applyPenalties(logits.data, o, h))) return;
      const r1 = mulberry32(seed);
      const r2 = mulberry32(seed);
      for (let i = 0; i < 5; i++) expect(fast.sampleNext(logits.data, o, r1, h)).toBe(ref.sampleNext(logits.data, o, r2, h));
    }));
  });

  it('repetition penalty follows HF: positive logits divided, negative multiplied, once per id', () => {
    const z = fast.applyPenalties([2, -1, 0.5, 3], { repetitionPenalty: 2 }, { prompt: [0, 1, 1], generated: [1, 3] });
    expect(Array.from(z)).toEqual([1, -2, 0.5, 1.5]);
    // A penalty below 1 rewards repetition.
    expect(Array.from(fast.applyPenalties([2, -1], { repetitionPenalty: 0.5 }, { prompt: [0, 1], generated: [] }))).toEqual([4, -0.5]);
  });

  it('presence and frequency penalties follow OpenAI: generated ids only, counts times alpha_f plus alpha_p', () => {
    const z = fast.applyPenalties([1, 1, 1], { presencePenalty: 0.5, frequencyPenalty: 0.25 }, { prompt: [2, 2], generated: [0, 0, 0, 1] });
    expect(Array.from(z)).toEqual([1 - 0.75 - 0.5, 1 - 0.25 - 0.5, 1]);
  });

  it('min-p keeps tokens with p >= minP * p_max; top-k and top-p as before', () => {
    const z = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];
    expect(fast.nextTokenDistribution(z, { temperature: 1, minP: 0.31 }).tokens).toEqual([0, 1]); // 0.15 < 0.31 * 0.5
    expect(fast.nextTokenDistribution(z, { temperature: 1, minP: 0.29 }).tokens).toEqual([0, 1, 2]);
    expect(fast.nextTokenDistribution(z, { temperature: 1, topK: 1 }).tokens).toEqual([0]);
    expect(fast.nextTokenDistribution(z, { temperature: 1, topP: 0.7 }).tokens).toEqual([0, 1]); // mass before 1 is 0.5 < 0.7, before 2 is 0.8
    const d = fast.nextTokenDistribution(z, { temperature: 1, minP: 0.31 });
    expect(d.probs[0]).toBeCloseTo(0.5 / 0.8, 12);
  });

  it('greedy applies the penalties before the argmax (HF do_sample=False)', () => {
    expect(fast.sampleNext([3, 2, 0], {}, mulberry32(0), { prompt: [], generated: [0] })).toBe(0);
    expect(fast.sampleNext([3, 2, 0], { repetitionPenalty: 2 }, mulberry32(0), { prompt: [], generated: [0] })).toBe(1);
    expect(fast.sampleNext([3, 2, 0], { frequencyPenalty: 1.5 }, mulberry32(0), { prompt: [], generated: [0] })).toBe(1);
  });

  it('sampling follows the probabilities', () => {
    const z = [0.5, 2, 1, -1];
    const rng = mulberry32(123);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[fast.sampleNext(z, { temperature: 1, minP: 0.1 }, rng)]++;
    const { tokens, probs } = ref.nextTokenDistribution(z, { temperature: 1, minP: 0.1 });
    expect(counts[3]).toBe(0); // exp(-3) < 0.1: removed by min-p
    tokens.forEach((t, i) => expect(Math.abs(counts[t] / 4000 - probs[i])).toBeLessThan(0.03));
  });

  it('works at a real vocabulary size (V = 151,936: no argument-spreading limits), fast == reference', () => {
    const r = mulberry32(8);
    const z = Float32Array.from({ length: 151_936 }, () => (r() - 0.5) * 20);
    const o = { temperature: 0.7, topK: 50, topP: 0.95, minP: 0.02, repetitionPenalty: 1.1 };
    const h = { prompt: [1, 5, 151_935], generated: [7] };
    const a = fast.nextTokenDistribution(z, o, h);
    const e = ref.nextTokenDistribution(z, o, h);
    expect(a.tokens).toEqual(e.tokens);
    a.probs.forEach((p, i) => expect(Math.abs(p - e.probs[i])).toBeLessThan(1e-9));
  });

  it('rejects bad options, NaN logits and out-of-range history ids', () => {
    expect(() => fast.nextTokenDistribution([1, 2], { minP: 1.5 })).toThrow(/minP/);
    expect(() => fast.nextTokenDistribution([1, 2], { repetitionPenalty: 0 })).toThrow(/repetitionPenalty/);
    expect(() => fast.nextTokenDistribution([1, 2], { presencePenalty: 3 })).toThrow(/presencePenalty/);
    expect(() => fast.nextTokenDistribution([1, 2], { frequencyPenalty: -2.5 })).toThrow(/frequencyPenalty/);
    expect(() => fast.nextTokenDistribution([1, 2], { temperature: -1 })).toThrow(ValueError);
    expect(() => fast.nextTokenDistribution([1, 2], { temperature: 1, topK: 3 })).toThrow(/topK/);
    expect(() => fast.nextTokenDistribution([1, NaN], { temperature: 1 })).toThrow(/NaN/);
    expect(() => fast.applyPenalties([1, 2], { repetitionPenalty: 2 }, { prompt: [2], generated: [] })).toThrow(/prompt.*2/);
    expect(() => fast.applyPenalties([1, 2], {}, { prompt: [], generated: [-1] })).toThrow(ValueError);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../../reference/models/intern-s1/sampling.js';
import { ValueError } from '../../../src/errors.js';
import * as fast from '../../../src/models/intern-s1/sampling.js';
import { mulberry32 } from '../../../src/util/random.js';
import { marginDataArb } from '../../support/arbitraries.js';

const optsArb = fc.record({
  temperature: fc.oneof(fc.constant(0), fc.double({ min: 0.1, max: 2, noNaN: true })),
  topK: fc.integer({ min: 0, max: 12 }),
  topP: fc.oneof(fc.constant(1), fc.double({ min: 0.05, max: 1, noNaN: true })),
});

describe('sampling', () => {
  it('fast distribution == reference (logits with a margin so top-k/top-p cuts cannot flip)', () => {
    fc.assert(fc.property(fc.integer({ min: 12, max: 40 }).chain((V) => marginDataArb([V], 0.05)), optsArb, (logits, o) => {
      const z = Array.from(logits.data);
      const a = fast.samplingDistribution(z, o);
      const e = ref.samplingDistribution(z, o);
      expect(a.tokens).toEqual(e.tokens);
      a.probs.forEach((p, i) => expect(Math.abs(p - e.probs[i])).toBeLessThan(1e-9));
      expect(a.probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
    }));
  });

  it('same seed, same tokens; fast draws == reference draws', () => {
    fc.assert(fc.property(fc.integer({ min: 12, max: 40 }).chain((V) => marginDataArb([V], 0.05)), optsArb, fc.nat(), (logits, o, seed) => {
      const z = Array.from(logits.data);
      const r1 = mulberry32(seed);
      const r2 = mulberry32(seed);
      for (let i = 0; i < 5; i++) expect(fast.sampleToken(z, o, r1)).toBe(ref.sampleToken(z, o, r2));
    }));
  });

  it('greedy is argmax with ties to the lower index', () => {
    expect(fast.sampleToken([1, 3, 3, 2], {}, mulberry32(1))).toBe(1);
    expect(fast.argmax([-Infinity, -Infinity])).toBe(0);
  });

  it('top-k 1 and tiny top-p reduce to argmax; sampling follows the probabilities', () => {
    const z = [0.5, 2, 1, -1];
    expect(fast.samplingDistribution(z, { temperature: 1, topK: 1 }).tokens).toEqual([1]);
    expect(fast.samplingDistribution(z, { temperature: 1, topP: 0.01 }).tokens).toEqual([1]);
    const rng = mulberry32(123);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[fast.sampleToken(z, { temperature: 1 }, rng)]++;
    const { probs } = ref.samplingDistribution(z, { temperature: 1 });
    counts.forEach((c, i) => expect(Math.abs(c / 4000 - probs[i])).toBeLessThan(0.03));
  });

  it('rejects bad options and NaN logits', () => {
    expect(() => fast.samplingDistribution([1, 2], { temperature: -1 })).toThrow(ValueError);
    expect(() => fast.samplingDistribution([1, 2], { temperature: 1, topK: 3 })).toThrow(/topK/);
    expect(() => fast.samplingDistribution([1, 2], { temperature: 1, topP: 0 })).toThrow(/topP/);
    expect(() => fast.samplingDistribution([1, NaN], { temperature: 1 })).toThrow(/NaN/);
    expect(() => fast.sampleToken([NaN, 1], {}, mulberry32(0))).toThrow(/NaN/);
  });
});

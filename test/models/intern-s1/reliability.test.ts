/**
 * Issue #12 item 14 (generation side): sampling from no logits is a typed error, not `undefined`.
 */
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../../src/errors.js';
import { sampleToken, samplingDistribution } from '../../../src/models/intern-s1/sampling.js';

describe('sampling edge cases (issue #12 item 14)', () => {
  it('sampleToken([]) and samplingDistribution([]) are ValueErrors, for greedy and sampled decoding', () => {
    for (const temperature of [0, 1]) {
      expect(() => sampleToken([], { temperature }, () => 0.5)).toThrow(ValueError);
      expect(() => sampleToken(new Float32Array(0), { temperature }, () => 0.5)).toThrow(/sampling: the logits are empty/);
      expect(() => samplingDistribution([], { temperature })).toThrow(/logits are empty/);
    }
    expect(sampleToken([0, 3, 1], { temperature: 0 }, () => 0.5)).toBe(1); // one logit more and it works
  });
});

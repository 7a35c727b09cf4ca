/**
 * Issue #12 item 14 (time series): zScore with `data.length ≠ T·C` is a ValueError instead of
 * silently reading past the data (NaN statistics).
 */
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../../src/errors.js';
import { zScore } from '../../../src/models/time-series/processor.js';

describe('zScore argument checks (issue #12 item 14)', () => {
  it('data shorter or longer than T·C is a ValueError naming both', () => {
    expect(() => zScore([1, 2, 3], 2, 2)).toThrow(ValueError);
    expect(() => zScore([1, 2, 3], 2, 2)).toThrow(/zScore: 'data' has 3 values, expected T·C = 2·2 = 4/);
    expect(() => zScore([1, 2, 3, 4, 5], 2, 2)).toThrow(/has 5 values, expected T·C = 2·2 = 4/);
    expect(() => zScore([], 0, 1)).toThrow(/'T' and 'C' must be positive integers, got T = 0, C = 1/);
    expect(() => zScore([1, 2], 2, 1.5)).toThrow(/positive integers/);
  });

  it('a matching length still normalises (no NaN)', () => {
    const r = zScore([1, 10, 3, 10], 2, 2);
    // channel 0 = [1, 3]: μ 2, σ 1 → ±1/(1 + 1e-8); channel 1 constant → exact zeros
    expect(Array.from(r.values)).toEqual([-1 / (1 + 1e-8), 0, 1 / (1 + 1e-8), 0]);
    expect(r.constant).toEqual([1]);
  });
});

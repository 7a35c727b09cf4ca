/** The FC_NUM_RUNS multiplier of property runs (test/support/runs.ts). */
import { describe, expect, it } from 'vitest';
import { parseMultiplier, runs } from '../support/runs.js';

describe('FC_NUM_RUNS', () => {
  it('is a multiplier: unset means 1, and every stated numRuns scales, rounded, at least 1', () => {
    expect(parseMultiplier(undefined)).toBe(1);
    expect(parseMultiplier('')).toBe(1);
    expect(parseMultiplier('10')).toBe(10);
    expect(parseMultiplier('0.2')).toBe(0.2);
    expect([runs(25, 1), runs(200, 1), runs(3, 1)]).toEqual([25, 200, 3]);
    expect([runs(25, 10), runs(200, 0.2), runs(3, 0.2), runs(1, 0.01)]).toEqual([250, 40, 1, 1]);
  });
  it('refuses what is not a positive number', () => {
    for (const bad of ['0', '-2', 'abc', 'Infinity', 'NaN']) expect(() => parseMultiplier(bad), bad).toThrow(/FC_NUM_RUNS must be a number > 0/);
  });
});

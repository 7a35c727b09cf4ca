/**
 * PairTable (src/util/pair-table.ts), the merge lookup of the tokenizer fast paths: random inserts,
 * overwrites and lookups against a Map, order of the pair, absent pairs, the size it counts, and
 * the fixed capacity (a table that would fill up throws instead of probing forever).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValueError } from '../../src/errors.js';
import { PairTable } from '../../src/util/pair-table.js';
import { runs } from '../support/runs.js';

const keyArb = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }));

describe('PairTable', () => {
  it('agrees with a Map on random inserts, overwrites and lookups (present and absent pairs)', () => {
    const entryArb = fc.tuple(keyArb, keyArb, fc.integer({ min: 0, max: 2 ** 31 - 1 }));
    fc.assert(fc.property(fc.array(entryArb, { maxLength: 300 }), fc.array(fc.tuple(keyArb, keyArb), { maxLength: 100 }), (entries, probes) => {
      const model = new Map<string, number>();
      for (const [l, r, v] of entries) model.set(`${l},${r}`, v);
      const t = new PairTable(model.size);
      for (const [l, r, v] of entries) t.set(l, r, v);
      expect(t.size).toBe(model.size);
      for (const [l, r] of [...entries.map(([l, r]) => [l, r]), ...probes]) expect(t.get(l, r), `(${l}, ${r})`).toBe(model.get(`${l},${r}`) ?? -1);
    }), { numRuns: runs(200) });
  });

  it('the pair is ordered; an absent pair and an empty table give −1; 0 is a valid key and value', () => {
    const t = new PairTable(4);
    expect(t.get(0, 0)).toBe(-1);
    t.set(1, 2, 12);
    t.set(0, 0, 0);
    expect([t.get(1, 2), t.get(2, 1), t.get(0, 0), t.get(0, 1)]).toEqual([12, -1, 0, -1]);
    t.set(1, 2, 21); // overwrite
    expect([t.get(1, 2), t.size]).toEqual([21, 2]);
  });

  it('holds n pairs (at least 2n slots); filling the last free slot throws a ValueError instead of hanging', () => {
    for (const n of [0, 5, 8, 100]) {
      const t = new PairTable(n);
      for (let i = 0; i < n; i++) t.set(i, i + 1, i);
      for (let i = 0; i < n; i++) expect(t.get(i, i + 1)).toBe(i);
      expect(t.get(n, n + 1)).toBe(-1);
    }
    const t = new PairTable(0); // 16 slots: 15 pairs at most
    for (let i = 0; i < 15; i++) t.set(7, i, i);
    expect(t.get(7, 99)).toBe(-1); // a probe still finds the free slot
    t.set(7, 3, 33); // overwriting needs no new slot
    expect(() => t.set(7, 15, 15)).toThrow(ValueError);
    expect(() => t.set(7, 15, 15)).toThrow(/PairTable: more than 15 distinct pairs in a table of 16 slots/);
    expect([t.size, t.get(7, 3), t.get(7, 15)]).toEqual([15, 33, -1]);
  });
});

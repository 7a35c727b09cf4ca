/**
 * MinHeap (src/util/heap.ts), the priority queue of the BPE merge loops: pops come out sorted
 * (random values, duplicates, negatives), interleaved pushes and pops against a sorted-array
 * model, Floyd's heapify, growth past the initial storage, clear, and the packed
 * `priority·2^32 + position` keys of the tokenizers, whose ties go to the lower position.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MinHeap } from '../../src/util/heap.js';
import { runs } from '../support/runs.js';

/** Finite doubles without −0 (−0 and 0 compare equal, so their order out of a heap is free). */
const valueArb = fc.oneof(
  fc.integer({ min: -20, max: 20 }), // many ties
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (v === 0 ? 0 : v)),
);
const byValue = (a: number, b: number) => a - b;

/** Pop everything. */
function drain(h: MinHeap): number[] {
  const out: number[] = [];
  while (h.size > 0) out.push(h.pop());
  return out;
}

describe('MinHeap', () => {
  it('pops pushed values in ascending order, duplicates included (= sorting)', () => {
    fc.assert(fc.property(fc.array(valueArb, { maxLength: 300 }), fc.integer({ min: 0, max: 40 }), (values, capacity) => {
      const h = new MinHeap(capacity);
      for (const v of values) h.push(v);
      expect(h.size).toBe(values.length);
      expect(drain(h)).toEqual([...values].sort(byValue));
      expect(h.size).toBe(0);
    }), { numRuns: runs(200) });
  });

  it('interleaved pushes and pops agree with a sorted-array model', () => {
    const opArb = fc.oneof(valueArb.map((v) => ({ push: v })), fc.constant({ pop: true as const }));
    fc.assert(fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
      const h = new MinHeap();
      const model: number[] = [];
      for (const op of ops) {
        if ('push' in op) {
          h.push(op.push);
          model.push(op.push);
          model.sort(byValue);
        } else if (model.length > 0) {
          expect(h.pop()).toBe(model.shift());
        }
        expect(h.size).toBe(model.length);
      }
      expect(drain(h)).toEqual(model);
    }), { numRuns: runs(200) });
  });

  it('heapify(values, n) replaces the contents by the first n values, growing the storage as needed', () => {
    fc.assert(fc.property(fc.array(valueArb, { maxLength: 200 }), fc.nat(), fc.array(valueArb, { maxLength: 10 }), (values, k, before) => {
      const n = k % (values.length + 1);
      const h = new MinHeap(4);
      for (const v of before) h.push(v); // discarded by heapify
      h.heapify(Float64Array.from(values), n);
      expect(h.size).toBe(n);
      h.push(0.5);
      expect(drain(h)).toEqual([...values.slice(0, n), 0.5].sort(byValue));
    }), { numRuns: runs(150) });
  });

  it('grows past its initial storage; clear empties it and it stays usable', () => {
    const h = new MinHeap(16);
    for (let i = 999; i >= 0; i--) h.push(i);
    expect(h.size).toBe(1000);
    expect(h.pop()).toBe(0);
    h.clear();
    expect(h.size).toBe(0);
    for (const v of [3, 1, 2]) h.push(v);
    expect(drain(h)).toEqual([1, 2, 3]);
  });

  it('packed priority·2^32 + position keys pop by priority, ties to the lower position', () => {
    const key = (priority: number, position: number) => priority * 4294967296 + position;
    const h = new MinHeap();
    for (const [p, pos] of [[5, 0], [2, 7], [5, 3], [2, 1], [0, 4294967295], [9, 2], [2, 4]]) h.push(key(p, pos));
    const out = drain(h).map((k) => [Math.floor(k / 4294967296), k % 4294967296]);
    expect(out).toEqual([[0, 4294967295], [2, 1], [2, 4], [2, 7], [5, 0], [5, 3], [9, 2]]);
  });

  it('retain keeps exactly the values passing the predicate, in heap order, without new storage; reserve grows', () => {
    fc.assert(fc.property(fc.array(valueArb, { maxLength: 200 }), fc.integer({ min: 2, max: 5 }), (values, m) => {
      const h = new MinHeap(values.length);
      for (const v of values) h.push(v);
      const cap = h.capacity;
      const keep = (v: number) => Math.abs(Math.trunc(v)) % m === 0;
      h.retain(keep);
      expect(h.capacity).toBe(cap);
      expect(drain(h)).toEqual(values.filter(keep).sort(byValue));
      h.reserve(cap * 2);
      expect(h.capacity).toBe(cap * 2);
      h.reserve(3);
      expect(h.capacity).toBe(cap * 2); // never shrinks
      for (const v of values) h.push(v);
      expect(drain(h)).toEqual([...values].sort(byValue));
    }), { numRuns: 100 });
  });
});

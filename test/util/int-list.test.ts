/**
 * IntList / ByteList (src/util/int-list.ts), the growable output buffers of the tokenizers: any
 * sequence of pushes (single values, runs, whole arrays) and in-place sets gives the same values
 * as a plain array, across growth past the initial storage.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteList, IntList } from '../../src/util/int-list.js';
import { runs } from '../support/runs.js';

describe('IntList', () => {
  it('push / pushAll / set / truncate agree with a plain array; toArray and toInt32Array have the exact length', () => {
    const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    const op = fc.oneof(
      int32.map((v) => ({ push: v })),
      fc.array(int32, { maxLength: 40 }).map((vs) => ({ all: vs })),
      fc.tuple(fc.nat(), int32).map(([i, v]) => ({ set: [i, v] as [number, number] })),
      fc.nat({ max: 50 }).map((k) => ({ drop: k })),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 120 }), fc.integer({ min: 0, max: 40 }), (ops, capacity) => {
      const list = new IntList(capacity);
      const model: number[] = [];
      for (const o of ops) {
        if ('push' in o) {
          list.push(o.push);
          model.push(o.push);
        } else if ('all' in o) {
          list.pushAll(Int32Array.from(o.all));
          model.push(...o.all);
        } else if ('drop' in o) {
          list.truncate(list.length - o.drop); // below 0 clamps to 0
          model.length = Math.max(0, model.length - o.drop);
        } else if (model.length > 0) {
          const i = o.set[0] % model.length;
          list.set(i, o.set[1]);
          model[i] = o.set[1];
        }
      }
      expect(list.length).toBe(model.length);
      expect(list.toArray()).toEqual(model);
      expect(Array.from(list.toInt32Array())).toEqual(model);
      expect(Array.from(list.view())).toEqual(model);
      model.forEach((v, i) => expect(list.get(i)).toBe(v));
    }), { numRuns: runs(200) });
  });
});

describe('ByteList', () => {
  it('push(v, count) agrees with a plain array across growth', () => {
    const op = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 50 }));
    fc.assert(fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const list = new ByteList();
      const model: number[] = [];
      for (const [v, count] of ops) {
        list.push(v, count);
        for (let k = 0; k < count; k++) model.push(v);
      }
      expect(list.length).toBe(model.length);
      expect(Array.from(list.toUint8Array())).toEqual(model);
      expect(Array.from(list.view())).toEqual(model);
      model.forEach((v, i) => expect(list.get(i)).toBe(v));
    }), { numRuns: runs(200) });
  });
});

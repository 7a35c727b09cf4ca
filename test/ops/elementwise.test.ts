import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/ops/elementwise.js';
import { DTypeError, ShapeError, ValueError } from '../../src/errors.js';
import * as fast from '../../src/ops/elementwise.js';
import { data, dataArb } from '../support/arbitraries.js';
import { ELEMENTWISE, assertClose } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { dataToNd, dataToTf } from '../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../support/leak.js';
import { type OpCase, runOpSpec } from '../support/opspec.js';

/** Two shapes that broadcast: each drops leading dims of a common shape and/or sets dims to 1. */
const shapePairArb = fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }).chain((common) => {
  const derive = fc.tuple(fc.integer({ min: 0, max: common.length }), fc.array(fc.boolean(), { minLength: common.length, maxLength: common.length }))
    .map(([drop, ones]) => common.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
  return fc.tuple(derive, derive);
});

type None = Record<string, never>;
const binaryCases: fc.Arbitrary<OpCase<None>> = shapePairArb.chain(([sa, sb]) =>
  fc.record({ inputs: fc.record({ a: dataArb(sa), b: dataArb(sb) }), params: fc.constant({}) }),
);
const pair = (a: number[], sa: number[], b: number[], sb: number[]): OpCase<None> => ({ inputs: { a: data(sa, a), b: data(sb, b) }, params: {} });
const ones = (shape: number[]) => data(shape, () => 1);

for (const name of ['add', 'mul'] as const) {
  describe(name, () => runOpSpec<None>({
    name,
    cases: binaryCases,
    fast: (t) => fast[name](t.a, t.b),
    reference: (a) => ref[name](a.a, a.b),
    tol: ELEMENTWISE,
    samples: [
      { what: 'broadcast [2, 1] with [1, 3]', case: pair([1, 2], [2, 1], [3, 4, 5], [1, 3]) },
      { what: 'a 0-d tensor with a matrix', case: pair([2], [], [1, -2, 3, -4], [2, 2]) },
      { what: 'NaN, ±Inf and zeros', case: pair([NaN, Infinity, -Infinity, 0, 1, 0], [6], [1, -Infinity, 2, 0, 0, -0], [6]) },
      { what: 'an empty tensor broadcast with a row', case: { inputs: { a: data([0, 3], []), b: data([3], [1, 2, 3]) }, params: {} } },
    ],
    errors: [
      { what: 'shapes that do not broadcast (both named)', inputs: { a: ones([2, 3]), b: ones([4]) }, params: {}, error: ShapeError, message: new RegExp(`${name}: 'a' shape \\[2, 3\\] and 'b' shape \\[4\\] do not broadcast`) },
      { what: 'an int32 operand', inputs: { a: ones([2]), b: { ...ones([2]), dtype: 'int32' } }, params: {}, error: DTypeError, message: /'b' must be float32, got int32/ },
      { what: 'a bool operand', inputs: { a: { ...ones([2]), dtype: 'bool' }, b: ones([2]) }, params: {}, error: DTypeError },
      { what: 'a non-tensor operand', inputs: { a: ones([2]) }, params: {}, error: ValueError, call: (t) => fast[name](t.a, 'x' as unknown as number) },
    ],
  }));
}

describe('binary ops with number operands', () => {
  forEachBackend(() => {
    it('tensor op number, number op tensor and number op number match the reference', async () => {
      const x = data([2, 3], (i) => i - 2.5);
      for (const name of ['add', 'mul'] as const) {
        await expectNoLeak(() => {
          const t = dataToTf(x);
          const r1 = fast[name](t, 2.5);
          const r2 = fast[name](-1.5, t);
          const r3 = fast[name](3, 4);
          assertClose(r1, ref[name](dataToNd(x), 2.5), ELEMENTWISE, `${name}(x, 2.5)`);
          assertClose(r2, ref[name](-1.5, dataToNd(x)), ELEMENTWISE, `${name}(-1.5, x)`);
          assertClose(r3, ref[name](3, 4), ELEMENTWISE, `${name}(3, 4)`);
          expect(r3.shape).toEqual([]);
          tf.dispose([t, r1, r2, r3]);
        }, name);
      }
    });
    it('a non-finite number operand propagates', () => {
      const t = tf.tensor1d([1, 2]);
      const r = fast.mul(t, NaN);
      expect(Array.from(r.dataSync()).every(Number.isNaN)).toBe(true);
      tf.dispose([t, r]);
    });
    it('an int32 tensor with a number operand throws without leaking', async () => {
      const t = tf.tensor1d([1], 'int32');
      await expectThrowsNoLeak(() => fast.add(t, 1), DTypeError, /add: 'a' must be float32/);
      t.dispose();
    });
  });
});

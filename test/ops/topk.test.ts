import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/ops/topk.js';
import { DTypeError, ShapeError, ValueError } from '../../src/errors.js';
import * as fast from '../../src/ops/topk.js';
import { data, marginDataArb, shapeArb, sizeOf } from '../support/arbitraries.js';
import { forEachBackend } from '../support/backends.js';
import type { Data } from '../support/convert.js';
import { type OpCase, runOpSpec } from '../support/opspec.js';
import { runs } from '../support/runs.js';

type P = { k: number };

/** Rows of small integers (0..levels-1): many exact ties, so the tie rule decides the order. */
const tiesArb = (shape: number[]): fc.Arbitrary<Data> =>
  fc.integer({ min: 1, max: 4 }).chain((levels) =>
    fc.array(fc.integer({ min: 0, max: levels - 1 }), { minLength: sizeOf(shape), maxLength: sizeOf(shape) })
      .map((v) => data(shape, v)));

const casesOf = (values: (s: number[]) => fc.Arbitrary<Data>): fc.Arbitrary<OpCase<P>> =>
  shapeArb({ minRank: 1, maxRank: 3, maxDim: 9 }).chain((shape) =>
    fc.record({
      inputs: fc.record({ x: values(shape) }),
      params: fc.record({ k: fc.integer({ min: 1, max: shape[shape.length - 1] }) }),
    }),
  );

const row = (v: number[], k: number): OpCase<P> => ({ inputs: { x: data([v.length], v) }, params: { k } });

const spec = (what: string, cases: fc.Arbitrary<OpCase<P>>) => ({
  name: `topk (${what})`,
  cases,
  fast: (t: Record<string, tf.Tensor>, p: P) => {
    const r = fast.topk(t.x, p.k);
    return [r.values, r.indices];
  },
  reference: (a: Record<string, import('../../reference/ndarray.js').NDArray>, p: P) => {
    const r = ref.topk(a.x, p.k);
    return [r.values, r.indices];
  },
  tol: { rtol: 0, atol: 0 },
});

describe('topk', () => {
  runOpSpec<P>({
    ...spec('scores with a margin', casesOf((s) => marginDataArb(s))),
    samples: [
      { what: 'ties go to the lower index', case: row([1, 3, 3, 2, 3, 1], 4) },
      { what: 'all equal: indices 0..k-1', case: row(Array(20).fill(0), 7) },
      { what: 'alternating ties', case: { inputs: { x: data([2, 10], (i) => (i < 10 ? 0 : i % 2 ? 1 : 5)) }, params: { k: 7 } } },
      { what: '±0 are equal (tie to the lower index)', case: row([-0, 0, -0, 0], 3) },
      { what: 'NaN ranks as +Inf; the +Inf / NaN tie goes to the lower index', case: row([1, NaN, 3, Infinity, 3, NaN, -Infinity], 5) },
      { what: 'three +Inf (raw tfjs cpu TopK gives indices [5, 3, 1, 2, 6] with a -Inf in the top 5)', case: row([1, Infinity, 3, Infinity, 3, Infinity, -Infinity], 5) },
      { what: '±Inf ties with k = n', case: row([Infinity, 2, -Infinity, Infinity, 1, -Infinity, 0], 7) },
      { what: 'float32 max ties with +Inf', case: row([3.4028234663852886e38, Infinity, -3.4028234663852886e38, -Infinity], 4) },
      { what: 'k = n sorts the row', case: row([0.5, -1, 2, 2, -Infinity], 5) },
      { what: 'an empty batch', case: { inputs: { x: data([0, 5], []) }, params: { k: 2 } } },
      { what: 'a router-sized row [2, 512], k = 8', case: { inputs: { x: data([2, 512], (i) => Math.round(Math.sin(i * 1.7) * 40) / 8) }, params: { k: 8 } } },
    ],
    errors: [
      { what: 'k = 0', inputs: { x: data([2, 4], () => 1) }, params: { k: 0 }, error: ValueError, message: /topk: 'k' must be an integer in \[1, 4\].*got 0/ },
      { what: 'k > n', inputs: { x: data([2, 4], () => 1) }, params: { k: 5 }, error: ValueError, message: /got 5/ },
      { what: 'a fractional k', inputs: { x: data([4], () => 1) }, params: { k: 1.5 }, error: ValueError },
      { what: 'an empty last axis', inputs: { x: data([2, 0], []) }, params: { k: 1 }, error: ValueError, message: /\[1, 0\]/ },
      { what: 'a scalar', inputs: { x: data([], [1]) }, params: { k: 1 }, error: ShapeError },
      { what: 'an int32 input', inputs: { x: { ...data([3], [1, 2, 3]), dtype: 'int32' } }, params: { k: 1 }, error: DTypeError },
    ],
  });
  runOpSpec<P>({ ...spec('deliberate ties', casesOf(tiesArb)), numRuns: runs(40), errors: [] });
});

describe('topk output dtypes', () => {
  forEachBackend(() => {
    it('indices are int32, values float32', () => {
      const x = tf.tensor2d([[1, 2, 3]]);
      const r = fast.topk(x, 2);
      expect([r.values.dtype, r.indices.dtype]).toEqual(['float32', 'int32']);
      tf.dispose([x, r.values, r.indices]);
    });
  });
});

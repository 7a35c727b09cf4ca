import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/ops/shape.js';
import { DTypeError, ShapeError, ValueError } from '../../src/errors.js';
import * as fast from '../../src/ops/shape.js';
import { data, dataArb, shapeArb } from '../support/arbitraries.js';
import type { Data } from '../support/convert.js';
import { forEachBackend } from '../support/backends.js';
import { type InputData, type OpCase, runOpSpec } from '../support/opspec.js';

const EXACT = { rtol: 0, atol: 0 };
const ramp = (shape: number[]): Data => data(shape, (i) => i - 2.5);
const int = (shape: number[]): InputData => ({ ...data(shape, (i) => i), dtype: 'int32' });
const ones = (shape: number[]): Data => data(shape, () => 1);

type CP = { axis: number; count: number };
const concatCases: fc.Arbitrary<OpCase<CP>> = shapeArb({ minRank: 1, maxRank: 3, maxDim: 4 }).chain((shape) =>
  fc.record({ axis: fc.integer({ min: -shape.length, max: shape.length - 1 }), count: fc.integer({ min: 1, max: 3 }), lens: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }) })
    .chain(({ axis, count, lens }) => {
      const ax = (axis + shape.length) % shape.length;
      const part = (len: number) => dataArb(shape.map((d, k) => (k === ax ? len : d)));
      return fc.record({ inputs: fc.record({ t0: part(lens[0]), t1: part(lens[1]), t2: part(lens[2]) }), params: fc.constant({ axis, count }) });
    }));
const list = (t: Record<string, never>, count: number) => [t.t0, t.t1, t.t2].slice(0, count);

describe('concat', () => runOpSpec<CP>({
  name: 'concat',
  cases: concatCases,
  fast: (t, p) => fast.concat(list(t as never, p.count), p.axis),
  reference: (a, p) => ref.concat(list(a as never, p.count), p.axis),
  tol: EXACT,
  samples: [
    { what: 'int32 tensors along the last axis', case: { inputs: { t0: int([2, 1]), t1: int([2, 3]), t2: int([2, 0]) }, params: { axis: -1, count: 3 } } },
    { what: 'one tensor (a copy)', case: { inputs: { t0: ramp([2, 2]), t1: ramp([1]), t2: ramp([1]) }, params: { axis: 0, count: 1 } } },
  ],
  errors: [
    { what: 'dims that differ off the axis', inputs: { t0: ones([2, 3]), t1: ones([2, 4]) }, params: { axis: 0, count: 2 }, error: ShapeError, message: /concat: 'tensors\[1\]' has shape \[2, 4\] but 'tensors\[0\]' has \[2, 3\] \(all dims but axis 0 must match\)/, call: (t, p) => fast.concat([t.t0, t.t1], p.axis) },
    { what: 'ranks that differ', inputs: { t0: ones([2, 3]), t1: ones([2, 3, 1]) }, params: { axis: 0, count: 2 }, error: ShapeError, call: (t) => fast.concat([t.t0, t.t1], 0) },
    { what: 'mixed dtypes', inputs: { t0: ones([2]), t1: int([2]) }, params: { axis: 0, count: 2 }, error: DTypeError, message: /'tensors\[1\]' is int32 but 'tensors\[0\]' is float32/, call: (t) => fast.concat([t.t0, t.t1], 0) },
    { what: 'an empty list', inputs: {}, params: { axis: 0, count: 0 }, error: ValueError, call: () => fast.concat([], 0) },
    { what: 'a bad axis', inputs: { t0: ones([2]) }, params: { axis: 1, count: 1 }, error: ShapeError, message: /axis 1/, call: (t) => fast.concat([t.t0], 1) },
    { what: 'scalars', inputs: { t0: data([], [1]) }, params: { axis: 0, count: 1 }, error: ShapeError, call: (t) => fast.concat([t.t0], 0) },
  ],
}));

type SP = { begin: number[]; size: number[] };
const sliceCases: fc.Arbitrary<OpCase<SP>> = shapeArb({ minRank: 1, maxRank: 3 }).chain((shape) =>
  fc.tuple(...shape.map((d) => fc.integer({ min: 0, max: d }).chain((b) => fc.tuple(fc.constant(b), fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: d - b }))))))
    .chain((bs) => fc.record({ inputs: fc.record({ x: dataArb(shape) }), params: fc.constant({ begin: bs.map((v) => v[0]), size: bs.map((v) => v[1]) }) })));

describe('slice', () => runOpSpec<SP>({
  name: 'slice',
  cases: sliceCases,
  fast: (t, p) => fast.slice(t.x, p.begin, p.size),
  reference: (a, p) => ref.slice(a.x, p.begin, p.size),
  tol: EXACT,
  samples: [{ what: 'an int32 block to the end', case: { inputs: { x: int([3, 4]) }, params: { begin: [1, 2], size: [-1, -1] } } }],
  errors: [
    { what: 'a block past the end', inputs: { x: ones([3, 4]) }, params: { begin: [0, 2], size: [1, 3] }, error: ShapeError, message: /slice: axis 1 of 'x' \[3, 4\] has length 4; begin 2 with size 3 leaves it/ },
    { what: 'a negative begin', inputs: { x: ones([3]) }, params: { begin: [-1], size: [1] }, error: ShapeError },
    { what: 'too few begins', inputs: { x: ones([3, 4]) }, params: { begin: [0], size: [1] }, error: ShapeError, message: /one entry per axis/ },
  ],
}));

type PP = { paddings: [number, number][]; value: number };
describe('pad', () => runOpSpec<PP>({
  name: 'pad',
  cases: shapeArb({ minRank: 1, maxRank: 3, minDim: 0, maxDim: 4 }).chain((shape) => fc.record({
    inputs: fc.record({ x: dataArb(shape) }),
    params: fc.record({
      paddings: fc.tuple(...shape.map(() => fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })))),
      value: fc.constantFrom(0, -1.5, 7),
    }),
  })),
  fast: (t, p) => fast.pad(t.x, p.paddings, p.value),
  reference: (a, p) => ref.pad(a.x, p.paddings, p.value),
  tol: EXACT,
  samples: [
    { what: 'a NaN fill (raw tf.pad with NaN poisons later pads on wasm)', case: { inputs: { x: ramp([2, 2]) }, params: { paddings: [[1, 0], [0, 1]], value: NaN } } },
    { what: 'a finite fill after a NaN fill', case: { inputs: { x: ramp([2]) }, params: { paddings: [[1, 1]], value: 7 } } },
    { what: 'an int32 tensor', case: { inputs: { x: int([2, 2]) }, params: { paddings: [[0, 1], [2, 0]], value: 9 } } },
  ],
  errors: [
    { what: 'a negative amount', inputs: { x: ones([3]) }, params: { paddings: [[-1, 0]], value: 0 }, error: ValueError, message: /pad: 'paddings\[0\]' must be two non-negative integers/ },
    { what: 'one pair for a matrix', inputs: { x: ones([2, 2]) }, params: { paddings: [[1, 1]], value: 0 }, error: ShapeError, message: /one \[before, after\] pair per axis/ },
    { what: 'a fractional fill for int32', inputs: { x: int([2]) }, params: { paddings: [[1, 1]], value: 0.5 }, error: ValueError },
  ],
}));

type TP = { perm?: number[] };
describe('transpose', () => runOpSpec<TP>({
  name: 'transpose',
  cases: shapeArb({ minRank: 1, maxRank: 4, maxDim: 4 }).chain((shape) => fc.record({
    inputs: fc.record({ x: dataArb(shape) }),
    params: fc.oneof(fc.constant({}), fc.shuffledSubarray(shape.map((_, k) => k), { minLength: shape.length, maxLength: shape.length }).map((perm) => ({ perm }))),
  })),
  fast: (t, p) => fast.transpose(t.x, p.perm),
  reference: (a, p) => ref.transpose(a.x, p.perm),
  tol: EXACT,
  samples: [{ what: 'an empty tensor', case: { inputs: { x: data([2, 0, 3], []) }, params: { perm: [2, 0, 1] } } }],
  errors: [
    { what: 'a repeated axis', inputs: { x: ones([2, 3]) }, params: { perm: [0, 0] }, error: ShapeError, message: /transpose: 'perm' \[0,0\] is not a permutation of the 2 axes of 'x' \[2, 3\]/ },
    { what: 'a perm of the wrong length', inputs: { x: ones([2, 3]) }, params: { perm: [1, 0, 2] }, error: ShapeError },
  ],
}));

type RP = { shape: number[] };
describe('reshape', () => runOpSpec<RP>({
  name: 'reshape',
  cases: shapeArb({ minRank: 1, maxRank: 3 }).chain((shape) => fc.record({
    inputs: fc.record({ x: dataArb(shape) }),
    params: fc.tuple(fc.shuffledSubarray(shape, { minLength: shape.length, maxLength: shape.length }), fc.integer({ min: -1, max: shape.length - 1 }))
      .map(([dims, free]) => ({ shape: dims.map((d, k) => (k === free ? -1 : d)) })),
  })),
  fast: (t, p) => fast.reshape(t.x, p.shape),
  reference: (a, p) => ref.reshape(a.x, p.shape),
  tol: EXACT,
  samples: [
    { what: 'to a scalar', case: { inputs: { x: ramp([1, 1]) }, params: { shape: [] } } },
    { what: 'an empty tensor with explicit dims', case: { inputs: { x: data([0, 3], []) }, params: { shape: [3, 0] } } },
  ],
  errors: [
    { what: 'element counts that differ', inputs: { x: ones([2, 3]) }, params: { shape: [4, 2] }, error: ShapeError, message: /reshape: cannot reshape 'x' \[2, 3\] \(6 elements\) to \[4,2\]: the element counts differ/ },
    { what: 'two -1 dims', inputs: { x: ones([2, 3]) }, params: { shape: [-1, -1] }, error: ShapeError, message: /at most one dim may be -1/ },
    { what: 'a -1 that does not divide', inputs: { x: ones([2, 3]) }, params: { shape: [4, -1] }, error: ShapeError, message: /cannot be inferred/ },
    { what: 'a -1 with zero elements', inputs: { x: data([0, 3], []) }, params: { shape: [0, -1] }, error: ShapeError },
    { what: 'a fractional dim', inputs: { x: ones([2]) }, params: { shape: [0.5, 4] }, error: ShapeError },
    { what: 'a non-tensor', inputs: {}, params: { shape: [1] }, error: ValueError, call: () => fast.reshape([1] as unknown as tf.Tensor, [1]) },
  ],
}));

type UP = { axis: number };
describe('unstack', () => runOpSpec<UP>({
  name: 'unstack',
  cases: shapeArb({ minRank: 1, maxRank: 3 }).chain((shape) => fc.record({
    inputs: fc.record({ x: dataArb(shape) }),
    params: fc.record({ axis: fc.integer({ min: -shape.length, max: shape.length - 1 }) }),
  })),
  fast: (t, p) => fast.unstack(t.x, p.axis),
  reference: (a, p) => ref.unstack(a.x, p.axis),
  tol: EXACT,
  samples: [
    { what: 'an axis of length 1', case: { inputs: { x: ramp([2, 1, 3]) }, params: { axis: 1 } } },
    { what: 'int32 rows', case: { inputs: { x: int([3, 2]) }, params: { axis: 0 } } },
  ],
  errors: [
    { what: 'a scalar', inputs: { x: data([], [1]) }, params: { axis: 0 }, error: ShapeError, message: /unstack: 'x' is a scalar/ },
    { what: 'an axis outside the rank', inputs: { x: ones([2, 3]) }, params: { axis: 2 }, error: ShapeError, message: /axis 2/ },
  ],
}));

describe('unstack gradient', () => forEachBackend(() => {
  it('backpropagates for an axis of length 1 (tf.unstack throws there, issue 16) and of length 3', () => {
    for (const shape of [[1, 3], [3, 2]]) {
      const x = tf.tensor(Float32Array.from({ length: shape[0] * shape[1] }, (_, i) => i + 1), shape);
      // L = Σ_i (i + 1) · Σ y_i², so dL/dx[i, j] = 2 (i + 1) x[i, j].
      const g = tf.grad((a: tf.Tensor) => tf.addN(fast.unstack(a).map((y, i) => tf.mul(tf.sum(tf.square(y)), i + 1))))(x);
      const want = Array.from({ length: x.size }, (_, n) => 2 * (Math.floor(n / shape[1]) + 1) * (n + 1));
      expect(Array.from(g.dataSync())).toEqual(want);
      tf.dispose([x, g]);
    }
  });
}));

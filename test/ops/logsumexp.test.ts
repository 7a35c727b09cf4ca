import fc from 'fast-check';
import { describe } from 'vitest';
import * as ref from '../../reference/ops/logsumexp.js';
import { DTypeError, ShapeError } from '../../src/errors.js';
import * as fast from '../../src/ops/logsumexp.js';
import { data, dataArb, shapeArb } from '../support/arbitraries.js';
import { reductionTol } from '../support/assert-close.js';
import { type OpCase, runOpSpec } from '../support/opspec.js';

type P = { axis: number; keepDims: boolean };

const cases: fc.Arbitrary<OpCase<P>> = shapeArb({ minRank: 1, maxRank: 3, maxDim: 6 }).chain((shape) =>
  fc.record({
    inputs: fc.record({ x: dataArb(shape, -30, 30) }),
    params: fc.record({ axis: fc.integer({ min: -shape.length, max: shape.length - 1 }), keepDims: fc.boolean() }),
  }),
);

const rows = (vals: number[][], p: Partial<P> = {}): OpCase<P> => ({
  inputs: { x: data([vals.length, vals[0].length], vals.flat()) },
  params: { axis: p.axis ?? -1, keepDims: p.keepDims ?? false },
});
const I = Infinity;

describe('logsumexp', () => runOpSpec<P>({
  name: 'logsumexp',
  cases,
  fast: (t, p) => fast.logsumexp(t.x, p.axis, p.keepDims),
  reference: (a, p) => ref.logsumexp(a.x, p.axis, p.keepDims),
  tol: (c) => reductionTol(c.inputs.x.shape[(c.params.axis + c.inputs.x.shape.length) % c.inputs.x.shape.length]),
  samples: [
    { what: '±1000 stays finite', case: rows([[1000, 1000, 999], [-1000, -1000, -1001]]) },
    { what: 'only -Inf gives -Inf (torch; tf.logSumExp gives NaN)', case: rows([[-I, -I, -I], [-I, 0, -I]]) },
    { what: '+Inf gives +Inf, also next to -Inf', case: rows([[I, 1, 2], [I, -I, 0], [I, I, I]]) },
    { what: 'NaN propagates', case: rows([[NaN, 1, 2], [NaN, I, -I]]) },
    { what: 'axis 0 with keepDims', case: rows([[1, 2], [3, 4], [5, 6]], { axis: 0, keepDims: true }) },
    { what: 'a long row', case: { inputs: { x: data([1, 4096], (i) => Math.sin(i) * 50) }, params: { axis: -1, keepDims: false } } },
  ],
  errors: [
    { what: 'an empty reduced axis', inputs: { x: data([3, 0], []) }, params: { axis: -1, keepDims: false }, error: ShapeError, message: /logsumexp: 'x' has an empty axis 1/ },
    { what: 'axis out of range', inputs: { x: data([2, 3], () => 1) }, params: { axis: 2, keepDims: false }, error: ShapeError, message: /axis 2 is out of range for rank 2/ },
    { what: 'a scalar', inputs: { x: data([], [1]) }, params: { axis: -1, keepDims: false }, error: ShapeError },
    { what: 'an int32 input', inputs: { x: { ...data([3], [1, 2, 3]), dtype: 'int32' } }, params: { axis: 0, keepDims: false }, error: DTypeError },
  ],
}));

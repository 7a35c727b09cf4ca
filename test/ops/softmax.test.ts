import fc from 'fast-check';
import { describe } from 'vitest';
import * as ref from '../../reference/ops/softmax.js';
import { DTypeError, ShapeError } from '../../src/errors.js';
import * as fast from '../../src/ops/softmax.js';
import { dataArb, data, shapeArb } from '../support/arbitraries.js';
import { type OpCase, type OpSpec, runOpSpec } from '../support/opspec.js';

type P = { axis: number };

const cases: fc.Arbitrary<OpCase<P>> = shapeArb({ minRank: 1, maxRank: 3 }).chain((shape) =>
  fc.record({
    inputs: fc.record({ x: dataArb(shape, -20, 20) }),
    params: fc.record({ axis: fc.integer({ min: -shape.length, max: shape.length - 1 }) }),
  }),
);

const edge = (vals: number[]): OpCase<P> => ({ inputs: { x: data([vals.length], vals) }, params: { axis: -1 } });

function spec(name: 'softmax' | 'logSoftmax'): OpSpec<P> {
  return {
    name,
    cases,
    fast: (t, p) => fast[name](t.x, p.axis),
    reference: (a, p) => ref[name](a.x, p.axis),
    tol: { rtol: 1e-5, atol: 1e-6 },
    samples: [
      { what: '±1000 stays finite', case: edge([1000, -1000, 999, 0]) },
      { what: 'NaN propagates', case: edge([1, NaN, 2]) },
      { what: '-Inf entries get probability 0', case: edge([-Infinity, 0, 1]) },
      { what: '+Inf gives NaN as in PyTorch', case: edge([Infinity, 0, 1]) },
      { what: 'axis 0 of a matrix', case: { inputs: { x: data([3, 2], [1, 2, 3, 4, 5, 6]) }, params: { axis: 0 } } },
    ],
    errors: [
      { what: 'axis out of range', inputs: { x: data([2, 3], () => 1) }, params: { axis: 2 }, error: ShapeError, message: /axis 2/ },
      { what: 'a scalar', inputs: { x: data([], [1]) }, params: { axis: -1 }, error: ShapeError },
      { what: 'an int32 input', inputs: { x: { ...data([3], [1, 2, 3]), dtype: 'int32' } }, params: { axis: 0 }, error: DTypeError },
    ],
  };
}

describe('softmax', () => runOpSpec(spec('softmax')));
describe('logSoftmax', () => runOpSpec(spec('logSoftmax')));

import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/ops/gather.js';
import { DTypeError, ShapeError, ValueError } from '../../src/errors.js';
import * as fast from '../../src/ops/gather.js';
import { data, dataArb, shapeArb, sizeOf } from '../support/arbitraries.js';
import { assertClose, reductionTol } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { type Data, dataToNd, dataToTf } from '../support/convert.js';
import { type InputData, type OpCase, runOpSpec } from '../support/opspec.js';
import { runs } from '../support/runs.js';

const EXACT = { rtol: 0, atol: 0 };
const int = (shape: number[], v: ArrayLike<number> | ((i: number) => number)): InputData => ({ ...data(shape, v), dtype: 'int32' });
/** int32 ids of a given shape with values in [0, n). */
const idsArb = (shape: number[], n: number): fc.Arbitrary<InputData> =>
  fc.array(fc.integer({ min: 0, max: n - 1 }), { minLength: sizeOf(shape), maxLength: sizeOf(shape) }).map((v) => int(shape, v));
const ones = (shape: number[]): Data => data(shape, () => 1);
const ramp = (shape: number[]): Data => data(shape, (i) => i * 0.5 - 3);

type GP = { axis: number };
const gatherCases: fc.Arbitrary<OpCase<GP>> = fc
  .record({ xs: shapeArb({ minRank: 1, maxRank: 3 }), is: shapeArb({ minRank: 0, maxRank: 2, maxDim: 4 }) })
  .chain(({ xs, is }) => fc.integer({ min: -xs.length, max: xs.length - 1 }).chain((axis) =>
    fc.record({
      inputs: fc.record({ x: dataArb(xs), indices: idsArb(is, xs[(axis + xs.length) % xs.length]) }),
      params: fc.constant({ axis }),
    })));

describe('gather', () => runOpSpec<GP>({
  name: 'gather',
  cases: gatherCases,
  fast: (t, p) => fast.gather(t.x, t.indices, p.axis),
  reference: (a, p) => ref.gather(a.x, a.indices, p.axis),
  tol: EXACT,
  samples: [
    { what: 'repeated indices along axis 1', case: { inputs: { x: ramp([2, 3]), indices: int([4], [2, 0, 2, 2]) }, params: { axis: 1 } } },
    { what: 'a 0-d index drops the axis', case: { inputs: { x: ramp([3, 2]), indices: int([], [1]) }, params: { axis: 0 } } },
    { what: 'empty indices', case: { inputs: { x: ramp([3, 2]), indices: int([0], []) }, params: { axis: 0 } } },
    { what: 'an int32 x', case: { inputs: { x: int([3, 2], [1, 2, 3, 4, 5, 6]), indices: int([2], [2, 0]) }, params: { axis: 0 } } },
    { what: 'NaN and Inf rows are copied as they are', case: { inputs: { x: data([2, 2], [NaN, Infinity, -Infinity, 0]), indices: int([3], [1, 0, 0]) }, params: { axis: 0 } } },
  ],
  errors: [
    { what: 'an index past the end (the first bad one is named)', inputs: { x: ones([5, 2]), indices: int([4], [0, 7, 9, 1]) }, params: { axis: 0 }, error: ValueError, message: /gather: 'indices' holds 7 at flat position 1, outside \[0, 5\) \(axis 0 of 'x' \[5, 2\]\)/ },
    { what: 'a negative index', inputs: { x: ones([5, 2]), indices: int([2], [0, -1]) }, params: { axis: 0 }, error: ValueError, message: /holds -1/ },
    { what: 'float32 indices', inputs: { x: ones([5, 2]), indices: data([2], [0, 1]) }, params: { axis: 0 }, error: DTypeError, message: /'indices' must be int32/ },
    { what: 'a bool x', inputs: { x: { ...ones([2]), dtype: 'bool' }, indices: int([1], [0]) }, params: { axis: 0 }, error: DTypeError, message: /'x' must be float32 or int32/ },
    { what: 'axis out of range', inputs: { x: ones([2, 2]), indices: int([1], [0]) }, params: { axis: 2 }, error: ShapeError, message: /axis 2/ },
    { what: 'a scalar x', inputs: { x: data([], [1]), indices: int([1], [0]) }, params: { axis: 0 }, error: ShapeError },
  ],
}));

type None = Record<string, never>;
describe('embedding', () => runOpSpec<None>({
  name: 'embedding',
  cases: fc.record({ v: fc.integer({ min: 1, max: 8 }), d: fc.integer({ min: 1, max: 6 }), is: shapeArb({ minRank: 0, maxRank: 2 }) })
    .chain(({ v, d, is }) => fc.record({ inputs: fc.record({ table: dataArb([v, d]), ids: idsArb(is, v) }), params: fc.constant({}) })),
  fast: (t) => fast.embedding(t.table, t.ids),
  reference: (a) => ref.embedding(a.table, a.ids),
  tol: EXACT,
  samples: [{ what: 'a [B, T] batch of ids', case: { inputs: { table: ramp([4, 3]), ids: int([2, 3], [3, 0, 1, 1, 2, 3]) }, params: {} } }],
  errors: [
    { what: 'an id past the vocabulary (named)', inputs: { table: ones([4, 3]), ids: int([3], [1, 4, 5]) }, params: {}, error: ValueError, message: /embedding: 'ids' holds 4 at flat position 1, outside \[0, 4\) \(rows of 'table' \[4, 3\]\)/ },
    { what: 'a rank-3 table', inputs: { table: ones([2, 2, 2]), ids: int([1], [0]) }, params: {}, error: ShapeError, message: /'table' must have rank 2/ },
    { what: 'float32 ids', inputs: { table: ones([4, 3]), ids: data([1], [0]) }, params: {}, error: DTypeError, message: /'ids' must be int32/ },
    { what: 'an int32 table', inputs: { table: int([4, 3], () => 1), ids: int([1], [0]) }, params: {}, error: DTypeError, message: /'table' must be float32/ },
  ],
}));

type OP = { depth: number };
describe('oneHot', () => runOpSpec<OP>({
  name: 'oneHot',
  cases: fc.record({ depth: fc.integer({ min: 1, max: 6 }), is: shapeArb({ minRank: 0, maxRank: 2 }) })
    .chain(({ depth, is }) => fc.record({ inputs: fc.record({ indices: idsArb(is, depth) }), params: fc.constant({ depth }) })),
  fast: (t, p) => fast.oneHot(t.indices, p.depth),
  reference: (a, p) => ref.oneHot(a.indices, p.depth),
  tol: EXACT,
  samples: [
    { what: 'exact ones on wasm (raw float32 tf.oneHot gives 1.4e-45 there)', case: { inputs: { indices: int([3], [0, 2, 1]) }, params: { depth: 3 } } },
    { what: 'empty indices', case: { inputs: { indices: int([0], []) }, params: { depth: 4 } } },
    { what: 'depth 1 (tf.oneHot needs depth >= 2)', case: { inputs: { indices: int([2, 2], [0, 0, 0, 0]) }, params: { depth: 1 } } },
  ],
  errors: [
    { what: 'an index equal to depth', inputs: { indices: int([3], [0, 3, 1]) }, params: { depth: 3 }, error: ValueError, message: /oneHot: 'indices' holds 3 at flat position 1, outside \[0, 3\)/ },
    { what: 'a negative index', inputs: { indices: int([1], [-1]) }, params: { depth: 3 }, error: ValueError },
    { what: 'depth 0', inputs: { indices: int([1], [0]) }, params: { depth: 0 }, error: ValueError, message: /'depth' must be an integer >= 1/ },
    { what: 'float32 indices', inputs: { indices: data([1], [0]) }, params: { depth: 2 }, error: DTypeError },
  ],
}));

type SP = { n: number };
const segmentCases: fc.Arbitrary<OpCase<SP>> = fc
  .record({ m: fc.integer({ min: 0, max: 7 }), n: fc.integer({ min: 1, max: 5 }), row: shapeArb({ minRank: 0, maxRank: 2, maxDim: 3 }) })
  .chain(({ m, n, row }) => fc.record({
    inputs: fc.record({ data: dataArb([m, ...row]), ids: idsArb([m], n), x: dataArb([n, ...row]) }),
    params: fc.constant({ n }),
  }));
const segTol = (c: OpCase<SP>) => reductionTol(c.inputs.data.shape[0] + 1);

describe('segmentSum', () => runOpSpec<SP>({
  name: 'segmentSum',
  cases: segmentCases,
  fast: (t, p) => fast.segmentSum(t.data, t.ids, p.n),
  reference: (a, p) => ref.segmentSum(a.data, a.ids, p.n),
  tol: segTol,
  samples: [
    { what: 'duplicate ids accumulate (wasm: scatterND adds duplicates)', case: { inputs: { data: ramp([5, 2]), ids: int([5], [1, 1, 0, 1, 1]), x: ones([3, 2]) }, params: { n: 3 } } },
    { what: 'no rows gives zeros', case: { inputs: { data: data([0, 2], []), ids: int([0], []), x: ones([3, 2]) }, params: { n: 3 } } },
    { what: 'NaN reaches only its segment (tfjs cpu UnsortedSegmentSum spreads it to all)', case: { inputs: { data: data([3], [NaN, 1, 2]), ids: int([3], [0, 1, 1]), x: ones([2]) }, params: { n: 2 } } },
  ],
  errors: [
    { what: 'an id past numSegments (named)', inputs: { data: ones([3, 2]), ids: int([3], [0, 2, 3]), x: ones([1]) }, params: { n: 3 }, error: ValueError, message: /segmentSum: 'segmentIds' holds 3 at flat position 2, outside \[0, 3\)/ },
    { what: 'lengths that differ', inputs: { data: ones([3, 2]), ids: int([2], [0, 1]), x: ones([1]) }, params: { n: 3 }, error: ShapeError, message: /'segmentIds' has length 2 but 'data' has 3 rows/ },
    { what: 'rank-2 ids', inputs: { data: ones([2, 2]), ids: int([2, 1], [0, 1]), x: ones([1]) }, params: { n: 3 }, error: ShapeError },
    { what: 'numSegments 0', inputs: { data: ones([2]), ids: int([2], [0, 0]), x: ones([1]) }, params: { n: 0 }, error: ValueError, message: /'numSegments' must be an integer >= 1/ },
    { what: 'float32 ids', inputs: { data: ones([2]), ids: data([2], [0, 0]), x: ones([1]) }, params: { n: 1 }, error: DTypeError },
  ],
}));

describe('indexAdd', () => runOpSpec<SP>({
  name: 'indexAdd',
  cases: segmentCases,
  fast: (t) => fast.indexAdd(t.x, t.ids, t.data),
  reference: (a) => ref.indexAdd(a.x, a.ids, a.data),
  tol: segTol,
  samples: [{ what: 'MoE-style combine with repeats', case: { inputs: { x: ramp([3, 2]), ids: int([4], [2, 0, 2, 2]), data: ones([4, 2]) }, params: { n: 3 } } }],
  errors: [
    { what: 'source rows that differ from x rows', inputs: { x: ones([3, 2]), ids: int([1], [0]), data: ones([1, 3]) }, params: { n: 3 }, error: ShapeError, message: /indexAdd: 'source' rows have shape \[3\] but 'x' rows have \[2\]/ },
    { what: 'an index past x', inputs: { x: ones([3, 2]), ids: int([1], [3]), data: ones([1, 2]) }, params: { n: 3 }, error: ValueError, message: /indexAdd: 'indices' holds 3/ },
    { what: 'an int32 x', inputs: { x: int([3, 2], () => 1), ids: int([1], [0]), data: ones([1, 2]) }, params: { n: 3 }, error: DTypeError },
  ],
}));

/** Run `fn`'s gradients and compare each with the expected float64 arrays; no leak. */
function checkGrads(fn: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Data[], g: Data, expected: Parameters<typeof assertClose>[1][], tol = reductionTol(8)): void {
  const before = tf.memory().numTensors;
  const ts = inputs.map((d) => dataToTf(d));
  const tg = dataToTf(g);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(fn(...xs), tg)))(ts);
  grads.forEach((gr, i) => assertClose(gr, expected[i], tol, `gradient ${i}`));
  tf.dispose([...ts, tg, ...grads]);
  expect(tf.memory().numTensors, 'no leak').toBe(before);
}

describe('gradients through gather, embedding, segmentSum and indexAdd (wasm lacks UnsortedSegmentSum)', () => {
  forEachBackend(() => {
    it('gather: dx is the scatter-add of dy, for random shapes and axes', () => {
      fc.assert(fc.property(gatherCases, (c) => {
        const ids = dataToTf(c.inputs.indices, 'int32');
        const outShape = ref.gather(dataToNd(c.inputs.x), dataToNd(c.inputs.indices), c.params.axis).shape;
        const g = data(outShape, (i) => ((i * 7) % 5) - 2);
        const want = ref.gatherGrad(dataToNd(g), dataToNd(c.inputs.indices), c.inputs.x.shape, c.params.axis);
        checkGrads((x) => fast.gather(x, ids, c.params.axis), [c.inputs.x], g, [want]);
        ids.dispose();
      }), { numRuns: runs(15) });
    });

    it('embedding: repeated ids accumulate in the table gradient', () => {
      const ids = tf.tensor2d([[3, 0, 3], [3, 1, 0]], [2, 3], 'int32');
      const g = ramp([2, 3, 2]);
      const want = ref.gatherGrad(dataToNd(g), dataToNd(int([2, 3], [3, 0, 3, 3, 1, 0])), [5, 2], 0);
      checkGrads((t) => fast.embedding(t, ids), [ramp([5, 2])], g, [want]);
      ids.dispose();
    });

    it('segmentSum: d data = dy[segmentIds]; indexAdd: dx = dy, d source = dy[indices]', () => {
      const idsData = int([4], [2, 0, 2, 1]);
      const ids = dataToTf(idsData, 'int32');
      const g = ramp([3, 2]);
      const gSel = ref.gather(dataToNd(g), dataToNd(idsData), 0);
      checkGrads((d) => fast.segmentSum(d, ids, 3), [ones([4, 2])], g, [gSel]);
      checkGrads((x, s) => fast.indexAdd(x, ids, s), [ones([3, 2]), ones([4, 2])], g, [dataToNd(g), gSel]);
      ids.dispose();
    });
  });
});

type GGP = { axis: number; xShape: number[] };
describe('gatherGrad', () => runOpSpec<GGP>({
  name: 'gatherGrad',
  cases: gatherCases.chain((c) => {
    const xs = c.inputs.x.shape;
    const outShape = ref.gather(dataToNd(c.inputs.x), dataToNd(c.inputs.indices), c.params.axis).shape;
    return dataArb(outShape).map((dy) => ({ inputs: { dy, indices: c.inputs.indices }, params: { axis: c.params.axis, xShape: xs } }));
  }),
  fast: (t, p) => fast.gatherGrad(t.dy, t.indices, p.xShape, p.axis),
  reference: (a, p) => ref.gatherGrad(a.dy, a.indices, p.xShape, p.axis),
  tol: reductionTol(16),
  errors: [
    { what: 'float32 indices', inputs: { dy: ones([2]), indices: data([2], [0, 1]) }, params: { axis: 0, xShape: [2] }, error: DTypeError },
    { what: 'a bad axis', inputs: { dy: ones([2]), indices: int([2], [0, 1]) }, params: { axis: 1, xShape: [2] }, error: ShapeError },
  ],
}));

describe('the wasm facts behind the workarounds (tfjs 4.22)', () => {
  forEachBackend(() => {
    it('wasm has no UnsortedSegmentSum kernel, so raw tf.gather has no gradient there', () => {
      expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeUndefined();
      const x = tf.ones([3, 2]);
      const ids = tf.tensor1d([0, 0], 'int32');
      expect(() => tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, ids)))(x)).toThrow(/UnsortedSegmentSum/);
      tf.dispose([x, ids]);
    });
    it("raw tf.oneHot(..., 'float32') is wrong on wasm", () => {
      const ids = tf.tensor1d([1], 'int32');
      const raw = tf.oneHot(ids, 2, 1, 0, 'float32');
      expect(raw.dataSync()[1]).not.toBe(1);
      tf.dispose([ids, raw]);
    });
  }, ['wasm']);
});

import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type NDArray, reshape, unravel, zeros } from '../../reference/ndarray.js';
import * as ref from '../../reference/ops/matmul.js';
import { DTypeError, ShapeError } from '../../src/errors.js';
import * as fast from '../../src/ops/matmul.js';
import { data, dataArb } from '../support/arbitraries.js';
import { assertClose, reductionTol } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { type Data, dataToNd, dataToTf } from '../support/convert.js';
import { type OpCase, runOpSpec } from '../support/opspec.js';
import { runs } from '../support/runs.js';

type MP = { transposeA: boolean; transposeB: boolean };
const dim = fc.integer({ min: 1, max: 5 });

/** Two batch shapes that broadcast: each drops leading dims of a common shape or sets dims to 1. */
const batchPairArb = fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }).chain((common) => {
  const derive = fc.tuple(fc.integer({ min: 0, max: common.length }), fc.array(fc.boolean(), { minLength: common.length, maxLength: common.length }))
    .map(([drop, ones]) => common.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
  return fc.tuple(derive, derive);
});

const matmulCases: fc.Arbitrary<OpCase<MP>> = fc
  .record({ batches: batchPairArb, m: dim, k: dim, n: dim, transposeA: fc.boolean(), transposeB: fc.boolean() })
  .chain(({ batches: [ba, bb], m, k, n, transposeA, transposeB }) =>
    fc.record({
      inputs: fc.record({
        a: dataArb([...ba, ...(transposeA ? [k, m] : [m, k])], -3, 3),
        b: dataArb([...bb, ...(transposeB ? [n, k] : [k, n])], -3, 3),
      }),
      params: fc.constant({ transposeA, transposeB }),
    }),
  );

const mm = (a: Data, b: Data, p: Partial<MP> = {}): OpCase<MP> => ({
  inputs: { a, b }, params: { transposeA: p.transposeA ?? false, transposeB: p.transposeB ?? false },
});
const ramp = (shape: number[], scale = 0.1) => data(shape, (i) => ((i % 7) - 3) * scale);
const innerOf = (c: OpCase<MP>) => c.inputs.a.shape[c.inputs.a.shape.length - (c.params.transposeA ? 2 : 1)];

describe('matmul', () => runOpSpec<MP>({
  name: 'matmul',
  cases: matmulCases,
  fast: (t, p) => fast.matmul(t.a, t.b, p),
  reference: (a, p) => ref.matmul(a.a, a.b, p),
  tol: (c) => reductionTol(innerOf(c)),
  samples: [
    { what: '2-D times 2-D', case: mm(ramp([4, 6]), ramp([6, 3])) },
    { what: 'both transposed', case: mm(ramp([6, 4]), ramp([3, 6]), { transposeA: true, transposeB: true }) },
    { what: 'batched a times one matrix b (one folded product on wasm)', case: mm(ramp([2, 3, 4, 5]), ramp([5, 6])) },
    { what: 'one matrix a times batched b', case: mm(ramp([4, 5]), ramp([3, 5, 2])) },
    { what: 'batch dims broadcast both ways (tfjs cpu BatchMatMul gets this wrong)', case: mm(ramp([2, 1, 3, 4]), ramp([3, 4, 2], 0.2)) },
    { what: 'large slices (one 2-D product per slice on wasm), broadcast both ways', case: mm(ramp([2, 1, 40, 41]), ramp([3, 41, 40])) },
    { what: 'batched b of batch size 1 with a transposed b', case: mm(ramp([2, 3, 4]), ramp([1, 6, 4]), { transposeB: true }) },
    { what: 'inner dimension 0 gives zeros (wasm XNNPACK returns garbage)', case: mm(data([2, 3, 0], []), data([0, 4], [])) },
    { what: 'zero rows', case: mm(data([0, 3], []), ramp([3, 2])) },
    { what: 'NaN and Inf propagate', case: mm(data([2, 2], [NaN, 1, Infinity, 1]), data([2, 2], [1, 2, 3, 4])) },
    { what: 'Inf times 0 is NaN', case: mm(data([1, 2], [Infinity, 1]), data([2, 1], [0, 1])) },
  ],
  errors: [
    { what: "mismatched inner dims, naming both ('b' 96, 'a' 64)", inputs: { a: data([2, 64], () => 1), b: data([96, 3], () => 1) }, params: { transposeA: false, transposeB: false }, error: ShapeError, message: /matmul: 'b' has inner dimension 96 but 'a' has 64/ },
    { what: 'mismatched inner dims after transposeB', inputs: { a: data([2, 4], () => 1), b: data([4, 3], () => 1) }, params: { transposeA: false, transposeB: true }, error: ShapeError, message: /inner dimension 3 but 'a' has 4/ },
    { what: 'a rank-1 operand', inputs: { a: data([4], () => 1), b: data([4, 3], () => 1) }, params: { transposeA: false, transposeB: false }, error: ShapeError, message: /'a' must have rank >= 2/ },
    { what: 'batch dims that do not broadcast', inputs: { a: data([2, 1, 2], () => 1), b: data([3, 2, 1], () => 1) }, params: { transposeA: false, transposeB: false }, error: ShapeError, message: /batch shape \[2\] and 'b' batch shape \[3\] do not broadcast/ },
    { what: 'an int32 operand', inputs: { a: { ...data([2, 2], () => 1), dtype: 'int32' }, b: data([2, 2], () => 1) }, params: { transposeA: false, transposeB: false }, error: DTypeError, message: /'a' must be float32/ },
  ],
}));

type AP = { bias: boolean };
const affineCases = (transposed: boolean): fc.Arbitrary<OpCase<AP>> =>
  fc.record({ lead: fc.array(dim, { maxLength: 2 }), inD: dim, outD: dim, bias: fc.boolean() }).chain(({ lead, inD, outD, bias }) =>
    fc.record({
      inputs: fc.record({
        x: dataArb([...lead, inD], -3, 3),
        w: dataArb(transposed ? [inD, outD] : [outD, inD], -3, 3),
        b: dataArb([outD], -3, 3),
      }),
      params: fc.constant({ bias }),
    }),
  );

for (const name of ['dense', 'linear'] as const) {
  const isDense = name === 'dense';
  const wName = isDense ? 'weightT' : 'weight';
  const ok = (x: Data, w: Data, b?: Data): OpCase<AP> => ({ inputs: { x, w, b: b ?? data([w.shape[isDense ? 1 : 0]], () => 0.5) }, params: { bias: b !== undefined } });
  describe(name, () => runOpSpec<AP>({
    name,
    cases: affineCases(isDense),
    fast: (t, p) => fast[name](t.x, t.w, p.bias ? t.b : undefined),
    reference: (a, p) => ref[name](a.x, a.w, p.bias ? a.b : undefined),
    tol: (c) => reductionTol(c.inputs.x.shape[c.inputs.x.shape.length - 1]),
    samples: [
      { what: 'a vector input', case: ok(ramp([4]), ramp(isDense ? [4, 3] : [3, 4])) },
      { what: 'rank-3 input with bias', case: ok(ramp([2, 3, 4]), ramp([4, 4]), ramp([4])) },
      { what: 'in = 0 gives the bias', case: ok(data([2, 0], []), data(isDense ? [0, 3] : [3, 0], []), ramp([3])) },
    ],
    errors: [
      { what: 'mismatched input dims', inputs: { x: data([2, 5], () => 1), w: data([4, 4], () => 1), b: data([4], () => 0) }, params: { bias: false }, error: ShapeError, message: new RegExp(`${name}: '${wName}' \\[4, 4\\] has input dimension 4 but 'x' has 5`) },
      { what: 'a bias of the wrong length', inputs: { x: data([2, 4], () => 1), w: data(isDense ? [4, 3] : [3, 4], () => 1), b: data([4], () => 0) }, params: { bias: true }, error: ShapeError, message: /'bias' must have shape \[3\]/ },
      { what: 'a rank-3 weight', inputs: { x: data([2, 4], () => 1), w: data([1, 4, 4], () => 1), b: data([4], () => 0) }, params: { bias: false }, error: ShapeError, message: new RegExp(`'${wName}' must have rank 2`) },
      { what: 'a scalar x', inputs: { x: data([], [1]), w: data([1, 1], () => 1), b: data([1], () => 0) }, params: { bias: false }, error: ShapeError },
      { what: 'an int32 weight', inputs: { x: data([2, 4], () => 1), w: { ...data([4, 4], () => 1), dtype: 'int32' }, b: data([4], () => 0) }, params: { bias: false }, error: DTypeError },
    ],
  }));
}

/** Sum `x` over the dims that broadcasting added or expanded, down to `shape`. */
function sumTo(x: NDArray, shape: number[]): NDArray {
  const out = zeros(shape);
  const lead = x.shape.length - shape.length;
  for (let i = 0; i < x.size; i++) {
    const idx = unravel(i, x.shape).slice(lead).map((v, d) => (shape[d] === 1 ? 0 : v));
    out.set(...idx, out.get(...idx) + x.get(...unravel(i, x.shape)));
  }
  return out;
}

/** Analytic gradients of `L = Σ g ⊙ matmul(a, b)` for 2-D operands: dA = G·Bᵀ, dB = Aᵀ·G. */
function refMatmulGrads(a: NDArray, b: NDArray, g: NDArray): [NDArray, NDArray] {
  return [ref.matmul(g, b, { transposeB: true }), ref.matmul(a, g, { transposeA: true })];
}

describe('matmul gradients (wasm: customGrad with explicit transposes)', () => {
  forEachBackend(() => {
    it('2-D and folded-batch products match the analytic gradient', () => {
      fc.assert(fc.property(
        fc.record({ m: dim, k: dim, n: dim }).chain(({ m, k, n }) =>
          fc.tuple(dataArb([m, k], -2, 2), dataArb([k, n], -2, 2), dataArb([m, n], -2, 2))),
        ([a, b, g]) => {
          const before = tf.memory().numTensors;
          const [ta, tb, tg] = [a, b, g].map((d) => dataToTf(d));
          const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(fast.matmul(x, y), tg)))([ta, tb]);
          const [ea, eb] = refMatmulGrads(dataToNd(a), dataToNd(b), dataToNd(g));
          assertClose(grads[0], ea, reductionTol(b.shape[1]), 'dA');
          assertClose(grads[1], eb, reductionTol(a.shape[0]), 'dB');
          tf.dispose([ta, tb, tg, ...grads]);
          expect(tf.memory().numTensors).toBe(before);
        },
      ), { numRuns: runs(10) });
    });

    const batchedGradCases: [string, number[], number[]][] = [
      ['small batched (batched kernel)', [2, 3, 4], [2, 4, 5]],
      ['broadcast both ways (tfjs BatchMatMul gets the forward wrong)', [2, 1, 3, 4], [3, 4, 2]],
      ['large slices (one 2-D product per slice on wasm), broadcast', [2, 1, 40, 41], [3, 41, 40]],
    ];
    for (const [what, sa, sb] of batchedGradCases) {
      it(`batched gradients: ${what}`, () => {
        const before = tf.memory().numTensors;
        const a = ramp(sa);
        const b = ramp(sb, 0.3);
        const y = ref.matmul(dataToNd(a), dataToNd(b));
        const g = ramp(y.shape, 0.7);
        const [ta, tb, tg] = [a, b, g].map((d) => dataToTf(d));
        const fwd = fast.matmul(ta, tb);
        assertClose(fwd, y, reductionTol(sa[sa.length - 1]), 'forward');
        const grads = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(fast.matmul(x, w), tg)))([ta, tb]);
        const ga = sumTo(ref.matmul(dataToNd(g), dataToNd(b), { transposeB: true }), sa);
        const gb = sumTo(ref.matmul(dataToNd(a), dataToNd(g), { transposeA: true }), sb);
        assertClose(grads[0], ga, reductionTol(y.size), 'dA');
        assertClose(grads[1], gb, reductionTol(y.size), 'dB');
        tf.dispose([ta, tb, tg, fwd, ...grads]);
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    it('dense gradients (dX = G·W\'ᵀ, dW\' = Xᵀ·G over the folded rows)', () => {
      const before = tf.memory().numTensors;
      const a = ramp([2, 3, 4]);
      const w = ramp([4, 5], 0.3);
      const g = ramp([2, 3, 5], 0.7);
      const [ta, tw, tg] = [a, w, g].map((d) => dataToTf(d));
      const gd = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(fast.dense(x, y), tg)))([ta, tw]);
      assertClose(gd[0], ref.matmul(dataToNd(g), dataToNd(w), { transposeB: true }), reductionTol(5), 'dX');
      const gw = ref.matmul(reshape(dataToNd(a), [6, 4]), reshape(dataToNd(g), [6, 5]), { transposeA: true });
      assertClose(gd[1], gw, reductionTol(6), 'dW');
      tf.dispose([ta, tw, tg, ...gd]);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

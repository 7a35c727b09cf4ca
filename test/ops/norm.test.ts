import fc from 'fast-check';
import { describe } from 'vitest';
import * as ref from '../../reference/ops/norm.js';
import { DTypeError, ShapeError, ValueError } from '../../src/errors.js';
import * as fast from '../../src/ops/norm.js';
import { data, dataArb } from '../support/arbitraries.js';
import { reductionTol } from '../support/assert-close.js';
import type { Data } from '../support/convert.js';
import { type OpCase, runOpSpec } from '../support/opspec.js';

type P = { eps: number; useWeight: boolean; useBias: boolean };

const cases: fc.Arbitrary<OpCase<P>> = fc
  .record({ lead: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 2 }), d: fc.integer({ min: 1, max: 24 }) })
  .chain(({ lead, d }) =>
    fc.record({
      inputs: fc.record({ x: dataArb([...lead, d], -10, 10), w: dataArb([d], -2, 2), b: dataArb([d], -2, 2) }),
      params: fc.record({ eps: fc.constantFrom(1e-6, 1e-5, 0.1), useWeight: fc.boolean(), useBias: fc.boolean() }),
    }),
  );

const lastDim = (c: OpCase<P>) => c.inputs.x.shape[c.inputs.x.shape.length - 1];
const row = (x: number[], p: Partial<P> = {}, shape = [1, x.length]): OpCase<P> => ({
  inputs: { x: data(shape, x), w: data([shape[shape.length - 1]], (i) => 1 + 0.25 * i), b: data([shape[shape.length - 1]], (i) => i - 1) },
  params: { eps: p.eps ?? 1e-6, useWeight: p.useWeight ?? true, useBias: p.useBias ?? true },
});
const ones = (shape: number[]): Data => data(shape, () => 1);
const base = { eps: 1e-6, useWeight: true, useBias: true };
const errorsFor = (name: 'rmsNorm' | 'layerNorm') => [
  { what: 'a weight of the wrong length', inputs: { x: ones([2, 4]), w: ones([3]), b: ones([4]) }, params: base, error: ShapeError, message: new RegExp(`${name}: 'weight' must have shape \\[4\\] \\(the last dimension of 'x'\\), got \\[3\\]`) },
  { what: 'a rank-2 weight', inputs: { x: ones([2, 4]), w: ones([1, 4]), b: ones([4]) }, params: base, error: ShapeError },
  { what: 'an empty last axis', inputs: { x: data([2, 0], []), w: data([0], []), b: data([0], []) }, params: base, error: ShapeError, message: /empty last axis/ },
  { what: 'a scalar x', inputs: { x: data([], [1]), w: ones([1]), b: ones([1]) }, params: base, error: ShapeError },
  { what: 'a negative eps', inputs: { x: ones([2, 4]), w: ones([4]), b: ones([4]) }, params: { ...base, eps: -1e-6 }, error: ValueError, message: /'eps' must be a finite number >= 0/ },
  { what: 'a NaN eps', inputs: { x: ones([2, 4]), w: ones([4]), b: ones([4]) }, params: { ...base, eps: NaN }, error: ValueError },
  { what: 'an int32 x', inputs: { x: { ...ones([2, 4]), dtype: 'int32' as const }, w: ones([4]), b: ones([4]) }, params: base, error: DTypeError, message: /'x' must be float32/ },
];

describe('rmsNorm', () => runOpSpec<P>({
  name: 'rmsNorm',
  cases,
  fast: (t, p) => fast.rmsNorm(t.x, p.useWeight ? t.w : null, p.eps),
  reference: (a, p) => ref.rmsNorm(a.x, p.useWeight ? a.w : null, p.eps),
  tol: (c) => reductionTol(lastDim(c)),
  samples: [
    { what: 'a 3-4 row with eps 0', case: row([3, 4], { eps: 0 }) },
    { what: 'a zero row with eps 0 gives NaN (0/0)', case: row([0, 0, 0], { eps: 0 }) },
    { what: 'a zero row with eps > 0 gives 0', case: row([0, 0, 0]) },
    { what: 'NaN spreads over its row only', case: row([1, NaN, 2, 3, 4, 5], {}, [2, 3]) },
    { what: '+Inf: finite entries 0, the Inf entry NaN', case: row([1, Infinity, 2]) },
    { what: 'large values (1e15): mean(x²) ≈ 5e30 still fits float32', case: row([1e15, -2e15, 3e15]) },
    { what: 'a wide row (D = 4096)', case: { inputs: { x: data([2, 4096], (i) => Math.sin(i * 0.37) * 3), w: data([4096], (i) => 1 + (i % 5) / 10), b: data([4096], () => 0) }, params: base } },
  ],
  errors: errorsFor('rmsNorm'),
}));

describe('layerNorm', () => runOpSpec<P>({
  name: 'layerNorm',
  cases,
  fast: (t, p) => fast.layerNorm(t.x, p.useWeight ? t.w : null, p.useBias ? t.b : null, p.eps),
  reference: (a, p) => ref.layerNorm(a.x, p.useWeight ? a.w : null, p.useBias ? a.b : null, p.eps),
  tol: (c) => reductionTol(lastDim(c)),
  samples: [
    { what: 'a constant row gives the bias', case: row([2, 2, 2]) },
    { what: 'D = 1 gives the bias', case: row([5], {}, [1, 1]) },
    { what: 'a large offset (1000 + small) does not cancel', case: row([1000, 1001, 1002, 1003]) },
    { what: 'NaN spreads over its row only', case: row([1, NaN, 2, 3, 4, 5], {}, [2, 3]) },
    { what: '+Inf gives NaN for the whole row', case: row([1, Infinity, 2]) },
    { what: 'no weight, no bias', case: row([1, 2, 4, 8], { useWeight: false, useBias: false }) },
    { what: 'a wide row (D = 3200, InternViT-6B width)', case: { inputs: { x: data([2, 3200], (i) => Math.cos(i * 0.11) * 4 + 1), w: data([3200], (i) => 1 + (i % 7) / 10), b: data([3200], (i) => (i % 3) - 1) }, params: base } },
  ],
  errors: [
    ...errorsFor('layerNorm'),
    { what: 'a bias of the wrong length', inputs: { x: ones([2, 4]), w: ones([4]), b: ones([5]) }, params: base, error: ShapeError, message: /layerNorm: 'bias' must have shape \[4\]/ },
  ],
}));

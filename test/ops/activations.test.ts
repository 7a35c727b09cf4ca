import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromArray, toFlat } from '../../reference/ndarray.js';
import * as ref from '../../reference/ops/activations.js';
import { DTypeError, ValueError } from '../../src/errors.js';
import * as fast from '../../src/ops/activations.js';
import { data, dataArb, shapeArb } from '../support/arbitraries.js';
import { ELEMENTWISE } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { type OpCase, runOpSpec } from '../support/opspec.js';

type None = Record<string, never>;
type Name = 'silu' | 'gelu' | 'geluTanh' | 'relu';
const special = [0, -0, 1, -1, NaN, Infinity, -Infinity, 20, -20, 1000, -1000, 1e-30, -1e-30];
const vec = (v: number[]): OpCase<None> => ({ inputs: { x: data([v.length], v) }, params: {} });

for (const name of ['silu', 'gelu', 'geluTanh', 'relu'] as Name[]) {
  describe(name, () => runOpSpec<None>({
    name,
    cases: shapeArb({ minRank: 0, maxRank: 3 }).chain((s) => fc.record({ inputs: fc.record({ x: dataArb(s, -12, 12) }), params: fc.constant({}) })),
    fast: (t) => fast[name](t.x),
    reference: (a) => ref[name](a.x),
    tol: ELEMENTWISE,
    samples: [
      { what: 'special values (NaN, ±Inf, ±0, ±20, ±1000, tiny)', case: vec(special) },
      { what: 'the negative tail where 1 + erf cancels', case: vec([-3, -4, -5, -6, -7, -8]) },
      { what: 'an empty tensor', case: { inputs: { x: data([0, 4], []) }, params: {} } },
    ],
    errors: [
      { what: 'an int32 input', inputs: { x: { ...data([2], [1, 2]), dtype: 'int32' } }, params: {}, error: DTypeError, message: new RegExp(`${name}: 'x' must be float32, got int32`) },
      { what: 'a non-tensor input', inputs: {}, params: {}, error: ValueError, call: () => fast[name](1 as unknown as tf.Tensor) },
    ],
  }));
}

describe('activation reference anchors (independent values: Φ from normal tables, PyTorch outputs)', () => {
  const at = (f: typeof ref.gelu, v: number[]) => Array.from(toFlat(f(fromArray(v, [v.length]))));
  it('gelu(x) = x·Φ(x)', () => {
    // Φ(1) = 0.841344746068543, Φ(2) = 0.977249868051821, Φ(-3) = 0.00134989803163010
    const got = at(ref.gelu, [1, -1, 2, -3]);
    const want = [0.841344746068543, -0.158655253931457, 1.954499736103642, -0.0040496940948903];
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i], 13));
  });
  it('geluTanh and silu at ±1 (torch.nn.functional in float64)', () => {
    const gt = at(ref.geluTanh, [1, -1]);
    expect(gt[0]).toBeCloseTo(0.8411919906082768, 13);
    expect(gt[1]).toBeCloseTo(-0.15880800939172324, 13);
    const s = at(ref.silu, [1, -1]);
    expect(s[0]).toBeCloseTo(0.7310585786300049, 13);
    expect(s[1]).toBeCloseTo(-0.2689414213699951, 13);
  });
});

describe('activation kernels', () => {
  forEachBackend((backend) => {
    it(`Erf, Sigmoid, Tanh and Relu are registered on ${backend} (no workaround needed in tfjs 4.22)`, () => {
      for (const k of ['Erf', 'Sigmoid', 'Tanh', 'Relu']) expect(tf.getKernel(k, backend), k).toBeDefined();
    });
  });
});

import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromArray } from '../../reference/ndarray.js';
import * as ref from '../../reference/ops/interpolate.js';
import { DTypeError, ShapeError, ValueError } from '../../src/errors.js';
import * as fast from '../../src/ops/interpolate.js';
import { data, dataArb } from '../support/arbitraries.js';
import { assertClose } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { expectNoLeak } from '../support/leak.js';
import { type OpCase, runOpSpec } from '../support/opspec.js';
// A JSON import (not readFileSync) so that the browser suite runs this file too.
import fixtureJson from '../fixtures/interp.json' with { type: 'json' };

type P = { outH: number; outW: number; alignCorners: boolean };
const cases: fc.Arbitrary<OpCase<P>> = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 2 }),
    H: fc.integer({ min: 1, max: 6 }), W: fc.integer({ min: 1, max: 6 }),
    outH: fc.integer({ min: 1, max: 9 }), outW: fc.integer({ min: 1, max: 9 }), alignCorners: fc.boolean(),
  })
  .chain((c) => fc.record({
    inputs: fc.record({ x: dataArb([c.N, c.C, c.H, c.W], -5, 5) }),
    params: fc.constant({ outH: c.outH, outW: c.outW, alignCorners: c.alignCorners }),
  }));

// Bicubic sums 16 taps whose weights reach 1.25 in magnitude; bilinear sums 4 convex weights.
const TOL = { rtol: 1e-5, atol: 1e-5 };
const x1 = data([1, 1, 2, 2], [1, 2, 3, 4]);
const errors = (name: string) => [
  { what: 'a rank-3 input', inputs: { x: data([1, 2, 2], () => 1) }, params: { outH: 2, outW: 2, alignCorners: false }, error: ShapeError, message: new RegExp(`${name}: 'x' must have rank 4`) },
  { what: 'outH 0', inputs: { x: x1 }, params: { outH: 0, outW: 2, alignCorners: false }, error: ValueError, message: /'outH' must be a positive integer/ },
  { what: 'a fractional outW', inputs: { x: x1 }, params: { outH: 2, outW: 2.5, alignCorners: false }, error: ValueError, message: /'outW'/ },
  { what: 'an empty input', inputs: { x: data([1, 1, 0, 2], []) }, params: { outH: 2, outW: 2, alignCorners: false }, error: ShapeError, message: /empty/ },
  { what: 'an int32 input', inputs: { x: { ...x1, dtype: 'int32' as const } }, params: { outH: 2, outW: 2, alignCorners: false }, error: DTypeError },
];

describe('interpolateBicubic', () =>
  runOpSpec<P>({
    name: 'interpolateBicubic',
    cases,
    fast: (t, p) => fast.interpolateBicubic(t.x, p.outH, p.outW, p),
    reference: (a, p) => ref.interpolateBicubic(a.x, p.outH, p.outW, p),
    tol: TOL,
    samples: [
      { what: 'same size is the identity', case: { inputs: { x: data([1, 2, 3, 4], (i) => i * 1.5 - 4) }, params: { outH: 3, outW: 4, alignCorners: false } } },
      { what: 'a 1x1 input broadcasts', case: { inputs: { x: data([1, 1, 1, 1], [2.5]) }, params: { outH: 3, outW: 2, alignCorners: false } } },
    ],
    errors: errors('interpolateBicubic'),
  }));

describe('interpolateBilinear', () =>
  runOpSpec<P>({
    name: 'interpolateBilinear',
    cases,
    fast: (t, p) => fast.interpolateBilinear(t.x, p.outH, p.outW, p),
    reference: (a, p) => ref.interpolateBilinear(a.x, p.outH, p.outW, p),
    tol: TOL,
    samples: [
      { what: 'align corners on a 2x2 ramp', case: { inputs: { x: x1 }, params: { outH: 3, outW: 3, alignCorners: true } } },
      { what: 'downscale to 1x1 with half-pixel centres', case: { inputs: { x: data([1, 1, 4, 4], (i) => i) }, params: { outH: 1, outW: 1, alignCorners: false } } },
    ],
    errors: errors('interpolateBilinear'),
  }));

interface Fixture {
  torch: string;
  inputs: Record<string, { shape: number[]; data: number[] }>;
  cases: { input: string; mode: 'bicubic' | 'bilinear'; alignCorners: boolean; outH: number; outW: number; shape: number[]; data: number[] }[];
}
const fixture = fixtureJson as unknown as Fixture;

describe(`interpolation against PyTorch ${fixture.torch} F.interpolate (test/fixtures/make_interp.py)`, () => {
  // PyTorch computes the source coordinates and weights in float32; the tolerance covers that.
  const tol = { rtol: 1e-5, atol: 1e-5 };
  const want = (c: Fixture['cases'][number]) => ({ shape: c.shape, data: c.data });
  for (const c of fixture.cases) {
    const inp = fixture.inputs[c.input];
    const H = inp.shape[2];
    const W = inp.shape[3];
    const name = `${c.mode} ${H}x${W} -> ${c.outH}x${c.outW}, align_corners=${c.alignCorners}`;
    it(`reference: ${name}`, () => {
      const f = c.mode === 'bicubic' ? ref.interpolateBicubic : ref.interpolateBilinear;
      assertClose(f(fromArray(inp.data.map(Math.fround), inp.shape), c.outH, c.outW, c), want(c), tol);
    });
  }
  forEachBackend(() => {
    for (const c of fixture.cases) {
      const inp = fixture.inputs[c.input];
      it(`fast: ${c.mode} -> ${c.outH}x${c.outW}, align_corners=${c.alignCorners} (${c.input})`, async () => {
        const x = tf.tensor(Float32Array.from(inp.data), inp.shape);
        await expectNoLeak(() => {
          const f = c.mode === 'bicubic' ? fast.interpolateBicubic : fast.interpolateBilinear;
          const y = f(x, c.outH, c.outW, c);
          assertClose(y, want(c), tol);
          y.dispose();
        });
        x.dispose();
      });
    }
  });
});

describe('interpolation (focused)', () => {
  forEachBackend(() => {
    it('is differentiable (the gradient is the transposed weights: Σ_i dL/dx = Σ_o dL/dy for unit gradients)', () => {
      // Each output is a weighted sum whose weights sum to 1, so with dy = 1 the input gradient sums to outH·outW.
      const x = tf.randomNormal([1, 2, 5, 6], 0, 1, 'float32', 7);
      for (const f of [fast.interpolateBicubic, fast.interpolateBilinear]) {
        const g = tf.grad((t: tf.Tensor) => tf.sum(f(t, 7, 4)))(x);
        expect(g.sum().arraySync()).toBeCloseTo(2 * 7 * 4, 3);
        g.dispose();
      }
      x.dispose();
    });

    it('a NaN in the input makes its neighbourhood NaN, never a silent number', () => {
      const x = tf.tensor4d([[[[0, 1, 2], [3, NaN, 5], [6, 7, 8]]]]);
      for (const f of [fast.interpolateBicubic, fast.interpolateBilinear]) {
        const y = f(x, 5, 5);
        const v = y.arraySync() as number[][][][];
        expect(Number.isNaN(v[0][0][2][2])).toBe(true); // the centre samples the NaN pixel
        y.dispose();
      }
      x.dispose();
    });
  });
});

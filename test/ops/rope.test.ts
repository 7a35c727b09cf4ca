import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../reference/ops/rope.js';
import { DTypeError, ShapeError, ValueError } from '../../src/errors.js';
import * as fast from '../../src/ops/rope.js';
import { data, dataArb, shapeArb } from '../support/arbitraries.js';
import { assertClose } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../support/leak.js';
import { type OpCase, runOpSpec } from '../support/opspec.js';
// A JSON import (not readFileSync) so that the browser suite runs this file too.
import fixtureJson from '../fixtures/rope.json' with { type: 'json' };

const TOL = { rtol: 1e-5, atol: 1e-6 };
const even = fc.integer({ min: 1, max: 4 }).map((h) => 2 * h);

describe('rotateHalf', () =>
  runOpSpec<Record<string, never>>({
    name: 'rotateHalf',
    cases: fc.tuple(shapeArb({ minRank: 0, maxRank: 2, maxDim: 3 }), even).chain(([lead, d]) =>
      fc.record({ inputs: fc.record({ x: dataArb([...lead, d]) }), params: fc.constant({}) })),
    fast: (t) => fast.rotateHalf(t.x),
    reference: (a) => ref.rotateHalf(a.x),
    tol: TOL,
    samples: [
      { what: '[1, 2, 3, 4] -> [-3, -4, 1, 2]', case: { inputs: { x: data([4], [1, 2, 3, 4]) }, params: {} } },
      { what: 'NaN and Inf move with their lane', case: { inputs: { x: data([2, 2], [NaN, 1, Infinity, 2]) }, params: {} } },
    ],
    errors: [
      { what: 'an odd last dimension', inputs: { x: data([2, 3], () => 1) }, params: {}, error: ShapeError, message: /even last dimension/ },
      { what: 'a scalar', inputs: { x: data([], [1]) }, params: {}, error: ShapeError },
      { what: 'an int32 input', inputs: { x: { ...data([2], [1, 2]), dtype: 'int32' } }, params: {}, error: DTypeError },
    ],
  }));

type RP = { batched: boolean };
const ropeCases: fc.Arbitrary<OpCase<RP>> = fc
  .record({ B: fc.integer({ min: 0, max: 2 }), T: fc.integer({ min: 1, max: 4 }), H: fc.integer({ min: 1, max: 3 }), d: even })
  .chain(({ B, T, H, d }) =>
    fc.record({
      inputs: fc.record({ x: dataArb(B ? [B, T, H, d] : [T, H, d], -3, 3), cos: dataArb([T, d], -1, 1), sin: dataArb([T, d], -1, 1) }),
      params: fc.constant({ batched: B > 0 }),
    }));

describe('applyRope', () =>
  runOpSpec<RP>({
    name: 'applyRope',
    cases: ropeCases,
    fast: (t) => fast.applyRope(t.x, t.cos, t.sin),
    reference: (a) => ref.applyRope(a.x, a.cos, a.sin),
    tol: TOL,
    samples: [
      {
        what: 'position 0 (cos 1, sin 0) is the identity',
        case: { inputs: { x: data([1, 2, 4], (i) => i - 3), cos: data([1, 4], () => 1), sin: data([1, 4], () => 0) }, params: { batched: false } },
      },
    ],
    errors: [
      { what: 'cos with another T', inputs: { x: data([2, 1, 4], () => 1), cos: data([3, 4], () => 1), sin: data([2, 4], () => 1) }, params: { batched: false }, error: ShapeError, message: /'cos' must have shape \[T, d\] = \[2, 4\]/ },
      { what: 'sin with another d', inputs: { x: data([2, 1, 4], () => 1), cos: data([2, 4], () => 1), sin: data([2, 2], () => 1) }, params: { batched: false }, error: ShapeError, message: /'sin'/ },
      { what: 'x of rank 2', inputs: { x: data([2, 4], () => 1), cos: data([2, 4], () => 1), sin: data([2, 4], () => 1) }, params: { batched: false }, error: ShapeError },
      { what: 'an odd head dim', inputs: { x: data([2, 1, 3], () => 1), cos: data([2, 3], () => 1), sin: data([2, 3], () => 1) }, params: { batched: false }, error: ShapeError, message: /even head dim/ },
    ],
  }));

type KP = { nRep: number };
describe('repeatKv', () =>
  runOpSpec<KP>({
    name: 'repeatKv',
    cases: fc
      .record({ lead: shapeArb({ minRank: 1, maxRank: 2, maxDim: 3 }), Hkv: fc.integer({ min: 1, max: 3 }), d: fc.integer({ min: 1, max: 3 }), nRep: fc.integer({ min: 1, max: 4 }) })
      .chain(({ lead, Hkv, d, nRep }) => fc.record({ inputs: fc.record({ x: dataArb([...lead, Hkv, d]) }), params: fc.constant({ nRep }) })),
    fast: (t, p) => fast.repeatKv(t.x, p.nRep),
    reference: (a, p) => ref.repeatKv(a.x, p.nRep),
    tol: { rtol: 0, atol: 0 },
    samples: [{ what: 'head n = g·nRep + r copies kv head g', case: { inputs: { x: data([1, 2, 1], [1, 2]) }, params: { nRep: 3 } } }],
    errors: [
      { what: 'nRep 0', inputs: { x: data([1, 2, 1], [1, 2]) }, params: { nRep: 0 }, error: ValueError, message: /'nRep'/ },
      { what: 'a fractional nRep', inputs: { x: data([1, 2, 1], [1, 2]) }, params: { nRep: 1.5 }, error: ValueError },
      { what: 'x of rank 2', inputs: { x: data([2, 1], [1, 2]) }, params: { nRep: 2 }, error: ShapeError },
    ],
  }));

interface RopeFixture { theta: number; headDim: number; positions: number[]; invFreq: number[]; cos: number[]; sin: number[] }
const fixture = fixtureJson as unknown as { cases: RopeFixture[] };

describe('ropeTables', () => {
  forEachBackend(() => {
    it('fast == reference on random positions (up to 2^24 - 1), head dims and bases', () => {
      const arb = fc.record({
        positions: fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 2 ** 24 - 1 })), { minLength: 1, maxLength: 6 }),
        d: fc.integer({ min: 1, max: 16 }).map((h) => 2 * h),
        theta: fc.constantFrom(1e4, 1e6, 5e6, 500),
      });
      fc.assert(fc.property(arb, ({ positions, d, theta }) => {
        const before = tf.memory().numTensors;
        const got = fast.ropeTables(positions, d, theta);
        const want = ref.ropeTables(positions, d, theta);
        // φ is the same float32 number on both sides, so only cos/sin rounding differs.
        assertClose(got.cos, want.cos, { rtol: 0, atol: 1e-6 }, 'cos');
        assertClose(got.sin, want.sin, { rtol: 0, atol: 1e-6 }, 'sin');
        tf.dispose([got.cos, got.sin]);
        expect(tf.memory().numTensors).toBe(before);
      }));
    });

    it('an int32 position tensor gives the same tables as an array', async () => {
      const p = tf.tensor1d([0, 5, 9], 'int32');
      await expectNoLeak(() => {
        const a = fast.ropeTables(p, 8, 1e6);
        const b = fast.ropeTables([0, 5, 9], 8, 1e6);
        assertClose(a.cos, b.cos, { rtol: 0, atol: 0 });
        assertClose(a.sin, b.sin, { rtol: 0, atol: 0 });
        tf.dispose([a.cos, a.sin, b.cos, b.sin]);
      });
      p.dispose();
    });

    for (const c of fixture.cases) {
      it(`matches HF's float32 tables from PyTorch (θ = ${c.theta}, d = ${c.headDim}, positions up to ${Math.max(...c.positions)})`, () => {
        const { cos, sin } = fast.ropeTables(c.positions, c.headDim, c.theta);
        const want = ref.ropeTables(c.positions, c.headDim, c.theta);
        const T = c.positions.length;
        // Our inv_freq is the correctly rounded float32 of θ^(−2i/d); torch's vectorised powf is off
        // by one ulp in one lane for θ = 1e6, d = 128 (lane 37, Δ = 2.9e-11), which moves φ by up to
        // pos·Δ plus one ulp of φ. The tolerance allows exactly that: 2e-6 + pos·1e-10.
        const tolFor = (n: number) => 2e-6 + c.positions[Math.floor(n / c.headDim)] * 1e-10;
        for (const [name, got, exp, r] of [['cos', cos, c.cos, want.cos], ['sin', sin, c.sin, want.sin]] as const) {
          const g = got.dataSync();
          for (let n = 0; n < T * c.headDim; n++) {
            expect(Math.abs(g[n] - exp[n]), `${name}[${Math.floor(n / c.headDim)}, ${n % c.headDim}] fast`).toBeLessThanOrEqual(tolFor(n));
            expect(Math.abs(r.data[n] - exp[n]), `${name}[${Math.floor(n / c.headDim)}, ${n % c.headDim}] reference`).toBeLessThanOrEqual(tolFor(n));
          }
        }
        tf.dispose([cos, sin]);
      });
    }

    it('rejects bad positions, head dims and bases, leaking nothing', async () => {
      await expectThrowsNoLeak(() => fast.ropeTables([0, -1], 8, 1e4), ValueError, /'positions\[1\]' must be an integer in \[0, 2\^24\), got -1/);
      await expectThrowsNoLeak(() => fast.ropeTables([0.5], 8, 1e4), ValueError, /positions\[0\]/);
      await expectThrowsNoLeak(() => fast.ropeTables([2 ** 24], 8, 1e4), ValueError);
      await expectThrowsNoLeak(() => fast.ropeTables([NaN], 8, 1e4), ValueError);
      await expectThrowsNoLeak(() => fast.ropeTables([], 8, 1e4), ShapeError, /empty/);
      await expectThrowsNoLeak(() => fast.ropeTables([0], 7, 1e4), ValueError, /'headDim'/);
      await expectThrowsNoLeak(() => fast.ropeTables([0], 8, 0), ValueError, /'theta'/);
      await expectThrowsNoLeak(() => fast.ropeTables([0], 8, Infinity), ValueError, /'theta'/);
      const f = tf.tensor1d([0, 1]);
      await expectThrowsNoLeak(() => fast.ropeTables(f, 8, 1e4), DTypeError, /int32/);
      f.dispose();
      const neg = tf.tensor1d([3, -2], 'int32');
      await expectThrowsNoLeak(() => fast.ropeTables(neg, 8, 1e4), ValueError, /got -2/);
      neg.dispose();
    });
  });
});

import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { type NDArray, zeros } from '../../reference/ndarray.js';
import * as ref from '../../reference/ops/conv.js';
import { DTypeError, ShapeError, ValueError } from '../../src/errors.js';
import * as fast from '../../src/ops/conv.js';
import { data, mulberry32, normalDataArb, normals } from '../support/arbitraries.js';
import { assertClose, reductionTol } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { toNd } from '../support/convert.js';
import { expectNoLeak } from '../support/leak.js';
import { type InputData, type OpCase, runOpSpec } from '../support/opspec.js';
import { runs } from '../support/runs.js';

const ones = (shape: number[]): InputData => data(shape, () => 1);
const withBias = (o: Record<string, fc.Arbitrary<InputData>>, cout: number, has: boolean) =>
  has ? { ...o, bias: normalDataArb([cout]) } : o;

type P1 = { opts: fast.Conv1dOptions; n: number };
const cases1: fc.Arbitrary<OpCase<P1>> = fc
  .record({
    B: fc.integer({ min: 1, max: 2 }), Cin: fc.integer({ min: 1, max: 3 }), Cout: fc.integer({ min: 1, max: 3 }),
    k: fc.integer({ min: 1, max: 4 }), stride: fc.integer({ min: 1, max: 3 }), padding: fc.integer({ min: 0, max: 2 }),
    dilation: fc.integer({ min: 1, max: 2 }), more: fc.integer({ min: 0, max: 6 }), bias: fc.boolean(),
  })
  .chain((c) => {
    const L = Math.max(1, c.dilation * (c.k - 1) + 1 - 2 * c.padding + c.more); // the kernel always fits
    return fc.record({
      inputs: fc.record(withBias({ x: normalDataArb([c.B, c.Cin, L]), w: normalDataArb([c.Cout, c.Cin, c.k]) }, c.Cout, c.bias)),
      params: fc.constant({ opts: { stride: c.stride, padding: c.padding, dilation: c.dilation }, n: c.Cin * c.k }),
    });
  });

describe('conv1d', () =>
  runOpSpec<P1>({
    name: 'conv1d',
    cases: cases1,
    fast: (t, p) => fast.conv1d(t.x, t.w, t.bias, p.opts),
    reference: (a, p) => ref.conv1d(a.x, a.w, a.bias, p.opts),
    tol: (c) => reductionTol(c.params.n),
    numRuns: runs(40),
    samples: [
      { what: 'Whisper stem shape (k 3, stride 2, pad 1)', case: { inputs: { x: data([1, 4, 9], (i) => Math.sin(i)), w: data([2, 4, 3], (i) => Math.cos(i)) }, params: { opts: { stride: 2, padding: 1 }, n: 12 } } },
      { what: 'NaN in x reaches only the outputs that read it', case: { inputs: { x: data([1, 1, 6], (i) => (i === 0 ? NaN : i)), w: ones([1, 1, 2]) }, params: { opts: {}, n: 2 } } },
    ],
    errors: [
      { what: 'a channel mismatch', inputs: { x: ones([1, 3, 5]), w: ones([2, 2, 3]) }, params: { opts: {}, n: 1 }, error: ShapeError, message: /expects 2 input channels but 'x' \[1, 3, 5\] has 3/ },
      { what: 'negative padding', inputs: { x: ones([1, 1, 5]), w: ones([1, 1, 3]) }, params: { opts: { padding: -1 }, n: 1 }, error: ValueError, message: /'padding' must be an integer >= 0/ },
      { what: 'stride 0', inputs: { x: ones([1, 1, 5]), w: ones([1, 1, 3]) }, params: { opts: { stride: 0 }, n: 1 }, error: ValueError, message: /'stride'/ },
      { what: 'a kernel longer than the input', inputs: { x: ones([1, 1, 2]), w: ones([1, 1, 4]) }, params: { opts: {}, n: 1 }, error: ShapeError, message: /spans 4/ },
      { what: 'x of rank 2', inputs: { x: ones([1, 5]), w: ones([1, 1, 3]) }, params: { opts: {}, n: 1 }, error: ShapeError },
      { what: 'a bias of the wrong size', inputs: { x: ones([1, 1, 5]), w: ones([2, 1, 3]), bias: ones([3]) }, params: { opts: {}, n: 1 }, error: ShapeError, message: /'bias' must have shape \[2\]/ },
      { what: 'an int32 weight', inputs: { x: ones([1, 1, 5]), w: { ...ones([1, 1, 3]), dtype: 'int32' } }, params: { opts: {}, n: 1 }, error: DTypeError },
    ],
  }));

type P2 = { opts: fast.Conv2dOptions; n: number };
const cases2: fc.Arbitrary<OpCase<P2>> = fc
  .record({
    B: fc.integer({ min: 1, max: 2 }), Cin: fc.integer({ min: 1, max: 2 }), Cout: fc.integer({ min: 1, max: 3 }),
    kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 3 }),
    sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
    ph: fc.integer({ min: 0, max: 1 }), pw: fc.integer({ min: 0, max: 2 }),
    dh: fc.integer({ min: 1, max: 2 }), dw: fc.integer({ min: 1, max: 2 }),
    mh: fc.integer({ min: 0, max: 4 }), mw: fc.integer({ min: 0, max: 4 }), bias: fc.boolean(), square: fc.boolean(),
  })
  .chain((c) => {
    if (c.square) [c.sw, c.pw, c.dw] = [c.sh, c.ph, c.dh]; // one number for both axes
    const H = Math.max(1, c.dh * (c.kh - 1) + 1 - 2 * c.ph + c.mh); // the kernel always fits
    const W = Math.max(1, c.dw * (c.kw - 1) + 1 - 2 * c.pw + c.mw);
    const opts: fast.Conv2dOptions = c.square
      ? { stride: c.sh, padding: c.ph, dilation: c.dh }
      : { stride: [c.sh, c.sw], padding: [c.ph, c.pw], dilation: [c.dh, c.dw] };
    return fc.record({
      inputs: fc.record(withBias({ x: normalDataArb([c.B, c.Cin, H, W]), w: normalDataArb([c.Cout, c.Cin, c.kh, c.kw]) }, c.Cout, c.bias)),
      params: fc.constant({ opts, n: c.Cin * c.kh * c.kw }),
    });
  });

describe('conv2d', () =>
  runOpSpec<P2>({
    name: 'conv2d',
    cases: cases2,
    fast: (t, p) => fast.conv2d(t.x, t.w, t.bias, p.opts),
    reference: (a, p) => ref.conv2d(a.x, a.w, a.bias, p.opts),
    tol: (c) => reductionTol(c.params.n),
    numRuns: runs(40),
    samples: [
      {
        what: 'stride = kernel takes the patch-embedding path',
        case: { inputs: { x: data([2, 3, 6, 4], (i) => Math.sin(i)), w: data([5, 3, 2, 2], (i) => Math.cos(i)), bias: data([5], (i) => i) }, params: { opts: { stride: 2 }, n: 12 } },
      },
      {
        what: 'stride = kernel that does not tile the input takes the general path',
        case: { inputs: { x: data([1, 1, 5, 5], (i) => i), w: data([1, 1, 2, 2], (i) => i + 1) }, params: { opts: { stride: 2 }, n: 4 } },
      },
    ],
    errors: [
      { what: 'a channel mismatch', inputs: { x: ones([1, 3, 4, 4]), w: ones([2, 1, 2, 2]) }, params: { opts: {}, n: 1 }, error: ShapeError, message: /input channels/ },
      { what: 'negative padding', inputs: { x: ones([1, 1, 4, 4]), w: ones([1, 1, 2, 2]) }, params: { opts: { padding: [0, -1] }, n: 1 }, error: ValueError, message: /'padding'/ },
      { what: 'dilation 0', inputs: { x: ones([1, 1, 4, 4]), w: ones([1, 1, 2, 2]) }, params: { opts: { dilation: 0 }, n: 1 }, error: ValueError, message: /'dilation'/ },
      { what: 'a kernel wider than the input', inputs: { x: ones([1, 1, 4, 2]), w: ones([1, 1, 2, 3]) }, params: { opts: {}, n: 1 }, error: ShapeError, message: /along W/ },
      { what: 'a stride triple', inputs: { x: ones([1, 1, 4, 4]), w: ones([1, 1, 2, 2]) }, params: { opts: { stride: [1, 1, 1] as unknown as [number, number] }, n: 1 }, error: ValueError },
    ],
  }));

type PP = { n: number };
describe('patchEmbed2d', () =>
  runOpSpec<PP>({
    name: 'patchEmbed2d',
    cases: fc
      .record({
        B: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), Cout: fc.integer({ min: 1, max: 4 }),
        ph: fc.integer({ min: 1, max: 3 }), pw: fc.integer({ min: 1, max: 3 }), Hp: fc.integer({ min: 1, max: 3 }), Wp: fc.integer({ min: 1, max: 3 }), bias: fc.boolean(),
      })
      .chain((c) => fc.record({
        inputs: fc.record(withBias({ x: normalDataArb([c.B, c.C, c.Hp * c.ph, c.Wp * c.pw]), w: normalDataArb([c.Cout, c.C, c.ph, c.pw]) }, c.Cout, c.bias)),
        params: fc.constant({ n: c.C * c.ph * c.pw }),
      })),
    fast: (t) => fast.patchEmbed2d(t.x, t.w, t.bias),
    reference: (a) => ref.patchEmbed2d(a.x, a.w, a.bias),
    tol: (c) => reductionTol(c.params.n),
    samples: [
      {
        what: 'InternViT geometry scaled down (3 channels, 14x14 patches, 2x3 grid)',
        case: { inputs: { x: data([1, 3, 28, 42], (i) => Math.sin(i / 7)), w: data([4, 3, 14, 14], (i) => Math.cos(i / 11) / 20), bias: data([4], (i) => i / 4) }, params: { n: 588 } },
      },
    ],
    errors: [
      { what: 'H not divisible by the patch', inputs: { x: ones([1, 1, 5, 4]), w: ones([2, 1, 2, 2]) }, params: { n: 1 }, error: ShapeError, message: /5x4 is not divisible by the patch size 2x2/ },
      { what: 'W not divisible by the patch', inputs: { x: ones([1, 1, 4, 5]), w: ones([2, 1, 2, 2]) }, params: { n: 1 }, error: ShapeError },
      { what: 'a channel mismatch', inputs: { x: ones([1, 2, 4, 4]), w: ones([2, 3, 2, 2]) }, params: { n: 1 }, error: ShapeError, message: /input channels/ },
      { what: 'an empty image', inputs: { x: ones([1, 1, 0, 4]), w: ones([2, 1, 2, 2]) }, params: { n: 1 }, error: ShapeError, message: /empty/ },
    ],
  }));

/**
 * Gradient of `L = Σ f(inputs) ⊙ G` with respect to each input, from the float64 reference. The
 * convolutions are linear in each argument, so `L(a + e_i) − L(a)` is the exact partial derivative.
 */
function refGrads(f: (a: NDArray[]) => NDArray, arrays: NDArray[], G: NDArray): NDArray[] {
  const loss = (as: NDArray[]) => {
    const y = f(as);
    let s = 0;
    for (let i = 0; i < y.size; i++) s += y.data[i] * G.data[i];
    return s;
  };
  const base = loss(arrays);
  return arrays.map((a, ai) => {
    const g = zeros(a.shape);
    for (let i = 0; i < a.size; i++) {
      const bumped = arrays.map((b, bi) => (bi === ai ? (() => { const c = zeros(b.shape); c.data.set(b.data); c.data[i] += 1; return c; })() : b));
      g.data[i] = loss(bumped) - base;
    }
    return g;
  });
}

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(Float32Array.from(normals(mulberry32(seed), shape.reduce((a, b) => a * b, 1))), shape);
}

describe('convolution gradients (im2col + matMul works on wasm, which lacks conv backprop kernels)', () => {
  const gradCases = [
    { name: 'conv1d stride 2, pad 1, dilation 2', x: [2, 2, 7], w: [3, 2, 3], f: (a: tf.Tensor[]) => fast.conv1d(a[0], a[1], a[2], { stride: 2, padding: 1, dilation: 2 }), r: (a: NDArray[]) => ref.conv1d(a[0], a[1], a[2], { stride: 2, padding: 1, dilation: 2 }) },
    { name: 'conv2d stride [2, 1], pad [1, 0]', x: [1, 2, 5, 4], w: [2, 2, 3, 2], f: (a: tf.Tensor[]) => fast.conv2d(a[0], a[1], a[2], { stride: [2, 1], padding: [1, 0] }), r: (a: NDArray[]) => ref.conv2d(a[0], a[1], a[2], { stride: [2, 1], padding: [1, 0] }) },
    { name: 'patchEmbed2d', x: [2, 2, 4, 6], w: [3, 2, 2, 2], f: (a: tf.Tensor[]) => fast.patchEmbed2d(a[0], a[1], a[2]), r: (a: NDArray[]) => ref.patchEmbed2d(a[0], a[1], a[2]) },
  ];
  forEachBackend(() => {
    for (const c of gradCases) {
      it(c.name, async () => {
        const x = rand(c.x, 1);
        const w = rand(c.w, 2);
        const b = rand([c.w[0]], 3);
        const y = c.f([x, w, b]);
        const G = rand(y.shape, 4);
        const want = refGrads(c.r, [toNd(x), toNd(w), toNd(b)], toNd(G));
        await expectNoLeak(() => {
          const got = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => c.f([xx, ww, bb]))([x, w, b], G);
          ['dx', 'dw', 'dbias'].forEach((n, i) => assertClose(got[i], want[i], reductionTol(64), n));
          tf.dispose(got);
        });
        tf.dispose([x, w, b, y, G]);
      });
    }
  });
});

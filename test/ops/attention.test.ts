import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import ndarray from 'ndarray';
import { describe, expect, it } from 'vitest';
import type { NDArray } from '../../reference/ndarray.js';
import * as ref from '../../reference/ops/attention.js';
import { DTypeError, ShapeError, ValueError } from '../../src/errors.js';
import * as fast from '../../src/ops/attention.js';
import { data, mulberry32, normalDataArb, normals } from '../support/arbitraries.js';
import { assertClose, reductionTol } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { toNd } from '../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../support/leak.js';
import { type ErrorCase, type InputData, type OpCase, type OpSpec, runOpSpec } from '../support/opspec.js';
import { runs } from '../support/runs.js';

type MaskKind = 'none' | 'causal' | 'bool' | 'additive';
interface P {
  dims: { B: number; T: number; S: number; H: number; Hkv: number; d: number; dv: number };
  mask: MaskKind;
  queryOffset?: number;
  seqLens?: number[];
  scale?: number;
  returnProbs: boolean;
  chunkSize: number;
}

/** A bool (0/1) or additive (finite values and some -Inf) mask [T, S] from one seed. */
function maskData(kind: 'bool' | 'additive', T: number, S: number, seed: number): InputData {
  const r = mulberry32(seed);
  const vals = Array.from({ length: T * S }, () => {
    const u = r();
    if (kind === 'bool') return u < 0.7 ? 1 : 0;
    return u < 0.25 ? -Infinity : (r() - 0.5) * 6;
  });
  return kind === 'bool' ? { ...data([T, S], vals), dtype: 'bool' } : { shape: [T, S], data: Float64Array.from(vals) };
}

/** The reference takes an additive mask: a bool mask becomes 0 (visible) / -Infinity (hidden). */
function refMask(p: P, a: Record<string, NDArray>): ref.AttentionMask {
  if (p.mask === 'none' || p.mask === 'causal') return p.mask;
  if (p.mask === 'additive') return a.mask;
  return ndarray(Float64Array.from(a.mask.data, (x) => (x ? 0 : -Infinity)), a.mask.shape.slice());
}

function splitLens(T: number, seed: number): number[] {
  const r = mulberry32(seed);
  const out: number[] = [];
  let left = T;
  while (left > 0) {
    const L = 1 + Math.floor(r() * left);
    out.push(L);
    left -= L;
  }
  return out;
}

const cases: fc.Arbitrary<OpCase<P>> = fc
  .record({
    B: fc.constantFrom(0, 0, 1, 2),
    T: fc.integer({ min: 1, max: 6 }),
    S: fc.integer({ min: 1, max: 7 }),
    Hkv: fc.integer({ min: 1, max: 3 }),
    R: fc.integer({ min: 1, max: 3 }),
    d: fc.integer({ min: 1, max: 5 }),
    dv: fc.integer({ min: 1, max: 4 }),
    mask: fc.constantFrom<MaskKind>('none', 'causal', 'bool', 'additive'),
    packed: fc.boolean(),
    offsetShift: fc.option(fc.integer({ min: -3, max: 3 }), { nil: undefined }),
    scale: fc.option(fc.double({ min: 0.05, max: 2, noNaN: true }), { nil: undefined }),
    returnProbs: fc.boolean(),
    chunkSize: fc.integer({ min: 1, max: 4 }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .chain((c) => {
    const S = c.packed ? c.T : c.S;
    const H = c.Hkv * c.R;
    const lead = c.B ? [c.B] : [];
    const inputs: Record<string, fc.Arbitrary<InputData>> = {
      q: normalDataArb([...lead, c.T, H, c.d]),
      k: normalDataArb([...lead, S, c.Hkv, c.d]),
      v: normalDataArb([...lead, S, c.Hkv, c.dv]),
    };
    if (c.mask === 'bool' || c.mask === 'additive') inputs.mask = fc.constant(maskData(c.mask, c.T, S, c.seed));
    const params: P = {
      dims: { B: c.B, T: c.T, S, H, Hkv: c.Hkv, d: c.d, dv: c.dv },
      mask: c.mask,
      seqLens: c.packed ? splitLens(c.T, c.seed) : undefined,
      queryOffset: c.mask === 'causal' && !c.packed && c.offsetShift !== undefined ? S - c.T + c.offsetShift : undefined,
      scale: c.scale,
      returnProbs: c.returnProbs,
      chunkSize: c.chunkSize,
    };
    return fc.record({ inputs: fc.record(inputs), params: fc.constant(params) });
  });

function fastOpts(p: P, t: Record<string, tf.Tensor>): fast.ChunkedAttentionOptions {
  const mask = p.mask === 'none' || p.mask === 'causal' ? p.mask : t.mask;
  return { mask, queryOffset: p.queryOffset, seqLens: p.seqLens, scale: p.scale, returnProbs: p.returnProbs, chunkSize: p.chunkSize };
}

function asList<T>(r: T | { output: T; probs: T }): T[] {
  return r !== null && typeof r === 'object' && 'output' in (r as object) ? [(r as { output: T }).output, (r as { probs: T }).probs] : [r as T];
}

const tol = (c: OpCase<P>) => reductionTol(c.params.dims.S * c.params.dims.d);

const x3 = (shape: number[], seed = 1): InputData => ({ shape, data: normals(mulberry32(seed), shape.reduce((a, b) => a * b, 1)) });
const okQKV = { q: x3([3, 4, 2]), k: x3([5, 2, 2]), v: x3([5, 2, 3]) };
const base: P = { dims: { B: 0, T: 3, S: 5, H: 4, Hkv: 2, d: 2, dv: 3 }, mask: 'none', returnProbs: false, chunkSize: 2 };
const errors: ErrorCase<P>[] = [
  { what: 'H not a multiple of Hkv', inputs: { ...okQKV, q: x3([3, 3, 2]) }, params: base, error: ShapeError, message: /3 heads, not a multiple of the 2 kv heads/ },
  { what: 'k head dim different from q', inputs: { ...okQKV, k: x3([5, 2, 3]) }, params: base, error: ShapeError, message: /'k' has head dim 3 but 'q' has 2/ },
  { what: 'v with another S', inputs: { ...okQKV, v: x3([4, 2, 3]) }, params: base, error: ShapeError },
  { what: 'q of rank 2', inputs: { ...okQKV, q: x3([3, 8]) }, params: base, error: ShapeError, message: /'q' must have rank 3 or 4/ },
  { what: 'k of another rank than q', inputs: { ...okQKV, k: x3([1, 5, 2, 2]) }, params: base, error: ShapeError },
  { what: 'an int32 q', inputs: { ...okQKV, q: { ...x3([3, 4, 2]), dtype: 'int32' } }, params: base, error: DTypeError },
  { what: 'an empty k', inputs: { ...okQKV, k: x3([0, 2, 2]), v: x3([0, 2, 3]) }, params: base, error: ShapeError, message: /empty/ },
  { what: 'a mask of the wrong shape', inputs: { ...okQKV, mask: x3([3, 4]) }, params: { ...base, mask: 'additive' }, error: ShapeError, message: /\[T, S\] = \[3, 5\]/ },
  { what: 'an int32 mask', inputs: { ...okQKV, mask: { ...x3([3, 5]), dtype: 'int32' } }, params: { ...base, mask: 'additive' }, error: DTypeError, message: /bool or float32/ },
  { what: 'seqLens that do not sum to T', inputs: { q: x3([4, 4, 2]), k: x3([4, 2, 2]), v: x3([4, 2, 3]) }, params: { ...base, seqLens: [1, 2] }, error: ShapeError, message: /sum to 3/ },
  { what: 'seqLens with S != T', inputs: okQKV, params: { ...base, seqLens: [3] }, error: ShapeError, message: /needs S = T/ },
  { what: 'a zero sequence length', inputs: { q: x3([4, 4, 2]), k: x3([4, 2, 2]), v: x3([4, 2, 3]) }, params: { ...base, seqLens: [0, 4] }, error: ValueError },
  { what: 'queryOffset without a causal mask', inputs: okQKV, params: { ...base, queryOffset: 2 }, error: ValueError, message: /only applies to mask 'causal'/ },
  { what: 'a fractional queryOffset', inputs: okQKV, params: { ...base, mask: 'causal', queryOffset: 1.5 }, error: ValueError },
  { what: 'a NaN scale', inputs: okQKV, params: { ...base, scale: NaN }, error: ValueError, message: /'scale'/ },
  {
    what: 'a batch size mismatch', inputs: { q: x3([2, 3, 4, 2]), k: x3([1, 5, 2, 2]), v: x3([1, 5, 2, 3]) },
    params: base, error: ShapeError, message: /batch sizes differ/,
  },
  {
    what: 'an unknown mask name', inputs: okQKV, params: base, error: ValueError,
    call: (t) => fast.attention(t.q, t.k, t.v, { mask: 'full' as 'none' }),
  },
  {
    what: 'chunkSize 0', inputs: okQKV, params: base, error: ValueError, message: /'chunkSize'/,
    call: (t) => fast.attentionChunked(t.q, t.k, t.v, { chunkSize: 0 }),
  },
  {
    what: 'a dOut of the wrong shape', inputs: okQKV, params: base, error: ShapeError, message: /'dOut'/,
    call: (t) => {
      const dOut = tf.zeros([3, 4, 2]);
      try {
        return fast.attentionGrad(t.q, t.k, t.v, dOut);
      } finally {
        dOut.dispose();
      }
    },
  },
];

function spec(name: 'attention' | 'attentionChunked'): OpSpec<P> {
  return {
    name,
    cases,
    fast: (t, p) => asList(fast[name](t.q, t.k, t.v, fastOpts(p, t))),
    reference: (a, p) => asList(ref.attention(a.q, a.k, a.v, { ...p, mask: refMask(p, a) })),
    tol,
    numRuns: runs(40),
    samples: [
      {
        what: 'a row with no visible key gives zeros, not NaN',
        case: {
          inputs: { ...okQKV, mask: { ...data([3, 5], [1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]), dtype: 'bool' } },
          params: { ...base, mask: 'bool', returnProbs: true },
        },
      },
      {
        what: 'negative queryOffset: the first queries see nothing',
        case: { inputs: okQKV, params: { ...base, mask: 'causal', queryOffset: -1, returnProbs: true } },
      },
      {
        what: 'NaN in one query row stays in that row',
        case: { inputs: { ...okQKV, q: data([3, 4, 2], (i) => (i === 9 ? NaN : Math.sin(i))) }, params: base },
      },
      {
        what: 'scores of ±1000 stay finite',
        case: { inputs: { ...okQKV, q: data([3, 4, 2], (i) => (i % 2 ? 500 : -500)) }, params: { ...base, mask: 'causal' } },
      },
    ],
    errors,
  };
}

describe('attention', () => runOpSpec(spec('attention')));
describe('attentionChunked', () => runOpSpec(spec('attentionChunked')));

/** Random float32 tensor from a seed (for the focused tests). */
function rand(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(Float32Array.from(normals(mulberry32(seed), shape.reduce((a, b) => a * b, 1))), shape);
}

describe('attention (focused)', () => {
  forEachBackend(() => {
    it('chunked equals unchunked on a larger causal GQA case, for several chunk sizes', async () => {
      const q = rand([37, 6, 8], 1);
      const k = rand([45, 2, 8], 2);
      const v = rand([45, 2, 5], 3);
      await expectNoLeak(() => {
        const full = fast.attention(q, k, v, { mask: 'causal', returnProbs: true });
        for (const chunkSize of [1, 7, 16, 37, 100]) {
          const c = fast.attentionChunked(q, k, v, { mask: 'causal', returnProbs: true, chunkSize });
          assertClose(c.output, toNd(full.output), { rtol: 1e-5, atol: 1e-6 }, `chunk ${chunkSize} output`);
          assertClose(c.probs, toNd(full.probs), { rtol: 1e-5, atol: 1e-7 }, `chunk ${chunkSize} probs`);
          tf.dispose([c.output, c.probs]);
        }
        tf.dispose([full.output, full.probs]);
      });
      tf.dispose([q, k, v]);
    });

    it('a KV-cache step (one query, queryOffset S-1) equals the last row of full causal attention', () => {
      const q = rand([9, 4, 6], 4);
      const k = rand([9, 1, 6], 5);
      const v = rand([9, 1, 6], 6);
      const full = fast.attention(q, k, v, { mask: 'causal' });
      const last = tf.slice(q, [8, 0, 0], [1, -1, -1]);
      const step = fast.attention(last, k, v, { mask: 'causal', queryOffset: 8 });
      const stepDefault = fast.attention(last, k, v, { mask: 'causal' });
      const want = tf.slice(full, [8, 0, 0], [1, -1, -1]);
      assertClose(step, toNd(want), { rtol: 1e-6, atol: 1e-6 });
      assertClose(stepDefault, toNd(want), { rtol: 1e-6, atol: 1e-6 });
      tf.dispose([q, k, v, full, last, step, stepDefault, want]);
    });

    it('seqLens equals running each packed sequence on its own', () => {
      const lens = [3, 1, 4];
      const q = rand([8, 2, 4], 7);
      const k = rand([8, 2, 4], 8);
      const packed = fast.attention(q, k, k, { seqLens: lens, mask: 'causal' });
      let t0 = 0;
      for (const L of lens) {
        const [qs, ks] = [tf.slice(q, [t0, 0, 0], [L, -1, -1]), tf.slice(k, [t0, 0, 0], [L, -1, -1])];
        const alone = fast.attention(qs, ks, ks, { mask: 'causal' });
        const part = tf.slice(packed, [t0, 0, 0], [L, -1, -1]);
        assertClose(part, toNd(alone), { rtol: 1e-6, atol: 1e-6 }, `sequence at ${t0}`);
        tf.dispose([qs, ks, alone, part]);
        t0 += L;
      }
      tf.dispose([q, k, packed]);
    });

    it('equal-length seqLens (the equal-block schedule: short blocks batched, long blocks per block and head) equal the reference and the generic path', async () => {
      for (const [R, L, dv] of [[3, 5, 4], [2, 64, 3], [1, 70, 4]] as const) {
        const [H, d] = [2, 4];
        const q = rand([R * L, H, d], 11 + L);
        const k = rand([R * L, H, d], 12 + L);
        const v = rand([R * L, H, dv], 13 + L);
        const seqLens = new Array<number>(R).fill(L);
        const want = ref.attention(toNd(q), toNd(k), toNd(v), { seqLens }) as NDArray;
        await expectNoLeak(() => {
          const out = fast.attention(q, k, v, { seqLens, scale: 0.3 });
          const generic = fast.attention(q, k, v, { seqLens, scale: 0.3, returnProbs: true }); // probabilities: the generic block path
          assertClose(out, toNd(generic.output), { rtol: 1e-5, atol: 1e-6 }, `R=${R} L=${L}: equal-block vs generic`);
          tf.dispose([out, generic.output, generic.probs]);
          const plain = fast.attention(q, k, v, { seqLens });
          assertClose(plain, want, reductionTol(L), `R=${R} L=${L}: vs reference`);
          plain.dispose();
          const g = tf.grad((qq: tf.Tensor) => tf.sum(fast.attention(qq, k, v, { seqLens })))(q); // under a gradient: the differentiable path
          expect(g.shape).toEqual(q.shape);
          g.dispose();
        });
        tf.dispose([q, k, v]);
      }
    });

    it('the chunked variant never holds [H, T, S] scores: its peak extra memory is a fraction of the unchunked one', async () => {
      const [T, H, Hkv, d] = [256, 4, 1, 8];
      const q = rand([T, H, d], 9);
      const k = rand([T, Hkv, d], 10);
      const peak = async (f: () => tf.Tensor) => {
        const start = tf.memory().numBytes;
        const info = await tf.profile(f);
        (info.result as tf.Tensor).dispose();
        return info.peakBytes - start;
      };
      const full = await peak(() => fast.attention(q, k, k, { mask: 'causal' }));
      const chunked = await peak(() => fast.attentionChunked(q, k, k, { chunkSize: 16, mask: 'causal' }));
      const scores = H * T * T * 4;
      expect(full).toBeGreaterThanOrEqual(scores); // the unchunked path materialises [H, T, S]
      // Measured: full ≈ 4.4 × [H, T, S], chunked (16 of 256 rows per block) ≈ 0.34 ×.
      expect(chunked).toBeLessThan(scores / 2);
      expect(chunked).toBeLessThan(full / 8);
      tf.dispose([q, k]);
    });
  });
});

type GradCase = { name: string; T: number; S: number; H: number; Hkv: number; d: number; dv: number; opts: ref.ChunkedAttentionOptions; boolMask?: number[] };
const gradCases: GradCase[] = [
  { name: 'bidirectional MHA', T: 4, S: 5, H: 2, Hkv: 2, d: 3, dv: 3, opts: {} },
  { name: 'causal GQA (R = 3) with a KV cache offset', T: 3, S: 6, H: 6, Hkv: 2, d: 4, dv: 2, opts: { mask: 'causal' } },
  { name: 'causal MQA, custom scale', T: 5, S: 5, H: 3, Hkv: 1, d: 2, dv: 4, opts: { mask: 'causal', scale: 0.9 } },
  { name: 'bool mask with a fully masked row', T: 3, S: 4, H: 2, Hkv: 1, d: 3, dv: 2, opts: {}, boolMask: [1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1] },
  { name: 'packed sequences, causal', T: 6, S: 6, H: 4, Hkv: 2, d: 3, dv: 3, opts: { seqLens: [2, 4], mask: 'causal' } },
  { name: 'chunked causal GQA', T: 7, S: 7, H: 4, Hkv: 2, d: 3, dv: 3, opts: { mask: 'causal', chunkSize: 3 } },
];

/** Item 0 of a batched tensor as an NDArray. */
function nd0(t: tf.Tensor): NDArray {
  const s = t.squeeze([0]);
  const a = toNd(s);
  s.dispose();
  return a;
}

describe('attention gradients (customGrad vs the reference analytic gradient)', () => {
  forEachBackend(() => {
    for (const g of gradCases) {
      it(g.name, async () => {
        const q = rand([g.T, g.H, g.d], 11);
        const k = rand([g.S, g.Hkv, g.d], 12);
        const v = rand([g.S, g.Hkv, g.dv], 13);
        const dO = rand([g.T, g.H, g.dv], 14);
        const mask = g.boolMask ? tf.tensor(Uint8Array.from(g.boolMask), [g.T, g.S], 'bool') : undefined;
        const refOpts = { ...g.opts, mask: mask ? ndarray(Float64Array.from(g.boolMask!, (x) => (x ? 0 : -Infinity)), [g.T, g.S]) : g.opts.mask };
        const want = ref.attentionGrad(toNd(q), toNd(k), toNd(v), toNd(dO), refOpts);
        const opts = { ...g.opts, mask: mask ?? (g.opts.mask as 'causal' | undefined) };
        await expectNoLeak(() => {
          const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
            (opts.chunkSize ? fast.attentionChunked(a, b, c, opts) : fast.attention(a, b, c, opts)) as tf.Tensor;
          const [dq, dk, dv] = tf.grads(f)([q, k, v], dO);
          const tl = reductionTol(g.S * g.d * g.H);
          assertClose(dq, want.dq, tl, 'dq');
          assertClose(dk, want.dk, tl, 'dk');
          assertClose(dv, want.dv, tl, 'dv');
          const viaHelper = g.opts.chunkSize ? null : fast.attentionGrad(q, k, v, dO, opts);
          if (viaHelper) assertClose(viaHelper.dk, want.dk, tl, 'attentionGrad dk');
          tf.dispose([dq, dk, dv]);
          if (viaHelper) tf.dispose([viaHelper.dq, viaHelper.dk, viaHelper.dv]);
        }, g.name);
        tf.dispose([q, k, v, dO]);
        if (mask) mask.dispose();
      });
    }

    it('the gradient flows through returned probabilities too', () => {
      const [T, S, H, Hkv, d] = [3, 4, 4, 2, 3];
      const q = rand([T, H, d], 15);
      const k = rand([S, Hkv, d], 16);
      const v = rand([S, Hkv, d], 17);
      const dO = rand([T, H, d], 18);
      const dP = rand([H, T, S], 19);
      const want = ref.attentionGrad(toNd(q), toNd(k), toNd(v), toNd(dO), { mask: 'causal' }, toNd(dP));
      const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        const r = fast.attentionChunked(a, b, c, { mask: 'causal', returnProbs: true, chunkSize: 2 });
        return tf.add(tf.sum(tf.mul(r.output, dO)), tf.sum(tf.mul(r.probs, dP)));
      };
      const [dq, dk, dv] = tf.grads(loss)([q, k, v]);
      const tl = reductionTol(S * d * H);
      assertClose(dq, want.dq, tl, 'dq');
      assertClose(dk, want.dk, tl, 'dk');
      assertClose(dv, want.dv, tl, 'dv');
      tf.dispose([q, k, v, dO, dP, dq, dk, dv]);
    });

    it('batch size 1 backpropagates (issue 16: tf.unstack\'s gradient threw), equal to the unbatched gradient', async () => {
      // The issue's own case: q [1, 5, 4, 4], k, v [1, 5, 2, 4], causal, loss = sum of the output.
      const q = rand([1, 5, 4, 4], 22);
      const k = rand([1, 5, 2, 4], 23);
      const v = rand([1, 5, 2, 4], 24);
      const want = ref.attentionGrad(nd0(q), nd0(k), nd0(v), ndarray(new Float64Array(5 * 4 * 4).fill(1), [5, 4, 4]), { mask: 'causal' });
      await expectNoLeak(() => {
        for (const chunked of [false, true]) {
          const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
            tf.sum((chunked ? fast.attentionChunked(a, b, c, { mask: 'causal', chunkSize: 2 }) : fast.attention(a, b, c, { mask: 'causal' })) as tf.Tensor);
          const [dq, dk, dv] = tf.grads(f)([q, k, v]);
          expect([dq.shape, dk.shape, dv.shape]).toEqual([[1, 5, 4, 4], [1, 5, 2, 4], [1, 5, 2, 4]]);
          const tl = reductionTol(5 * 4 * 4);
          tf.tidy(() => {
            assertClose(dq.squeeze([0]), want.dq, tl, 'dq');
            assertClose(dk.squeeze([0]), want.dk, tl, 'dk');
            assertClose(dv.squeeze([0]), want.dv, tl, 'dv');
          });
          tf.dispose([dq, dk, dv]);
        }
      }, 'batch 1');
      tf.dispose([q, k, v]);
    });

    it('an error inside tf.grad leaks nothing', async () => {
      const q = rand([2, 3, 2], 20);
      const k = rand([2, 2, 2], 21);
      await expectThrowsNoLeak(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => fast.attention(a, b, b))([q, k]), ShapeError, /not a multiple/);
      tf.dispose([q, k]);
    });
  });
});

/**
 * Position ids and rotations of the text decoder (spec 5.1 RoPE, 5.3 FoPE, 8): the RoPE tables and
 * rotation against hand-computed angles, fast == reference for the tables and the rotation of q
 * and k (RoPE and FoPE, shared or per-KV-head coefficients, with or without a batch axis), the
 * config switch between them, `resolvePositions` (defaults after a KV cache, broadcast rows,
 * int32 tensors) with its typed errors, and no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../../reference/models/qwen3/rotary.js';
import { toFlat } from '../../../reference/ndarray.js';
import { CheckpointError, ShapeError, ValueError } from '../../../src/errors.js';
import { memoryWeights } from '../../../src/io/weights.js';
import { positionEncoding, Qwen3RotaryEmbedding, resolvePositions, sameRows } from '../../../src/models/qwen3/rotary.js';
import { FOPE_PADDING_VLLM } from '../../../src/nn/fope.js';
import { assertClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { normalData, specArb, tinyConfig, tinySpec, tinyWeights } from './helpers.js';
import { runs } from '../../support/runs.js';

const ROTARY = 'model.language_model.rotary_emb';
/** float32 tables of angles up to 63 rad: a few ulps of 63. */
const TABLE_TOL = { rtol: 1e-5, atol: 2e-5 };

const caseArb = fc.record({
  s: specArb(['dense', 'pro']).map((s) => (s.kind === 'pro' ? { ...s, fope: true } : s)),
  positions: fc.array(fc.integer({ min: 0, max: 63 }), { minLength: 1, maxLength: 6 }),
  B: fc.integer({ min: 1, max: 2 }),
  seed: fc.nat(),
});

forEachBackend(() => {
  describe('Qwen3RotaryEmbedding (RoPE, neox layout)', () => {
    it('tables and rotation against hand-computed angles: d = 4, θ = 10⁴, inv_freq = [1, 0.01]', async () => {
      const rope = new Qwen3RotaryEmbedding(4, 10000);
      const pos = [0, 1, 5];
      // HF builds inv_freq and the angles p·inv_freq in float32
      const ang = pos.map((p) => [p, Math.fround(p * Math.fround(0.01)), p, Math.fround(p * Math.fround(0.01))]);
      await expectNoLeak(() => {
        const t = rope.tables(pos);
        assertClose(t.cos, { shape: [3, 4], data: ang.flat().map(Math.cos) }, { rtol: 0, atol: 1e-6 });
        assertClose(t.sin, { shape: [3, 4], data: ang.flat().map(Math.sin) }, { rtol: 0, atol: 1e-6 });
        // x = [1, 2, 3, 4] at position 1: x·cos + rotate_half(x)·sin, rotate_half(x) = [−3, −4, 1, 2]
        const x = tf.tensor3d([1, 2, 3, 4], [1, 1, 4]);
        const one = rope.tables([1]);
        const y = rope.apply(x, one);
        const [c1, s1, c2, s2] = [Math.cos(1), Math.sin(1), Math.cos(0.01), Math.sin(0.01)];
        assertClose(y, { shape: [1, 1, 4], data: [c1 - 3 * s1, 2 * c2 - 4 * s2, 3 * c1 + s1, 4 * c2 + 2 * s2] }, { rtol: 1e-6, atol: 1e-6 });
        tf.dispose([t.cos, t.sin, x, one.cos, one.sin, y]);
      });
      expect(rope.kind).toBe('rope');
      const r = new ref.Qwen3RotaryEmbedding(4, 10000).tables(pos);
      assertClose({ shape: [3, 4], data: toFlat(r.cos) }, { shape: [3, 4], data: ang.flat().map(Math.cos) }, { rtol: 0, atol: 1e-12 });
    });
  });

  describe('positionEncoding: RoPE or FoPE, fast == reference', () => {
    it('tables and rotation of q [T, H, d] and k [B, T, Hkv, d] for random configs and positions', async () => {
      await fc.assert(fc.asyncProperty(caseArb, async ({ s, positions, B, seed }) => {
        const cfg = tinyConfig(s);
        const w = tinyWeights(s, seed);
        const T = positions.length;
        const q = normalData([T, s.H, s.d], seed + 1);
        const k = normalData([B, T, s.Hkv, s.d], seed + 2);
        const r = ref.positionEncoding(cfg, w, ROTARY);
        const rt = r.tables(positions);
        const [wantQ, wantK] = [r.apply(dataToNd(q), rt), r.apply(dataToNd(k), rt)];
        await expectNoLeak(() => {
          const pe = positionEncoding(cfg, w, ROTARY);
          expect(pe.kind).toBe(s.fope ? 'fope' : 'rope');
          const t = pe.tables(positions);
          expect(t.cos.shape).toEqual(s.fope ? [s.sepHead ? s.Hkv : 1, T, s.d] : [T, s.d]);
          assertClose(t.cos, rt.cos, TABLE_TOL, 'cos');
          assertClose(t.sin, rt.sin, TABLE_TOL, 'sin');
          const [qt, kt] = [dataToTf(q), dataToTf(k)];
          const [gq, gk] = [pe.apply(qt, t), pe.apply(kt, t)];
          assertClose(gq, wantQ, TABLE_TOL, 'q');
          assertClose(gk, wantK, TABLE_TOL, 'k');
          tf.dispose([t.cos, t.sin, qt, kt, gq, gk]);
          pe.dispose();
        });
      }), { numRuns: runs(20) });
    });

    it('the vLLM FoPE padding (sin 0 in the clipped lanes) differs from the trained one; fast == reference', async () => {
      const s = tinySpec({ numInvFreq: 2 });
      const cfg = tinyConfig(s);
      const w = tinyWeights(s, 9);
      const r = ref.positionEncoding(cfg, w, ROTARY, { fopePadding: FOPE_PADDING_VLLM }).tables([3, 7]);
      await expectNoLeak(() => {
        const pe = positionEncoding(cfg, w, ROTARY, { fopePadding: FOPE_PADDING_VLLM });
        const trained = positionEncoding(cfg, w, ROTARY);
        const [a, b] = [pe.tables([3, 7]), trained.tables([3, 7])];
        assertClose(a.sin, r.sin, TABLE_TOL);
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a.sin, b.sin))));
        expect(diff.dataSync()[0]).toBeGreaterThan(0.5); // sin padding 0 vs 1
        tf.dispose([a.cos, a.sin, b.cos, b.sin, diff]);
        pe.dispose();
        trained.dispose();
      });
    });

    it('chooses FoPE when any FoPE key is set, RoPE otherwise; names missing or misshapen coefficients', async () => {
      const dense = tinySpec({ kind: 'dense', fope: false });
      expect(positionEncoding(tinyConfig(dense), memoryWeights({}), ROTARY).kind).toBe('rope');
      const pro = tinySpec({});
      const cfg = tinyConfig(pro);
      await expectThrowsNoLeak(() => positionEncoding(cfg, memoryWeights({}), ROTARY), CheckpointError, /rotary_emb\.cos_coef/);
      const w = tinyWeights(pro, 3);
      await expectThrowsNoLeak(() => positionEncoding({ ...cfg, rope_scaling: { ...cfg.rope_scaling!, fope_sep_head: false } }, w, ROTARY), ShapeError, /cos_coef' has shape \[2, \d+, \d+\], but the config needs \[\d+, \d+\]/);
      await expectNoLeak(() => positionEncoding(cfg, w, ROTARY).dispose()); // the coefficients are freed by dispose
    });
  });

  describe('resolvePositions', () => {
    it('int32 tensors of [T] and [B, T] are read like arrays; other tensors are ShapeErrors', async () => {
      const one = tf.tensor1d([4, 5, 6], 'int32');
      const two = tf.tensor2d([[0, 1, 2], [7, 8, 9]], [2, 3], 'int32');
      const floats = tf.tensor1d([0, 1, 2]);
      const cube = tf.zeros([1, 1, 3], 'int32');
      await expectNoLeak(() => {
        expect(resolvePositions('op', one, 2, 3, 0, 64)).toEqual([[4, 5, 6], [4, 5, 6]]);
        expect(resolvePositions('op', two, 2, 3, 0, 64)).toEqual([[0, 1, 2], [7, 8, 9]]);
      });
      await expectThrowsNoLeak(() => resolvePositions('op', floats, 1, 3, 0, 64), ShapeError, /^op: 'positions' tensor must be int32 \[T\] or \[B, T\], got float32 \[3\]$/);
      await expectThrowsNoLeak(() => resolvePositions('op', cube, 1, 3, 0, 64), ShapeError, /int32 \[1, 1, 3\]/);
      tf.dispose([one, two, floats, cube]);
    });
  });
});

describe('resolvePositions (host arrays)', () => {
  it('defaults to past .. past + T − 1, broadcasts one row, keeps one row per batch item; the reference agrees', () => {
    expect(resolvePositions('op', undefined, 2, 3, 0, 64)).toEqual([[0, 1, 2], [0, 1, 2]]);
    expect(resolvePositions('op', undefined, 1, 2, 5, 64)).toEqual([[5, 6]]);
    expect(resolvePositions('op', [9, 3], 2, 2, 0, 64)).toEqual([[9, 3], [9, 3]]);
    expect(resolvePositions('op', Int32Array.from([1, 2]), 1, 2, 0, 64)).toEqual([[1, 2]]);
    expect(resolvePositions('op', [[1, 2], [3, 4]], 2, 2, 7, 64)).toEqual([[1, 2], [3, 4]]);
    expect(resolvePositions('op', [[0, 63]], 3, 2, 0, 64)).toEqual([[0, 63], [0, 63], [0, 63]]);
    for (const [p, B, T, past] of [[undefined, 2, 3, 4], [[9, 3], 2, 2, 0], [[[1, 2], [3, 4]], 2, 2, 0]] as const) {
      expect(ref.resolvePositions('op', p as never, B, T, past, 64)).toEqual(resolvePositions('op', p as never, B, T, past, 64));
    }
  });

  const bad: [string, () => unknown, new (...a: never[]) => Error, RegExp][] = [
    ['a row of the wrong length', () => resolvePositions('op', [0, 1], 1, 3, 0, 64), ShapeError, /^op: 'positions' row 0 has 2 ids but the input has T = 3 tokens$/],
    ['neither 1 nor B rows', () => resolvePositions('op', [[0], [1], [2]], 2, 1, 0, 64), ShapeError, /'positions' has 3 rows, expected 1 or the batch size 2/],
    ['a negative id', () => resolvePositions('op', [0, -1], 1, 2, 0, 64), ValueError, /^op: position id -1 at \[0, 1\] is outside \[0, 64\)/],
    ['a fractional id', () => resolvePositions('op', [[0, 1], [0.5, 1]], 2, 2, 0, 64), ValueError, /position id 0\.5 at \[1, 0\]/],
    ['an id at the bound', () => resolvePositions('op', [64], 1, 1, 0, 64), ValueError, /position id 64 .*raise 'maxPosition' to extrapolate/],
    ['default ids running past the bound after a cache', () => resolvePositions('op', undefined, 1, 2, 63, 64), ValueError, /position id 64 at \[0, 1\]/],
  ];
  for (const [what, call, cls, msg] of bad) {
    it(`rejects ${what} with a ${cls.name}`, () => {
      expect(call).toThrow(cls);
      expect(call).toThrow(msg);
    });
  }

  it('the reference rejects the same ids', () => {
    expect(() => ref.resolvePositions('op', [0, -1], 1, 2, 0, 64)).toThrow(/bad position ids/);
    expect(() => ref.resolvePositions('op', [0, 1], 1, 3, 0, 64)).toThrow(/for T = 3/);
    expect(() => ref.resolvePositions('op', undefined, 1, 2, 63, 64)).toThrow(/max 64/);
  });

  it('sameRows: one table serves the batch only when every row is equal', () => {
    expect(sameRows([[1, 2], [1, 2]])).toBe(true);
    expect(sameRows([[1, 2]])).toBe(true);
    expect(sameRows([[1, 2], [1, 3]])).toBe(false);
    expect(ref.sameRows([[1, 2], [2, 1]])).toBe(false);
  });
});

import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NDArray } from '../../reference/ndarray.js';
import * as ref from '../../reference/nn/fope.js';
import * as refRope from '../../reference/ops/rope.js';
import { CheckpointError, ConfigError, ShapeError, ValueError } from '../../src/errors.js';
import { memoryWeights } from '../../src/io/weights.js';
import * as fast from '../../src/nn/fope.js';
import { applyRope, ropeTables } from '../../src/ops/rope.js';
import { mulberry32, normals } from '../support/arbitraries.js';
import { assertClose } from '../support/assert-close.js';
import { forEachBackend } from '../support/backends.js';
import { dataToNd, dataToTf } from '../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../support/leak.js';

/**
 * Table tolerance. Both sides use the same float32 angles fround(t·ω_i) (part of the model's
 * definition, spec 10.3), so what differs is the float32 evaluation of cos/sin (measured ≤ 3.2e-7
 * absolute on wasm at angles up to 2.6e5 rad, ≤ 3e-8 on cpu) and the float32 K-term Fourier sum
 * (≤ K·2^-24·Σ|coef| ≈ 1e-6 for K ≤ 45 and coefficients of size ~1). atol 1e-5 covers both with
 * a 10x margin; a wrong frequency, coefficient or lane would be off by O(0.1).
 */
const TABLE_TOL = { rtol: 1e-5, atol: 1e-5 };

const PRO = {
  head_dim: 128, num_key_value_heads: 4, rope_theta: 5e6, max_position_embeddings: 262144,
  rope_scaling: { fope_init_factor: 0.5, fope_sep_head: true, num_inv_freq: null },
};

function coefData(G: number | null, K: number, seed: number, noise = 0.3): { shape: number[]; data: Float64Array } {
  const shape = G === null ? [K, K] : [G, K, K];
  const data = normals(mulberry32(seed), shape.reduce((a, b) => a * b, 1), noise);
  for (let i = 0; i < data.length; i++) if (Math.floor(i / K) % K === i % K) data[i] += 1;
  return { shape, data };
}

const tableCase = fc.record({
  half: fc.integer({ min: 1, max: 8 }),
  kPick: fc.nat(),
  G: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
  positions: fc.array(fc.integer({ min: 0, max: 300000 }), { minLength: 1, maxLength: 5 }),
  vllm: fc.boolean(),
  seed: fc.nat(),
});

forEachBackend(() => {
  describe('fopeFrequencies', () => {
    it('keeps K = 45 frequencies for Intern-S1-Pro (ω_44 above 2π/L, ω_45 below), the same in both', () => {
      const f = fast.fopeFrequencies(128, 5e6, 262144, null);
      expect(f.length).toBe(45);
      expect(Array.from(ref.fopeFrequencies(128, 5e6, 262144, null))).toEqual(Array.from(f));
      // independent check of the two frequencies on either side of the floor (spec 5.3 step 2)
      expect(5e6 ** (-88 / 128)).toBeGreaterThan((2 * Math.PI) / 262144);
      expect(5e6 ** (-90 / 128)).toBeLessThan((2 * Math.PI) / 262144);
      expect(f[44]).toBeCloseTo(2.48e-5, 7);
      expect(fast.FourierPositionEmbedding.frequencies(PRO).length).toBe(45);
    });
    it('num_inv_freq keeps a prefix, and a longer window keeps more frequencies', () => {
      expect(fast.fopeFrequencies(16, 1e4, 64, 3).length).toBe(3);
      expect(fast.fopeFrequencies(16, 1e4, 64, null).length).toBe(3); // 1, 0.316, 0.1 > 2π/64 ≈ 0.098
      expect(fast.fopeFrequencies(16, 1e4, 1e6, null).length).toBe(8);
    });
    it('rejects an odd head dim, num_inv_freq > d/2 and a window that keeps nothing', () => {
      expect(() => fast.fopeFrequencies(7, 1e4, 64, null)).toThrow(ValueError);
      expect(() => fast.fopeFrequencies(8, 1e4, 64, 5)).toThrow(ConfigError);
      expect(() => fast.fopeFrequencies(8, 1e4, 4, null)).toThrow(ConfigError);
    });
  });

  describe('fopeTables', () => {
    it('fast == reference for random coefficients, heads, positions up to 3e5 and both paddings', async () => {
      await fc.assert(fc.asyncProperty(tableCase, async ({ half, kPick, G, positions, vllm, seed }) => {
        const d = 2 * half;
        const freqs = fast.fopeFrequencies(d, 1e4, 1e9, (kPick % half) + 1);
        const K = freqs.length;
        const c = coefData(G, K, seed);
        const s = coefData(G, K, seed + 1);
        const pad = vllm ? fast.FOPE_PADDING_VLLM : fast.FOPE_PADDING_TRAINED;
        const want = ref.fopeTables(positions, freqs, dataToNd(c), dataToNd(s), d, pad);
        await expectNoLeak(() => {
          const [ct, st] = [dataToTf(c), dataToTf(s)];
          const got = fast.fopeTables(positions, freqs, ct, st, d, pad);
          expect(got.cos.shape).toEqual([G ?? 1, positions.length, d]);
          assertClose(got.cos, want.cos, TABLE_TOL, 'cos');
          assertClose(got.sin, want.sin, TABLE_TOL, 'sin');
          tf.dispose([ct, st, got.cos, got.sin]);
        });
      }));
    });
    it('at Intern-S1-Pro sizes the tables are finite at position 262143 and match the reference', () => {
      const init = fast.fopeInitCoefficients(45, 4, 0.5, 123);
      const refInit = ref.fopeInitCoefficients(45, 4, 0.5, 123);
      const freqs = fast.fopeFrequencies(128, 5e6, 262144, null);
      const positions = [0, 1, 131071, 262142, 262143];
      const got = fast.fopeTables(positions, freqs, init.cosCoef, init.sinCoef, 128);
      const c = got.cos.dataSync();
      expect(c.every(Number.isFinite) && got.sin.dataSync().every(Number.isFinite)).toBe(true);
      const want = ref.fopeTables(positions, freqs, refInit.cosCoef, refInit.sinCoef, 128);
      assertClose(got.cos, want.cos, TABLE_TOL, 'cos');
      assertClose(got.sin, want.sin, TABLE_TOL, 'sin');
      // lanes 45..63 (and 109..127) are the padding constant 1, at every position
      for (let t = 0; t < positions.length; t++) for (const j of [45, 63, 109, 127]) expect(c[t * 128 + j]).toBe(1);
      tf.dispose([init.cosCoef, init.sinCoef, got.cos, got.sin]);
    });
    it('with identity coefficients and K = d/2 (no clipping) equals RoPE exactly', () => {
      const d = 16;
      const freqs = fast.fopeFrequencies(d, 1e4, 64, d / 2);
      const eye = tf.eye(d / 2);
      const positions = [0, 3, 17, 1000, 262143];
      const f = fast.fopeTables(positions, freqs, eye, eye, d);
      const r = ropeTables(positions, d, 1e4);
      expect(Array.from(f.cos.dataSync())).toEqual(Array.from(r.cos.dataSync()));
      expect(Array.from(f.sin.dataSync())).toEqual(Array.from(r.sin.dataSync()));
      const x = tf.randomNormal([positions.length, 3, d], 0, 1, 'float32', 5);
      expect(Array.from(fast.applyFope(x, f.cos, f.sin).dataSync())).toEqual(Array.from(applyRope(x, r.cos, r.sin).dataSync()));
      // the reference says the same
      const eyeNd = dataToNd({ shape: [d / 2, d / 2], data: Float64Array.from({ length: (d * d) / 4 }, (_, i) => (Math.floor(i / (d / 2)) === i % (d / 2) ? 1 : 0)) });
      const rf = ref.fopeTables(positions, freqs, eyeNd, eyeNd, d);
      const rr = refRope.ropeTables(positions, d, 1e4);
      expect(Array.from(rf.cos.data)).toEqual(Array.from(rr.cos.data));
      tf.dispose([eye, f.cos, f.sin, r.cos, r.sin, x]);
    });
  });

  describe('applyFope', () => {
    it('fast == reference; head n uses table ⌊n / (H/G)⌋', async () => {
      await fc.assert(fc.asyncProperty(fc.record({ G: fc.integer({ min: 1, max: 3 }), R: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 1, max: 4 }), half: fc.integer({ min: 1, max: 4 }), B: fc.integer({ min: 0, max: 2 }), seed: fc.nat() }), async ({ G, R, T, half, B, seed }) => {
        const d = 2 * half;
        const rand = mulberry32(seed);
        const x = { shape: B ? [B, T, G * R, d] : [T, G * R, d], data: normals(rand, (B || 1) * T * G * R * d) };
        const c = { shape: [G, T, d], data: normals(rand, G * T * d) };
        const s = { shape: [G, T, d], data: normals(rand, G * T * d) };
        const want = ref.applyFope(dataToNd(x), dataToNd(c), dataToNd(s));
        await expectNoLeak(() => {
          const t = [dataToTf(x), dataToTf(c), dataToTf(s)];
          const y = fast.applyFope(t[0], t[1], t[2]);
          assertClose(y, want, { rtol: 1e-5, atol: 1e-6 });
          tf.dispose([...t, y]);
        });
      }));
    });
    it('a padded lane pair contributes a position-independent, doubled term (halved back with sin = 0)', () => {
      const d = 8; // lanes j = 0..3, paired with j + 4; keep K = 2 so lanes 2, 3 (and 6, 7) are padded
      const freqs = fast.fopeFrequencies(d, 1e4, 64, 2);
      const coef = dataToTf(coefData(1, 2, 9));
      const q = [0, 0, 0.7, 0, 0, 0, -1.3, 0]; // only the padded pair (2, 6)
      const k = [0, 0, 0.4, 0, 0, 0, 2.1, 0];
      const plain = q[2] * k[2] + q[6] * k[6];
      for (const [pad, factor] of [[fast.FOPE_PADDING_TRAINED, 2], [fast.FOPE_PADDING_VLLM, 1]] as const) {
        for (const [tq, tk] of [[0, 0], [5, 2], [1000, 7], [262143, 3]]) {
          const tq_ = fast.fopeTables([tq], freqs, coef, coef, d, pad);
          const tk_ = fast.fopeTables([tk], freqs, coef, coef, d, pad);
          const qr = fast.applyFope(tf.tensor3d([[q]]), tq_.cos, tq_.sin).dataSync();
          const kr = fast.applyFope(tf.tensor3d([[k]]), tk_.cos, tk_.sin).dataSync();
          let dot = 0;
          for (let i = 0; i < d; i++) dot += qr[i] * kr[i];
          expect(dot).toBeCloseTo(factor * plain, 5);
          tf.dispose([tq_.cos, tq_.sin, tk_.cos, tk_.sin]);
        }
      }
      coef.dispose();
    });
    it('rejects tables of another T or d, and G not dividing H', async () => {
      const x = tf.zeros([2, 4, 8]);
      const ok = tf.zeros([2, 2, 8]);
      const otherT = tf.zeros([2, 3, 8]);
      const threeG = tf.zeros([3, 2, 8]);
      const flat = tf.zeros([4, 8]);
      await expectThrowsNoLeak(() => fast.applyFope(x, otherT, ok), ShapeError, /'cos' must have shape \[G, T, d\]/);
      await expectThrowsNoLeak(() => fast.applyFope(x, threeG, threeG), ShapeError, /do not divide/);
      await expectThrowsNoLeak(() => fast.applyFope(flat, ok, ok), ShapeError);
      tf.dispose([x, ok, otherT, threeG, flat]);
    });
  });

  describe('fopeInitCoefficients', () => {
    it('fast == reference, identity plus Xavier-normal noise with the PyTorch fan rule', () => {
      const f = fast.fopeInitCoefficients(45, 4, 0.5, 123);
      const r = ref.fopeInitCoefficients(45, 4, 0.5, 123);
      assertClose(f.cosCoef, r.cosCoef, { rtol: 1e-7, atol: 1e-7 });
      assertClose(f.sinCoef, r.sinCoef, { rtol: 1e-7, atol: 1e-7 });
      const stats = (a: NDArray) => {
        let off = 0;
        let n = 0;
        let diag = 0;
        for (let i = 0; i < a.size; i++) {
          const isDiag = Math.floor(i / 45) % 45 === i % 45;
          if (isDiag) diag += a.data[i] / 180;
          else { off += a.data[i] ** 2; n++; }
        }
        return { std: Math.sqrt(off / n), diag };
      };
      const want = 0.5 * Math.sqrt(2 / (45 * 45 + 4 * 45)); // ≈ 0.01506 (spec 5.3)
      expect(want).toBeCloseTo(0.01506, 5);
      for (const a of [r.cosCoef, r.sinCoef]) {
        const st = stats(a);
        expect(Math.abs(st.std / want - 1)).toBeLessThan(0.05); // 7920 samples: sampling error ≈ 0.8%
        expect(Math.abs(st.diag - 1)).toBeLessThan(0.01);
      }
      // shared [K, K]: fan_in = fan_out = K
      const shared = ref.fopeInitCoefficients(40, null, 1, 3);
      expect(shared.cosCoef.shape).toEqual([40, 40]);
      expect(Math.abs(stats(ref.fopeInitCoefficients(45, null, 1, 4).cosCoef).std * Math.sqrt(45) - 1)).toBeLessThan(0.05);
      // seeded: same seed same draw, another seed another
      const again = fast.fopeInitCoefficients(45, 4, 0.5, 123);
      const other = fast.fopeInitCoefficients(45, 4, 0.5, 124);
      expect(Array.from(again.cosCoef.dataSync())).toEqual(Array.from(f.cosCoef.dataSync()));
      expect(Array.from(other.cosCoef.dataSync())).not.toEqual(Array.from(f.cosCoef.dataSync()));
      tf.dispose([f.cosCoef, f.sinCoef, again.cosCoef, again.sinCoef, other.cosCoef, other.sinCoef]);
    });
  });

  describe('FourierPositionEmbedding', () => {
    const cfg = { head_dim: 8, num_key_value_heads: 2, rope_theta: 1e4, max_position_embeddings: 64, rope_scaling: { fope_init_factor: 0.5, fope_sep_head: true, num_inv_freq: null } };
    const K = fast.fopeFrequencies(8, 1e4, 64, null).length;
    const coef = (shape: number[], seed: number) => ({ dtype: 'F32' as const, shape, data: normals(mulberry32(seed), shape.reduce((a, b) => a * b, 1)) });
    it('loads per-KV-head coefficients from rotary_emb and matches the reference, also for positions asked one at a time', async () => {
      const w = memoryWeights({ 'm.rotary_emb.cos_coef': coef([2, K, K], 1), 'm.rotary_emb.sin_coef': coef([2, K, K], 2) });
      const refF = ref.FourierPositionEmbedding.fromWeights(cfg, w, 'm.rotary_emb');
      const xData = { shape: [3, 4, 8], data: normals(mulberry32(3), 96) };
      const want = refF.apply(dataToNd(xData), refF.tables([4, 5, 6]));
      await expectNoLeak(() => {
        const f = fast.FourierPositionEmbedding.fromWeights(cfg, w, 'm.rotary_emb');
        const x = dataToTf(xData);
        const t = f.tables([4, 5, 6]);
        const y = f.apply(x, t);
        assertClose(y, want, { rtol: 1e-5, atol: 1e-5 });
        const one = f.tables([5]);
        const mid = tf.slice(t.cos, [0, 1, 0], [2, 1, 8]);
        assertClose(one.cos, mid, { rtol: 0, atol: 0 });
        tf.dispose([x, y, t.cos, t.sin, one.cos, one.sin, mid]);
        f.dispose();
      });
    });
    it('names the coefficient tensor whose shape disagrees with the config, and a missing one', async () => {
      const bad = memoryWeights({ 'm.rotary_emb.cos_coef': coef([2, K + 1, K + 1], 1), 'm.rotary_emb.sin_coef': coef([2, K + 1, K + 1], 2) });
      await expectThrowsNoLeak(() => fast.FourierPositionEmbedding.fromWeights(cfg, bad, 'm.rotary_emb'), ShapeError, /m\.rotary_emb\.cos_coef.*\[2, 3, 3\]/);
      const shared = memoryWeights({ 'm.rotary_emb.cos_coef': coef([K, K], 1), 'm.rotary_emb.sin_coef': coef([K, K], 2) });
      await expectThrowsNoLeak(() => fast.FourierPositionEmbedding.fromWeights(cfg, shared, 'm.rotary_emb'), ShapeError, /fope_sep_head true/);
      const f = fast.FourierPositionEmbedding.fromWeights({ ...cfg, rope_scaling: { ...cfg.rope_scaling, fope_sep_head: false } }, shared, 'm.rotary_emb');
      expect(f.cosCoef.shape).toEqual([K, K]);
      f.dispose();
      await expectThrowsNoLeak(() => fast.FourierPositionEmbedding.fromWeights(cfg, memoryWeights({}), 'm.rotary_emb'), CheckpointError);
    });
    it('rejects negative, fractional and too large positions with ValueError, leaking nothing', async () => {
      const f = fast.FourierPositionEmbedding.init(cfg, 1);
      for (const p of [[-1], [1.5], [2 ** 24]]) await expectThrowsNoLeak(() => f.tables(p), ValueError, /positions\[0\]/);
      const wrong = tf.zeros([2, K + 1, K + 1]);
      await expectThrowsNoLeak(() => fast.fopeTables([0], f.freqs, wrong, f.sinCoef, 8), ShapeError, /'cosCoef'/);
      tf.dispose(wrong);
      f.dispose();
    });
  });
});

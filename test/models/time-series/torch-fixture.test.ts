/**
 * The time-series tower against PyTorch (test/fixtures/time-series/make_fixtures.py): torch's own
 * nn.TransformerEncoderLayer (fused in_proj, post-norm, ReLU, 8 heads, FFN 2048), the plain
 * reshape, lmdeploy's causal Whisper mask, positions past max_source_positions, the float32 `pe`
 * buffer, numpy's float64 stride (and torch's float32 one), computed in float64 by torch.
 *
 * Weights and raw signals are regenerated here from the same mulberry32 streams the script used;
 * their checksums are checked first, so a generation mismatch cannot pass as a model mismatch.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTimeSeriesConfig } from '../../../src/io/configs/time-series.js';
import { type TensorInput, type WeightSource, memoryWeights } from '../../../src/io/weights.js';
import {
  TimeSeriesModel, sinusoidalPositions, timeSeriesStride, timeSeriesStrideFloat32, timeSeriesTokenCount,
} from '../../../src/models/time-series/index.js';
import * as R from '../../../reference/models/time-series/index.js';
import { fromArray, toFlat } from '../../../reference/ndarray.js';
import { mulberry32 } from '../../support/arbitraries.js';
import { forEachBackend } from '../../support/backends.js';
import { relErr } from './support.js';

interface Case {
  T: number; C: number; sampling_rate: number; seed: number; stride: number; stride_float32: number;
  patch_size: number; num_patches: number; num_tokens: number; raw_sum: number; normalised_head: number[];
  features_shape: [number, number]; features: number[]; patch_features_head?: number[]; features_channel_split?: number[];
}
interface Fixture {
  prefix: string;
  config: Record<string, number | string>;
  weights: { name: string; shape: number[]; scale: number; offset: number; seed: number; sum: number; head: number[] }[];
  cases: Case[];
  pe_rows: Record<string, number[]>;
  pe_max_abs_vs_float64: number;
  strides: { sampling_rate: number; float64: number; float32: number }[];
  stride_boundaries: [number, string][];
  integer_rates_float64: [number, number][];
  integer_rates_float32: [number, number][];
  centi_rates_float64: [number, number][];
}

const fx = JSON.parse(readFileSync(new URL('../../fixtures/time-series/torch_tower.json', import.meta.url), 'utf8')) as Fixture;
const cfg = parseTimeSeriesConfig(fx.config, fx.config.out_hidden_size as number);

/** `float32(offset + (2u − 1)·scale)` for u from mulberry32(seed), as the script. */
function uniform(seed: number, n: number, scale: number, offset: number): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = offset + (2 * r() - 1) * scale;
  return out;
}

function makeWeights(): Record<string, TensorInput> {
  const out: Record<string, TensorInput> = {};
  for (const w of fx.weights) {
    out[w.name] = { dtype: 'F32', shape: w.shape, data: uniform(w.seed, w.shape.reduce((a, b) => a * b, 1), w.scale, w.offset) };
  }
  return out;
}

/** The script's raw signal: `float32((2u − 1) + 0.5c + (t mod 64)/32 − 1)`. */
function rawSignal(seed: number, T: number, C: number): Float32Array {
  const r = mulberry32(seed);
  const x = new Float32Array(T * C);
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) x[t * C + c] = (2 * r() - 1) + 0.5 * c + (t % 64) / 32 - 1;
  return x;
}

const tensors = makeWeights();

describe('fixture generation matches the script', () => {
  it('every weight has the recorded checksum', () => {
    for (const w of fx.weights) {
      const d = tensors[w.name].data as Float32Array;
      expect(Array.from(d.subarray(0, 4)), w.name).toEqual(w.head);
      const sum = d.reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - w.sum), w.name).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(w.sum)) + 1e-9);
    }
  });
  it('every raw signal has the recorded sum', () => {
    for (const c of fx.cases) {
      const s = rawSignal(c.seed, c.T, c.C).reduce((a, b) => a + b, 0);
      expect(Math.abs(s - c.raw_sum)).toBeLessThan(1e-9 * c.T);
    }
  });
});

/** The stride of each rate in `rates` from `[[stride, first index], ...]` transitions. */
function expand(trans: [number, number][], n: number): number[] {
  const out: number[] = [];
  trans.forEach(([s, i], k) => {
    const end = k + 1 < trans.length ? trans[k + 1][1] : n;
    for (let j = i; j < end; j++) out.push(s);
  });
  return out;
}

/** `x` moved by `d` ulps (positive doubles). */
function ulps(x: number, d: number): number {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  v.setBigUint64(0, v.getBigUint64(0) + BigInt(d));
  return v.getFloat64(0);
}

describe('stride and token count against numpy (float64) and torch (float32)', () => {
  const ints = Array.from({ length: 20000 }, (_, k) => k + 1);
  const f64 = expand(fx.integer_rates_float64, ints.length);
  const f32 = expand(fx.integer_rates_float32, ints.length);

  it('every integer rate 1..20000 Hz and every k/100 Hz up to 1 kHz gives numpy\'s stride', () => {
    ints.forEach((sr, i) => expect(timeSeriesStride(sr), `sr ${sr}`).toBe(f64[i]));
    const centi = expand(fx.centi_rates_float64, 100000);
    for (let k = 1; k <= 100000; k++) if (timeSeriesStride(k / 100) !== centi[k - 1]) expect(timeSeriesStride(k / 100), `sr ${k / 100}`).toBe(centi[k - 1]);
    for (const s of fx.strides) expect(R.timeSeriesStride(s.sampling_rate)).toBe(s.float64);
  });

  it('the float32 emulation gives torch\'s stride, and the trap band is about 1.7 kHz to 3.7 kHz', () => {
    ints.forEach((sr, i) => expect(timeSeriesStrideFloat32(sr), `sr ${sr}`).toBe(f32[i]));
    const trap = ints.filter((_, i) => f64[i] !== f32[i]);
    // Spec 7.5: float32 rounds 1 + e^(−sr/100) to 1 and gives 160 where float64 gives 159.
    expect(trap[0]).toBeGreaterThan(1600);
    expect(trap[trap.length - 1]).toBeLessThan(3700);
    expect(trap.length).toBe(trap[trap.length - 1] - trap[0] + 1); // one contiguous band
    for (const sr of trap) {
      expect(f64[sr - 1]).toBe(159);
      expect(f32[sr - 1]).toBe(160);
    }
    for (const s of fx.strides) {
      expect(timeSeriesStrideFloat32(s.sampling_rate)).toBe(s.float32);
      const inBand = s.sampling_rate >= trap[0] && s.sampling_rate <= trap[trap.length - 1];
      expect(s.float64 !== s.float32, `sr ${s.sampling_rate}`).toBe(inBand);
    }
  });

  it('each of the 158 stride boundaries lies within 8 ulps of numpy\'s (V8 and numpy exp/pow differ in the last bits)', () => {
    let exact = 0;
    for (const [s, text] of fx.stride_boundaries) {
      const sr = Number(text); // numpy: the first double with stride >= s
      expect(timeSeriesStride(ulps(sr, 8)), `stride ${s}`).toBeGreaterThanOrEqual(s);
      expect(timeSeriesStride(ulps(sr, -9)), `stride ${s}`).toBeLessThan(s);
      if (timeSeriesStride(sr) >= s && timeSeriesStride(ulps(sr, -1)) < s) exact++;
    }
    expect(exact).toBeGreaterThan(100);
  });

  it('the cases plan as the script', () => {
    for (const c of fx.cases) {
      expect(timeSeriesStride(c.sampling_rate)).toBe(c.stride);
      expect(timeSeriesStrideFloat32(c.sampling_rate)).toBe(c.stride_float32);
      expect(timeSeriesTokenCount(c.T, c.sampling_rate)).toBe(c.num_tokens);
    }
  });
});

describe('sinusoidal table against torch float32 pe', () => {
  // torch's float32 exp is not always correctly rounded (1 ulp), and position t multiplies an ulp of
  // the frequency by t (t ≤ 319): the fast table (float32 steps, correctly rounded exp) is within
  // 3e-5 of torch's, as torch's own table is within 2.3e-5 of the exact float64 formula.
  it('the fast table equals torch within 3e-5; the float64 reference is within the float32 error', () => {
    const fast = sinusoidalPositions(320).arraySync();
    const ref = R.sinusoidalPositions(320);
    for (const [row, values] of Object.entries(fx.pe_rows)) {
      values.forEach((v, j) => {
        expect(Math.abs(fast[Number(row)][j] - v), `pe[${row}, ${j}]`).toBeLessThanOrEqual(3e-5);
        expect(Math.abs(ref.get(Number(row), j) - v)).toBeLessThanOrEqual(fx.pe_max_abs_vs_float64 + 1e-6);
      });
    }
    expect(fx.pe_max_abs_vs_float64).toBeLessThan(5e-5);
  });
});

function withPe(base: Record<string, TensorInput>): WeightSource {
  const pe = sinusoidalPositions(320);
  const values = pe.dataSync().slice();
  pe.dispose();
  return memoryWeights({ ...base, [`${fx.prefix}.encoder_embed.pos_encoder.pe`]: { dtype: 'F32', shape: [320, 1, 128], data: values } });
}

// The tfjs cpu backend runs the 2048-wide patch FFN at ~0.2 GFLOP/s, so on cpu only the first
// case runs (a few seconds); wasm runs every case, with pe from the formula and from a checkpoint.
forEachBackend((backend) => {
  for (const pe of ['formula', 'checkpoint'] as const) {
    if (backend === 'cpu' && pe === 'checkpoint') continue;
    describe(`fast path vs torch (pe from the ${pe})`, () => {
      let model: TimeSeriesModel;
      beforeAll(() => {
        model = TimeSeriesModel.fromWeights(cfg, pe === 'formula' ? memoryWeights(tensors) : withPe(tensors), fx.prefix);
        expect(model.patchEncoder.positionSource).toBe(pe);
        return () => model.dispose();
      });
      for (const c of fx.cases) {
        if ((pe === 'checkpoint' || backend === 'cpu') && c !== fx.cases[0]) continue;
        it(`T ${c.T}, C ${c.C}, ${c.sampling_rate} Hz: relative error <= 1e-4`, () => {
          const raw = tf.tensor2d(rawSignal(c.seed, c.T, c.C), [c.T, c.C]);
          const out = model.encode(raw, c.sampling_rate, { returnPatchFeatures: true });
          raw.dispose();
          try {
            expect(out.features.shape).toEqual(c.features_shape);
            expect(out.plan.stride).toBe(c.stride);
            expect(relErr(out.features.dataSync(), c.features)).toBeLessThanOrEqual(1e-4);
            if (c.patch_features_head) {
              const head = out.patchFeatures!.dataSync().subarray(0, c.patch_features_head.length);
              expect(relErr(head, c.patch_features_head)).toBeLessThanOrEqual(1e-4);
              // The per-channel reading of the patches gives clearly different features: the test can tell.
              expect(relErr(c.features_channel_split!, c.features)).toBeGreaterThan(1e-2);
            }
          } finally {
            out.features.dispose();
            out.patchFeatures?.dispose();
          }
        });
      }
    });
  }
});

describe('reference vs torch', () => {
  const model = R.TimeSeriesModel.fromWeights(cfg, memoryWeights(tensors), fx.prefix);
  // The reference is slow (per-element float64 loops): the C = 3 case (interleaved rows) and the
  // long causal case (L3 = 87 > max_source_positions) check it; the fast path covers all four.
  for (const c of fx.cases.filter((k) => k.C === 3 || k.num_tokens > 8)) {
    it(`T ${c.T}, C ${c.C}, ${c.sampling_rate} Hz: relative error <= 1e-4`, () => {
      const out = model.encode(fromArray(rawSignal(c.seed, c.T, c.C), [c.T, c.C]), c.sampling_rate);
      expect(out.features.shape).toEqual(c.features_shape);
      expect(out.preprocessing.mean.length).toBe(c.C);
      expect(relErr(toFlat(out.features), c.features)).toBeLessThanOrEqual(1e-4);
    });
  }
});

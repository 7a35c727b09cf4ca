/**
 * Qwen3Attention and its KV cache (spec 3.2, 10.16): fast == reference for GQA with QK norm, RoPE
 * or FoPE, with and without biases, shared or per-row positions, small query blocks, and a KV
 * cache filled in two steps (whose keys are the normed, rotated ones); the cache classes; typed
 * errors at load and at call (a rejected call leaves the cache as it was); no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as refA from '../../../reference/models/qwen3/attention.js';
import * as refR from '../../../reference/models/qwen3/rotary.js';
import { concat } from '../../../reference/ops/shape.js';
import { CheckpointError, DTypeError, ShapeError, ValueError } from '../../../src/errors.js';
import type { WeightSource } from '../../../src/io/weights.js';
import { KVCacheLayer, Qwen3Attention, Qwen3KVCache } from '../../../src/models/qwen3/attention.js';
import { positionEncoding } from '../../../src/models/qwen3/rotary.js';
import { mulberry32, normals } from '../../support/arbitraries.js';
import { assertClose, assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf } from '../../support/convert.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { without, withTensors } from '../../support/weights.js';
import { normalData, posArb, specArb, type TinySpec, tinyConfig, tinySpec, tinyWeights } from './helpers.js';
import { runs } from '../../support/runs.js';

const AP = 'model.language_model.layers.0.self_attn';
const ROTARY = 'model.language_model.rotary_emb';

/** `w` plus seeded q/k/v/o biases under AP (for `attention_bias: true`). */
function withBiases(w: WeightSource, s: TinySpec, seed: number): WeightSource {
  const rand = mulberry32(seed);
  const sizes = [['q_proj', s.H * s.d], ['k_proj', s.Hkv * s.d], ['v_proj', s.Hkv * s.d], ['o_proj', s.D]] as const;
  return withTensors(w, Object.fromEntries(sizes.map(([n, size]) => [`${AP}.${n}.bias`, { dtype: 'F32' as const, shape: [size], data: normals(rand, size, 0.3) }])));
}

/** `w` with tensor `name` replaced by zeros of `shape`. */
const reshaped = (w: WeightSource, name: string, shape: number[]) => withTensors(w, { [name]: { dtype: 'F32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) } });

/** Fast and reference attention over the same weights (the caller disposes `fast` and `pe`). */
function build(s: TinySpec, seed: number, bias: boolean) {
  const cfg = { ...tinyConfig(s), attention_bias: bias };
  const base = tinyWeights(s, seed);
  const w = bias ? withBiases(base, s, seed + 5) : base;
  const reference = refA.Qwen3Attention.fromWeights(cfg, w, AP, refR.positionEncoding(cfg, w, ROTARY));
  const pe = positionEncoding(cfg, w, ROTARY);
  return { cfg, w, reference, pe, fast: Qwen3Attention.fromWeights(cfg, w, AP, pe) };
}

const attnCase = fc
  .record({ s: specArb(['dense', 'pro']), B: fc.integer({ min: 1, max: 2 }), T: fc.integer({ min: 1, max: 5 }), seed: fc.nat(), bias: fc.boolean(), chunk: fc.integer({ min: 1, max: 4 }) })
  .chain((c) => fc.record({ c: fc.constant(c), positions: posArb(c.B, c.T) }));

forEachBackend(() => {
  describe('Qwen3Attention: fast == reference', () => {
    it('output (rel ≤ 1e-4) and probabilities for RoPE / FoPE, GQA, biases, per-row positions and small query blocks', async () => {
      await fc.assert(fc.asyncProperty(attnCase, async ({ c: { s, B, T, seed, bias, chunk }, positions }) => {
        const { reference, pe, fast } = build(s, seed, bias);
        const x = normalData([B, T, s.D], seed + 1);
        const want = reference.forward(dataToNd(x), positions, undefined, { returnProbs: true });
        await expectNoLeak(() => {
          const xt = dataToTf(x);
          const out = fast.forward(xt, positions, undefined, { returnProbs: true, chunkSize: chunk });
          expect(out.output.shape).toEqual([B, T, s.D]);
          expect(out.probs!.shape).toEqual([B, s.H, T, T]);
          assertRelClose(out.output, want.output, 1e-4, 'output');
          assertClose(out.probs!, want.probs!, { rtol: 1e-4, atol: 1e-5 }, 'probs');
          const plain = fast.forward(xt, positions);
          expect(plain.probs).toBeNull();
          tf.dispose([xt, out.output, out.probs!, plain.output]);
        });
        fast.dispose();
        pe.dispose();
      }), { numRuns: runs(20) });
    });

    it('a KV cache filled in two steps: outputs and cached (normed, rotated) keys equal the reference', async () => {
      const arb = fc.record({ s: specArb(['dense', 'pro']), B: fc.integer({ min: 1, max: 2 }), T0: fc.integer({ min: 1, max: 4 }), T1: fc.integer({ min: 1, max: 3 }), seed: fc.nat() });
      await fc.assert(fc.asyncProperty(arb, async ({ s, B, T0, T1, seed }) => {
        const { reference, pe, fast } = build(s, seed, false);
        const [x0, x1] = [normalData([B, T0, s.D], seed + 1), normalData([B, T1, s.D], seed + 2)];
        const refCache = new refA.KVCacheLayer();
        const want = [x0, x1].map((x) => reference.forward(dataToNd(x), undefined, refCache, { returnProbs: true }));
        await expectNoLeak(() => {
          const cache = new KVCacheLayer();
          const outs = [x0, x1].map((x) => {
            const xt = dataToTf(x);
            const o = fast.forward(xt, undefined, cache, { returnProbs: true });
            xt.dispose();
            return o;
          });
          expect(cache.length).toBe(T0 + T1);
          outs.forEach((o, i) => {
            assertRelClose(o.output, want[i].output, 1e-4, `step ${i}`);
            assertClose(o.probs!, want[i].probs!, { rtol: 1e-4, atol: 1e-5 }, `probs ${i}`);
          });
          expect(outs[1].probs!.shape).toEqual([B, s.H, T1, T0 + T1]);
          assertClose(cache.k!, refCache.k!, { rtol: 1e-4, atol: 1e-5 }, 'cached k');
          assertClose(cache.v!, refCache.v!, { rtol: 1e-4, atol: 1e-5 }, 'cached v');
          tf.dispose(outs.flatMap((o) => [o.output, o.probs!]));
          cache.dispose();
        });
        // and the reference's two steps are its own full causal pass
        const full = reference.forward(concat([dataToNd(x0), dataToNd(x1)], 1));
        const steps = concat([want[0].output, want[1].output], 1);
        assertClose(steps, full.output, { rtol: 1e-10, atol: 1e-12 });
        fast.dispose();
        pe.dispose();
      }), { numRuns: runs(10) });
    });
  });

  describe('KVCacheLayer and Qwen3KVCache', () => {
    it('append concatenates along S and owns its tensors; dispose empties it for reuse; a mismatched append is a ShapeError', async () => {
      await expectNoLeak(async () => {
        const c = new KVCacheLayer();
        expect(c.length).toBe(0);
        const full = c.append(tf.ones([2, 3, 1, 4]), tf.zeros([2, 3, 1, 4]));
        expect(full.k.shape).toEqual([2, 3, 1, 4]);
        c.append(tf.ones([2, 2, 1, 4]), tf.zeros([2, 2, 1, 4]));
        expect([c.length, c.k!.shape, c.v!.shape]).toEqual([5, [2, 5, 1, 4], [2, 5, 1, 4]]);
        const [k, v] = [tf.ones([1, 1, 1, 4]), tf.ones([1, 1, 1, 4])];
        await expectThrowsNoLeak(() => c.append(k, v), ShapeError, /^KVCacheLayer: new keys \[1, 1, 1, 4\] do not extend the cached \[2, 5, 1, 4\]$/);
        expect(c.length).toBe(5);
        tf.dispose([k, v]);
        c.dispose();
        expect([c.length, c.k, c.v]).toEqual([0, null, null]);
        c.append(tf.ones([1, 1, 1, 4]), tf.ones([1, 1, 1, 4]));
        expect(c.length).toBe(1);
        const cache = new Qwen3KVCache(3);
        expect([cache.layers.length, cache.length]).toEqual([3, 0]);
        cache.layers[0].append(tf.ones([1, 2, 1, 4]), tf.ones([1, 2, 1, 4]));
        expect(cache.length).toBe(2);
        cache.dispose();
        c.dispose();
      });
    });
  });

  describe('Qwen3Attention errors and leaks', () => {
    it('load: a misshapen or missing tensor is named; biases are required with attention_bias; nothing leaks', async () => {
      const s = tinySpec({});
      const cfg = tinyConfig(s);
      const w = tinyWeights(s, 3);
      const pe = positionEncoding(cfg, w, ROTARY);
      await expectThrowsNoLeak(() => Qwen3Attention.fromWeights(cfg, reshaped(w, `${AP}.q_norm.weight`, [4]), AP, pe), ShapeError, /^Qwen3Attention: '.*self_attn\.q_norm\.weight' has shape \[4\], expected \[8\]$/);
      await expectThrowsNoLeak(() => Qwen3Attention.fromWeights(cfg, reshaped(w, `${AP}.o_proj.weight`, [16, 16]), AP, pe), ShapeError, /o_proj\.weight' has shape \[16, 16\], expected \[16, 32\]/);
      await expectThrowsNoLeak(() => Qwen3Attention.fromWeights(cfg, without(w, `${AP}.v_proj.weight`), AP, pe), CheckpointError, /v_proj\.weight/);
      await expectThrowsNoLeak(() => Qwen3Attention.fromWeights({ ...cfg, attention_bias: true }, w, AP, pe), CheckpointError, /q_proj\.bias/);
      pe.dispose();
    });

    it('forward: dtype, rank, width, empty T, cache batch and position bound are typed errors; a rejected call leaves the cache as it was', async () => {
      const s = tinySpec({});
      const cfg = tinyConfig(s);
      const w = tinyWeights(s, 4);
      const pe = positionEncoding(cfg, w, ROTARY);
      const attn = Qwen3Attention.fromWeights(cfg, w, AP, pe, { maxPosition: 8 });
      const [ints, flat, narrow, empty, one, two] = [tf.zeros([1, 2, 16], 'int32'), tf.zeros([2, 16]), tf.zeros([1, 2, 15]), tf.zeros([1, 0, 16]), tf.zeros([1, 2, 16]), tf.zeros([2, 2, 16])];
      await expectThrowsNoLeak(() => attn.forward(ints), DTypeError, /Qwen3Attention: 'x' must be float32/);
      await expectThrowsNoLeak(() => attn.forward(flat), ShapeError, /'x' must have rank 3/);
      await expectThrowsNoLeak(() => attn.forward(narrow), ShapeError, /^Qwen3Attention: 'x' must be \[B, T, D\] with T >= 1 and D = 16, got \[1, 2, 15\]$/);
      await expectThrowsNoLeak(() => attn.forward(empty), ShapeError, /T >= 1/);
      await expectThrowsNoLeak(() => attn.forward(one, [7, 8]), ValueError, /position id 8 at \[0, 1\] is outside \[0, 8\)/);
      const cache = new KVCacheLayer();
      const o = attn.forward(one, undefined, cache);
      o.output.dispose();
      await expectThrowsNoLeak(() => attn.forward(two, undefined, cache), ShapeError, /^Qwen3Attention: the cache holds batch size 1 but 'x' has 2$/);
      await expectThrowsNoLeak(() => attn.forward(one, [6, 8], cache), ValueError, /position id 8/);
      expect(cache.length).toBe(2);
      // the default positions run on from the cache: 2, 3, ... until the bound
      await expectNoLeak(() => {
        for (let i = 0; i < 3; i++) attn.forward(one, undefined, cache).output.dispose();
      });
      await expectThrowsNoLeak(() => attn.forward(one, undefined, cache), ValueError, /position id 8 at \[0, 0\]/);
      expect(cache.length).toBe(8);
      cache.dispose();
      tf.dispose([ints, flat, narrow, empty, one, two]);
      attn.dispose();
      pe.dispose();
    });

    it('leaks nothing across 100 calls (FoPE, a KV cache reset every 10 steps, probabilities on request)', async () => {
      const s = tinySpec({});
      const { pe, fast } = build(s, 5, true);
      const x = dataToTf(normalData([1, 1, s.D], 6));
      await expectNoLeak(() => {
        const cache = new KVCacheLayer();
        for (let i = 0; i < 100; i++) {
          if (i % 10 === 0) cache.dispose();
          const o = fast.forward(x, undefined, cache, { returnProbs: i % 3 === 0 });
          tf.dispose([o.output, ...(o.probs ? [o.probs] : [])]);
        }
        cache.dispose();
      });
      x.dispose();
      fast.dispose();
      pe.dispose();
    });
  });
});

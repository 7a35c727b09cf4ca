/**
 * The Whisper-style encoder of the time-series tower (spec 7.3): TimeSeriesWhisperLayer and
 * TimeSeriesWhisperEncoder fast == reference on random tiny configs (widths, heads, depths,
 * activations, k_proj biases, positions past max_source_positions), chunking invariance, the
 * causal mask on one layer, typed errors at load and at call, and leaks (both backends). Moved here
 * from model.test.ts: chunking and the causal mask through the tower, the k_proj bias and the
 * LayerNorm eps switch.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as R from '../../../reference/models/time-series/index.js';
import { toFlat } from '../../../reference/ndarray.js';
import { CheckpointError, DTypeError, ShapeError, ValueError } from '../../../src/errors.js';
import { memoryWeights } from '../../../src/io/weights.js';
import { TimeSeriesModel, TimeSeriesWhisperEncoder, TimeSeriesWhisperLayer } from '../../../src/models/time-series/index.js';
import { assertClose, assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { randomWeights, without } from '../../support/weights.js';
import { PREFIX, TOWER_SIZES, type TinySizes, makeSignal, randomMatrix, relErr, tinyTower, towerSpecs } from './support.js';
import { runs } from '../../support/runs.js';

const ENC = `${PREFIX}.encoder`;
const LAYER0 = `${ENC}.layers.0`;


/** Random tiny Whisper configs: width, heads, FFN, positions, activation, k_proj bias. */
const configArb: fc.Arbitrary<TinySizes> = fc.record({
  d: fc.constantFrom(8, 12, 16), heads: fc.constantFrom(1, 2, 4), ffn: fc.constantFrom(8, 20), maxPos: fc.integer({ min: 2, max: 8 }),
  out: fc.constantFrom(8, 12), act: fc.constantFrom('gelu', 'relu', 'gelu_pytorch_tanh', 'silu'), kBias: fc.boolean(), layers: fc.integer({ min: 1, max: 2 }),
}).filter((c) => c.d! % c.heads! === 0);

forEachBackend((backend) => {
  describe('the Whisper encoder in the tiny tower', () => {
    const { cfg, weights } = tinyTower(42, TOWER_SIZES);
    let fast: TimeSeriesModel;
    beforeAll(() => {
      fast = TimeSeriesModel.fromWeights(cfg, weights);
    });
    afterAll(() => fast.dispose());

    it('chunking the Whisper convolutions, attention and MLP does not change the result', () => {
      const raw = makeSignal(6, 400, 1).tensor(); // sr 1: L1 199, L2 99, L3 50 > max_source_positions 6
      const plain = fast.forward(raw, 1, { returnEncoderStates: true });
      const chunked = fast.forward(raw, 1, { returnEncoderStates: true, convChunk: 7, attentionChunk: 9, mlpChunk: 11 });
      assertClose(chunked.encoderStates!, plain.encoderStates!, { rtol: 1e-5, atol: 1e-6 });
      assertClose(chunked.features, plain.features, { rtol: 1e-5, atol: 1e-6 });
      tf.dispose([raw, plain.features, plain.encoderStates!, chunked.features, chunked.encoderStates!]);
    });

    it('the Whisper mask is causal: changing the end of the signal leaves the leading rows unchanged', () => {
      // sr 1: s 2, p 4. Samples t >= 300 touch patches n >= 149, pairs >= 74, A rows >= 74, and
      // (conv1 k3, conv2 k3 s2) output rows >= 36. With a causal mask rows 0..35 cannot change.
      const sig = makeSignal(8, 400, 1);
      const edited = sig.data.slice();
      for (let t = 300; t < 400; t++) edited[t] = 5 * Math.sin(t);
      const a = fast.forward(tf.tensor2d(sig.data, [400, 1]), 1);
      const b = fast.forward(tf.tensor2d(edited, [400, 1]), 1);
      const rows = (t: tf.Tensor, r0: number, n: number) => tf.slice(t, [r0, 0], [n, -1]);
      assertClose(rows(b.features, 0, 36), rows(a.features, 0, 36), { rtol: 1e-6, atol: 1e-6 });
      expect(relErr(rows(b.features, 37, 13).dataSync(), rows(a.features, 37, 13).dataSync())).toBeGreaterThan(1e-3);
      tf.dispose([a.features, b.features]);
    });

  });

  describe('checkpoint handling', () => {
    it('a missing k_proj bias is zero; a stored one is used (fast and reference)', () => {
      const specs = towerSpecs({ layers: 1 });
      const none = randomWeights(specs, 5);
      const zero = memoryWeights({
        ...Object.fromEntries(none.names().map((n) => [n, { dtype: 'F32' as const, shape: none.info(n).shape, data: none.float32(n) }])),
        [`${PREFIX}.encoder.layers.0.self_attn.k_proj.bias`]: { dtype: 'F32', shape: [16], data: new Float32Array(16) },
      });
      const { cfg } = tinyTower(5, { layers: 1 });
      const raw = makeSignal(1, 120, 1).tensor();
      const results = [none, zero].map((w) => {
        const m = TimeSeriesModel.fromWeights(cfg, w);
        const o = m.forward(raw, 1);
        m.dispose();
        return o.features;
      });
      assertClose(results[1], results[0], { rtol: 0, atol: 0 });
      const withBias = tinyTower(6, { layers: 1, kBias: true });
      const m = TimeSeriesModel.fromWeights(withBias.cfg, withBias.weights);
      const r = R.TimeSeriesModel.fromWeights(withBias.cfg, withBias.weights);
      const got = m.forward(raw, 1).features;
      expect(relErr(got.dataSync(), toFlat(r.forward(makeSignal(1, 120, 1).nd(), 1).features))).toBeLessThanOrEqual(1e-4);
      tf.dispose([raw, got, ...results]);
      m.dispose();
    });

    it("layerNormEps switches the Whisper layers to lmdeploy's 1e-6 (fast and reference agree)", () => {
      const { cfg, weights } = tinyTower(7);
      const raw = makeSignal(2, 200, 1).tensor();
      const m5 = TimeSeriesModel.fromWeights(cfg, weights);
      const m6 = TimeSeriesModel.fromWeights(cfg, weights, PREFIX, { layerNormEps: 1e-6 });
      const r6 = R.TimeSeriesModel.fromWeights(cfg, weights, PREFIX, { layerNormEps: 1e-6 });
      const [a, b] = [m5.forward(raw, 3).features, m6.forward(raw, 3).features];
      expect(relErr(b.dataSync(), toFlat(r6.forward(makeSignal(2, 200, 1).nd(), 3).features))).toBeLessThanOrEqual(1e-4);
      expect(relErr(a.dataSync(), b.dataSync())).toBeGreaterThan(0);
      tf.dispose([raw, a, b]);
      m5.dispose();
      m6.dispose();
    });

  });

  describe('TimeSeriesWhisperLayer', () => {
    it('fast == reference (relative error <= 1e-5) on random configs; chunked attention and MLP give the same rows', async () => {
      await fc.assert(fc.asyncProperty(configArb, fc.integer({ min: 1, max: 20 }), fc.nat(), fc.nat(), async (sizes, L, a, seed) => {
        const { cfg, weights } = tinyTower(seed, sizes);
        const h = randomMatrix(seed + 1, L, cfg.d_model);
        const want = R.TimeSeriesWhisperLayer.fromWeights(cfg, weights, LAYER0).forward(h.nd());
        await expectNoLeak(() => {
          const layer = TimeSeriesWhisperLayer.fromWeights(cfg, weights, LAYER0);
          expect(layer.kProj.bias === null).toBe(!sizes.kBias); // no k_proj bias unless the checkpoint has one
          const ht = h.tensor();
          const y = layer.forward(ht);
          assertRelClose(y, want, 1e-5);
          const chunked = layer.forward(ht, { attentionChunk: 1 + (a % L), mlpChunk: 1 + ((a >> 4) % L) });
          assertClose(chunked, y, { rtol: 1e-5, atol: 1e-6 });
          tf.dispose([ht, y, chunked]);
          layer.dispose();
        });
      }), { numRuns: runs(backend === 'cpu' ? 10 : 15) });
    });

    it('is causal: a change in the last row changes only the last row; a change in the first row reaches every row', () => {
      const { cfg, weights } = tinyTower(11, { layers: 1 });
      const layer = TimeSeriesWhisperLayer.fromWeights(cfg, weights, LAYER0);
      const L = 9;
      const base = randomMatrix(12, L, cfg.d_model).data;
      const edit = (row: number) => base.map((v, i) => (Math.floor(i / cfg.d_model) === row ? v + Math.sin(i) : v)); // not a constant shift, which the LayerNorm would remove
      const run = (x: Float32Array) => {
        const xt = tf.tensor2d(x, [L, cfg.d_model]);
        const y = layer.forward(xt);
        const v = y.arraySync();
        tf.dispose([xt, y]);
        return v;
      };
      const [y0, yLast, yFirst] = [run(base), run(edit(L - 1)), run(edit(0))];
      for (let r = 0; r < L - 1; r++) expect(yLast[r], `row ${r}`).toEqual(y0[r]);
      expect(relErr(yLast[L - 1], y0[L - 1])).toBeGreaterThan(1e-3);
      for (let r = 0; r < L; r++) expect(relErr(yFirst[r], y0[r]), `row ${r}`).toBeGreaterThan(1e-4);
      layer.dispose();
    });

    it('forward: a wrong width, an empty or flat input, an int tensor or a bad chunk is a typed error; nothing leaks over 20 calls', async () => {
      const { cfg, weights } = tinyTower(13, { layers: 1 });
      const layer = TimeSeriesWhisperLayer.fromWeights(cfg, weights, LAYER0);
      const [ok, wide, empty, flat, ints] = [tf.ones([5, 16]), tf.ones([5, 17]), tf.ones([0, 16]), tf.ones([16]), tf.ones([5, 16], 'int32')];
      await expectThrowsNoLeak(() => layer.forward(wide as tf.Tensor2D), ShapeError, /^TimeSeriesWhisperLayer\.forward: 'h' must be \[L >= 1, 16\], got \[5, 17\]$/);
      await expectThrowsNoLeak(() => layer.forward(empty as tf.Tensor2D), ShapeError, /got \[0, 16\]/);
      await expectThrowsNoLeak(() => layer.forward(flat as tf.Tensor2D), ShapeError, /'h' must have rank 2/);
      await expectThrowsNoLeak(() => layer.forward(ints as tf.Tensor2D), DTypeError, /'h' must be float32/);
      await expectThrowsNoLeak(() => layer.forward(ok as tf.Tensor2D, { attentionChunk: 0 }), ValueError, /^TimeSeriesWhisperLayer\.forward: 'attentionChunk' must be a positive integer, got 0$/);
      await expectThrowsNoLeak(() => layer.forward(ok as tf.Tensor2D, { mlpChunk: 1.5 }), ValueError, /'mlpChunk'/);
      await expectNoLeak(() => {
        for (let i = 0; i < 20; i++) layer.forward(ok as tf.Tensor2D).dispose();
      });
      tf.dispose([ok, wide, empty, flat, ints]);
      layer.dispose();
    });
  });

  describe('TimeSeriesWhisperEncoder', () => {
    it('fast == reference (relative error <= 1e-4) on random configs, past max_source_positions too; chunking and adapt + forwardAdapted agree', async () => {
      const chunkArb = fc.record({ convChunk: fc.integer({ min: 1, max: 8 }), attentionChunk: fc.integer({ min: 1, max: 8 }), mlpChunk: fc.integer({ min: 1, max: 8 }) });
      await fc.assert(fc.asyncProperty(configArb, fc.integer({ min: 1, max: 30 }), chunkArb, fc.nat(), async (sizes, L2, chunks, seed) => {
        const { cfg, weights } = tinyTower(seed, sizes);
        const e2 = randomMatrix(seed + 1, L2, 256);
        const want = R.TimeSeriesWhisperEncoder.fromWeights(cfg, weights, ENC).forward(e2.nd());
        await expectNoLeak(() => {
          const enc = TimeSeriesWhisperEncoder.fromWeights(cfg, weights, ENC);
          const x = e2.tensor();
          const z = enc.forward(x);
          expect(z.shape).toEqual([Math.ceil(L2 / 2), cfg.ts_adapt_out_dim]);
          assertRelClose(z, want, 1e-4);
          const chunked = enc.forward(x, chunks);
          assertClose(chunked, z, { rtol: 1e-5, atol: 1e-5 });
          const a = enc.adapt(x);
          const z2 = enc.forwardAdapted(a);
          assertClose(z2, z, { rtol: 0, atol: 0 });
          tf.dispose([x, z, chunked, a, z2]);
          enc.dispose();
        });
      }), { numRuns: runs(backend === 'cpu' ? 8 : 12) });
    });

    it('forward / forwardAdapted: a wrong width, an empty or int input, a bad chunk is a typed error; nothing leaks over 20 calls', async () => {
      const { cfg, weights } = tinyTower(14, { layers: 1 });
      const enc = TimeSeriesWhisperEncoder.fromWeights(cfg, weights, ENC);
      const [ok, narrow, ints, flat, a79, a0] = [tf.ones([4, 256]), tf.ones([4, 255]), tf.ones([4, 256], 'int32'), tf.ones([256]), tf.ones([3, 79]), tf.ones([0, 80])];
      await expectThrowsNoLeak(() => enc.forward(narrow as tf.Tensor2D), ShapeError, /^TimeSeriesWhisperEncoder: 'e2' must be \[L2, 256\], got \[4, 255\]$/);
      await expectThrowsNoLeak(() => enc.forward(flat as tf.Tensor2D), ShapeError, /'e2' must be \[L2, 256\], got \[256\]/);
      await expectThrowsNoLeak(() => enc.forward(ints as tf.Tensor2D), DTypeError, /'e2' must be float32/);
      await expectThrowsNoLeak(() => enc.forwardAdapted(a79 as tf.Tensor2D), ShapeError, /^TimeSeriesWhisperEncoder: 'a' must be \[L2 >= 1, 80\], got \[3, 79\]$/);
      await expectThrowsNoLeak(() => enc.forwardAdapted(a0 as tf.Tensor2D), ShapeError, /got \[0, 80\]/);
      for (const k of ['attentionChunk', 'convChunk', 'mlpChunk'] as const) {
        await expectThrowsNoLeak(() => enc.forward(ok as tf.Tensor2D, { [k]: -1 }), ValueError, new RegExp(`^TimeSeriesWhisperEncoder: '${k}' must be a positive integer, got -1$`));
      }
      await expectNoLeak(() => {
        for (let i = 0; i < 20; i++) enc.forward(ok as tf.Tensor2D).dispose();
      });
      tf.dispose([ok, narrow, ints, flat, a79, a0]);
      enc.dispose();
    });

    it('load: a misshapen conv, adapter or position table, or a missing tensor, is a typed error naming it; nothing stays allocated', async () => {
      const specs = towerSpecs({ layers: 1 });
      const { cfg } = tinyTower(15, { layers: 1 });
      const w = (over: Record<string, { shape: number[] }>) => randomWeights({ ...specs, ...over }, 15);
      await expectThrowsNoLeak(() => TimeSeriesWhisperEncoder.fromWeights(cfg, w({ [`${ENC}.conv1.weight`]: { shape: [16, 79, 3] } }), ENC), ShapeError, /conv1\.weight.*expected \[16, 80, 3\]/);
      await expectThrowsNoLeak(() => TimeSeriesWhisperEncoder.fromWeights(cfg, w({ [`${ENC}.adapt_in.weight`]: { shape: [80, 255] } }), ENC), ShapeError, /adapt_in\.weight/);
      await expectThrowsNoLeak(() => TimeSeriesWhisperEncoder.fromWeights(cfg, w({ [`${ENC}.embed_positions.weight`]: { shape: [6, 8] } }), ENC), ShapeError, /embed_positions\.weight.*expected \[6, 16\]/);
      await expectThrowsNoLeak(() => TimeSeriesWhisperEncoder.fromWeights(cfg, without(randomWeights(specs, 15), `${LAYER0}.fc2.bias`), ENC), CheckpointError, /layers\.0\.fc2\.bias/);
      await expectThrowsNoLeak(() => TimeSeriesWhisperLayer.fromWeights(cfg, w({ [`${LAYER0}.fc1.weight`]: { shape: [24, 15] } }), LAYER0), ShapeError, /fc1\.weight/);
      await expectThrowsNoLeak(() => TimeSeriesWhisperLayer.fromWeights(cfg, without(randomWeights(specs, 15), `${LAYER0}.self_attn.q_proj.bias`), LAYER0), CheckpointError, /q_proj\.bias/);
    });
  });
});

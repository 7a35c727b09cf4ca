/**
 * InternVisionEncoderLayer / InternVisionAttention / InternVisionMLP: fast == reference for both
 * variants; the QK norm is over the full width across heads (spec 10.2), checked by invariances
 * that do not depend on either implementation; load errors; leaks.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ref from '../../../reference/models/internvit/index.js';
import { CheckpointError, ConfigError, ShapeError } from '../../../src/errors.js';
import type { WeightSource } from '../../../src/io/weights.js';
import * as fast from '../../../src/models/internvit/index.js';
import { assertRelClose, relError } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { dataToNd, dataToTf } from '../../support/convert.js';
import { normals, mulberry32 } from '../../support/arbitraries.js';
import { expectNoLeak, expectThrowsNoLeak } from '../../support/leak.js';
import { tensorsOf, tinyVit, tinyWeights, without, withTensors } from './tiny.js';
import { memoryWeights } from '../../../src/io/weights.js';
import { runs } from '../../support/runs.js';

const L0 = 'model.vision_tower.encoder.layer.0';

function tokens(shape: number[], seed: number) {
  return { shape, data: normals(mulberry32(seed), shape.reduce((a, b) => a * b, 1), 1) };
}

/** Run the fast attention of layer 0 on `x` and return its output values. */
function fastAttention(cfg: ReturnType<typeof tinyVit>, w: WeightSource, x: { shape: number[]; data: Float64Array }): Float32Array {
  const attn = fast.InternVisionAttention.fromWeights(cfg, w, `${L0}.attention`);
  const xt = dataToTf(x);
  const y = attn.forward(xt);
  const out = y.dataSync() as Float32Array;
  tf.dispose([xt, y]);
  attn.dispose();
  return out;
}

forEachBackend(() => {
  describe('InternVisionEncoderLayer', () => {
    it('fast == reference for both variants (rel. error <= 1e-4), with and without probabilities', async () => {
      const arb = fc.record({ N: fc.integer({ min: 1, max: 3 }), T: fc.integer({ min: 1, max: 12 }), seed: fc.nat(), v: fc.constantFrom<'s1' | 'mini'>('s1', 'mini'), probs: fc.boolean() });
      await fc.assert(fc.asyncProperty(arb, async ({ N, T, seed, v, probs }) => {
        const cfg = tinyVit(v);
        const w = tinyWeights(cfg, seed);
        const x = tokens([N, T, 32], seed);
        const expected = ref.InternVisionEncoderLayer.fromWeights(cfg, w).forward(dataToNd(x), { returnProbs: true });
        await expectNoLeak(() => {
          const layer = fast.InternVisionEncoderLayer.fromWeights(cfg, w);
          const xt = dataToTf(x);
          if (probs) {
            const r = layer.forward(xt, { returnProbs: true });
            assertRelClose(r.output, expected.output, 1e-4, 'output');
            expect(r.probs.shape).toEqual([N, 4, T, T]);
            assertRelClose(r.probs, expected.probs, 1e-4, 'probs');
            tf.dispose([r.output, r.probs]);
          } else {
            const y = layer.forward(xt);
            expect(y.shape).toEqual([N, T, 32]);
            assertRelClose(y, expected.output, 1e-4);
            y.dispose();
          }
          xt.dispose();
          layer.dispose();
        });
      }), { numRuns: runs(16) });
    });

    it('the layer really is z + λ1·Attn(Norm1 z), then + λ2·MLP(Norm2 ·): zero layer scales make it the identity', async () => {
      const cfg = tinyVit('mini');
      const zero = { dtype: 'F32' as const, shape: [32], data: new Float32Array(32) };
      const w = withTensors(tinyWeights(cfg, 9), { [`${L0}.lambda_1`]: zero, [`${L0}.lambda_2`]: zero });
      const x = tokens([2, 5, 32], 9);
      await expectNoLeak(() => {
        const layer = fast.InternVisionEncoderLayer.fromWeights(cfg, w);
        const xt = dataToTf(x);
        const y = layer.forward(xt);
        expect(Array.from(y.dataSync())).toEqual(Array.from(xt.dataSync()));
        tf.dispose([xt, y]);
        layer.dispose();
      });
    });

    it('QK norm is one RMSNorm over the full width across heads (spec 10.2), not per head', () => {
      // With qk weights = 1 and eps tiny: scaling all of W_q (and b_q) by 3 leaves the output
      // unchanged (full-width RMSNorm removes any global scale). Scaling only head 0's rows by 3
      // changes it (a per-head norm would be invariant to that; a full-width one is not).
      const cfg = tinyVit('s1', { layer_norm_eps: 1e-12 });
      const one = { dtype: 'F32' as const, shape: [32], data: new Float32Array(32).fill(1) };
      const base = withTensors(tinyWeights(cfg, 11), { [`${L0}.attention.q_norm.weight`]: one, [`${L0}.attention.k_norm.weight`]: one });
      const t = tensorsOf(base);
      const wq = t[`${L0}.attention.q_proj.weight`].data as Float32Array;
      const scaled = (rows: number) => {
        const d = Float32Array.from(wq, (v, i) => (Math.floor(i / 32) < rows ? 3 * v : v));
        return memoryWeights({ ...t, [`${L0}.attention.q_proj.weight`]: { dtype: 'F32', shape: [32, 32], data: d } });
      };
      const x = tokens([1, 6, 32], 11);
      const y0 = fastAttention(cfg, base, x);
      const yAll = fastAttention(cfg, scaled(32), x);
      const yHead0 = fastAttention(cfg, scaled(8), x);
      expect(relError({ shape: [y0.length], data: yAll }, { shape: [y0.length], data: y0 })).toBeLessThan(1e-5);
      expect(relError({ shape: [y0.length], data: yHead0 }, { shape: [y0.length], data: y0 })).toBeGreaterThan(1e-2);
    });

    it('without QK norm, attention depends on the scale of W_q (the norm is really off for mini)', () => {
      const cfg = tinyVit('mini');
      const base = tinyWeights(cfg, 12);
      const t = tensorsOf(base);
      const wq = t[`${L0}.attention.q_proj.weight`].data as Float32Array;
      const bq = t[`${L0}.attention.q_proj.bias`].data as Float32Array;
      const w3 = memoryWeights({
        ...t,
        [`${L0}.attention.q_proj.weight`]: { dtype: 'F32', shape: [32, 32], data: wq.map((v) => 3 * v) },
        [`${L0}.attention.q_proj.bias`]: { dtype: 'F32', shape: [32], data: bq.map((v) => 3 * v) },
      });
      const x = tokens([1, 6, 32], 12);
      const y0 = fastAttention(cfg, base, x);
      const y3 = fastAttention(cfg, w3, x);
      expect(relError({ shape: [y0.length], data: y3 }, { shape: [y0.length], data: y0 })).toBeGreaterThan(1e-2);
    });

    it('load errors: missing tensors (named), unexpected biases or qk norms, wrong shapes, bad config; nothing leaks', async () => {
      const s1 = tinyVit('s1');
      const mini = tinyVit('mini');
      const ws1 = tinyWeights(s1, 13);
      const wmini = tinyWeights(mini, 13);
      const load = (cfg: typeof s1, w: WeightSource) => () => fast.InternVisionEncoderLayer.fromWeights(cfg, w);
      for (const name of ['layernorm_before.weight', 'attention.q_norm.weight', 'attention.projection_layer.bias', 'lambda_2', 'mlp.fc2.weight']) {
        await expectThrowsNoLeak(load(s1, without(ws1, `${L0}.${name}`)), CheckpointError, new RegExp(`${L0}.${name}`.replace(/\./g, '\\.')));
      }
      await expectThrowsNoLeak(load(mini, without(wmini, `${L0}.attention.k_proj.bias`)), CheckpointError, /attention\.k_proj\.bias/);
      await expectThrowsNoLeak(load(mini, without(wmini, `${L0}.layernorm_after.bias`)), CheckpointError, /layernorm_after\.bias/);
      // an S1 config on a mini checkpoint: the q/k/v biases would be silently dropped
      await expectThrowsNoLeak(load({ ...mini, attention_bias: false }, wmini), CheckpointError, /q_proj\.bias' is in the checkpoint but attention_bias is false/);
      await expectThrowsNoLeak(load({ ...s1, use_qk_norm: false }, ws1), CheckpointError, /q_norm\.weight' is in the checkpoint but use_qk_norm is false/);
      await expectThrowsNoLeak(load({ ...mini, norm_type: 'rms_norm' }, wmini), CheckpointError, /layernorm_before\.bias' is in the checkpoint but norm_type is rms_norm/);
      await expectThrowsNoLeak(load({ ...s1, intermediate_size: 48 }, ws1), ShapeError, /mlp\.fc1\.weight' has shape \[64, 32\], expected \[48, 32\]/);
      await expectThrowsNoLeak(load({ ...s1, norm_type: 'group_norm' as 'rms_norm' }, ws1), ConfigError, /InternVisionEncoderLayer: unsupported norm_type 'group_norm'/);
      await expectThrowsNoLeak(load({ ...s1, hidden_act: 'swiglu' as 'gelu' }, ws1), ConfigError, /unknown activation 'swiglu'/);
      await expectThrowsNoLeak(load({ ...s1, num_attention_heads: 5 }, ws1), ConfigError, /hidden_size' 32 is not a multiple of 'num_attention_heads' 5/);
      expect(() => ref.InternVisionEncoderLayer.fromWeights({ ...s1, norm_type: 'group_norm' as 'rms_norm' }, ws1)).toThrow(/unsupported norm_type/);
    });

    it('forward rejects tokens of the wrong width or rank', async () => {
      const cfg = tinyVit('s1');
      const layer = fast.InternVisionEncoderLayer.fromWeights(cfg, tinyWeights(cfg, 14));
      const a = tf.zeros([1, 5, 16]);
      const b = tf.zeros([5, 32]);
      await expectThrowsNoLeak(() => layer.forward(a), ShapeError, /'x' \[1, 5, 16\] has width 16 but the config has hidden_size 32/);
      await expectThrowsNoLeak(() => layer.forward(b), ShapeError, /'x' must have rank 3/);
      tf.dispose([a, b]);
      layer.dispose();
    });
  });
});

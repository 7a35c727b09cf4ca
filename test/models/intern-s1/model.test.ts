/**
 * The whole model on tiny checkpoints of each variant: fast vs reference logits (relative error
 * <= 1e-4), multimodal assembly with real towers, router statistics, and the errors a user meets.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromArray } from '../../../reference/ndarray.js';
import * as ref from '../../../reference/models/intern-s1/model.js';
import { CheckpointError, ConfigError, ShapeError } from '../../../src/errors.js';
import { parseConfig } from '../../../src/io/configs/model.js';
import { tinyConfigJson } from '../../../src/io/tiny-config.js';
import { tinyTensors } from '../../../src/io/tiny.js';
import { memoryWeights } from '../../../src/io/weights.js';
import { serializeSafetensors } from '../../../src/io/safetensors-write.js';
import * as fast from '../../../src/models/intern-s1/model.js';
import { mulberry32, normals } from '../../support/arbitraries.js';
import { assertRelClose } from '../../support/assert-close.js';
import { forEachBackend } from '../../support/backends.js';
import { toNd } from '../../support/convert.js';
import { expectThrowsNoLeak } from '../../support/leak.js';

const V = 96;

function tiny(variant: 's1' | 'mini' | 'pro', seed = 1) {
  const json = tinyConfigJson(variant, { vocabSize: V });
  const weights = memoryWeights(tinyTensors(json, { variant, seed }));
  return { json, cfg: parseConfig(json), weights };
}

function prompt(T: number, seed: number, extra: number[] = []): number[][] {
  const rand = mulberry32(seed);
  return [[...Array.from({ length: T }, () => Math.floor(rand() * 80)), ...extra]];
}

forEachBackend((backend) => {
  describe('InternS1ForConditionalGeneration, text only', () => {
    for (const variant of ['s1', 'mini', 'pro'] as const) {
      it(`${variant}: fast logits == reference logits; router statistics per MoE layer`, () => {
        const { cfg, weights } = tiny(variant);
        const model = fast.InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false, timeSeries: false });
        const refModel = ref.InternS1ForConditionalGeneration.fromWeights(cfg as never, weights, { vision: false, timeSeries: false });
        const ids = prompt(7, 3);
        const before = tf.memory().numTensors;
        const out = model.forward({ inputIds: ids }, { returnRouter: true });
        const expected = refModel.forward({ inputIds: ids }, { returnRouter: true });
        assertRelClose(out.logits!, expected.logits!, 1e-4, 'logits');
        assertRelClose(out.hidden, expected.hidden, 1e-4, 'hidden');
        if (variant === 'mini') expect(out.expertLoad!.every((l) => l === null)).toBe(true);
        else {
          const K = variant === 'pro' ? 4 : 2;
          for (const l of out.expertLoad!) expect(l!.perExpert.reduce((a, b) => a + b, 0)).toBe(7 * K);
          if (variant === 'pro') for (const l of out.expertLoad!) expect(l!.groupImbalance).toBe(1);
        }
        model.disposeOutput(out);
        expect(tf.memory().numTensors).toBe(before);
        model.dispose();
      });
    }
  });

  describe('InternS1ForConditionalGeneration, media', () => {
    // One 448 tile runs the ViT on 1025 tokens: seconds on wasm, much longer on the cpu backend,
    // so this case runs on wasm only (the assembly itself is covered on both by assemble.test.ts).
    if (backend === 'wasm') it('s1: one 448 tile scattered into 256 <IMG_CONTEXT> rows; fast == reference', () => {
      const { cfg, weights } = tiny('s1', 2);
      const model = fast.InternS1ForConditionalGeneration.fromWeights(cfg, weights);
      const refModel = ref.InternS1ForConditionalGeneration.fromWeights(cfg as never, weights);
      const img = model.imageTokenId!;
      const ids = prompt(4, 5, [...new Array(256).fill(img), 7]);
      const pv = normals(mulberry32(9), 3 * 448 * 448);
      const pixelValues = tf.tensor4d(Float32Array.from(pv), [1, 3, 448, 448]);
      const out = model.forward({ inputIds: ids, images: { pixelValues } }, { logits: 'last' });
      expect(out.mediaTokens).toEqual({ image: 256 });
      const expected = refModel.forward({ inputIds: ids, images: { pixelValues: toNd(pixelValues) } }, { logits: 'last' });
      assertRelClose(out.logits!, expected.logits!, 1e-4, 'logits');
      // The image changes the output: the same prompt with zero pixels gives other logits.
      const zeros = tf.zerosLike(pixelValues);
      const other = model.forward({ inputIds: ids, images: { pixelValues: zeros } }, { logits: 'last' });
      expect(Math.max(...tf.abs(tf.sub(other.logits!, out.logits!)).dataSync())).toBeGreaterThan(1e-6);
      model.disposeOutput(out);
      model.disposeOutput(other);
      tf.dispose([pixelValues, zeros]);
      model.dispose();
    });

    it('pro: two images (patches + gridThw) scattered into <|image_pad|> rows; fast == reference', () => {
      const { cfg, weights } = tiny('pro', 6);
      const model = fast.InternS1ForConditionalGeneration.fromWeights(cfg, weights, { timeSeries: false });
      const refModel = ref.InternS1ForConditionalGeneration.fromWeights(cfg as never, weights, { timeSeries: false });
      const grid: [number, number, number][] = [[1, 4, 6], [1, 2, 2]];
      const P = 4 * 6 + 2 * 2;
      const pv = normals(mulberry32(8), P * 1536);
      const pixelValues = tf.tensor2d(Float32Array.from(pv), [P, 1536]);
      const images = { pixelValues, gridThw: grid };
      const n = model.vision!.featureRows(images);
      expect(n).toBe(6 + 1);
      const img = model.imageTokenId!;
      const ids = prompt(3, 2, [...new Array(6).fill(img), 9, img, 4]);
      const out = model.forward({ inputIds: ids, images }, { logits: 'all' });
      expect(out.mediaTokens).toEqual({ image: 7 });
      const expected = refModel.forward({ inputIds: ids, images: { pixelValues: toNd(pixelValues), gridThw: grid } });
      assertRelClose(out.logits!, expected.logits!, 1e-4, 'logits');
      model.disposeOutput(out);
      pixelValues.dispose();
      model.dispose();
    });

    it('pro: two signals scattered into <TS_CONTEXT> rows in prompt order; fast == reference', () => {
      const { cfg, weights } = tiny('pro', 4);
      const model = fast.InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false });
      const refModel = ref.InternS1ForConditionalGeneration.fromWeights(cfg as never, weights, { vision: false });
      const ts = model.seriesTokenId!;
      const sigA = normals(mulberry32(1), 120 * 2);
      const sigB = normals(mulberry32(2), 40 * 2);
      const nA = model.timeSeries!.tokenCount(120, 100);
      const nB = model.timeSeries!.tokenCount(40, 10);
      const ids = prompt(3, 1, [...new Array(nA).fill(ts), 5, ...new Array(nB).fill(ts), 6]);
      const a = tf.tensor2d(Float32Array.from(sigA), [120, 2]);
      const b = tf.tensor2d(Float32Array.from(sigB), [40, 2]);
      const series = [{ signal: a, samplingRate: 100 }, { signal: b, samplingRate: 10 }];
      const out = model.forward({ inputIds: ids, series }, { logits: 'all' });
      expect(out.mediaTokens).toEqual({ time_series: nA + nB });
      const expected = refModel.forward({ inputIds: ids, series: [
        { signal: fromArray(sigA.map(Math.fround), [120, 2]), samplingRate: 100 },
        { signal: fromArray(sigB.map(Math.fround), [40, 2]), samplingRate: 10 },
      ] });
      assertRelClose(out.logits!, expected.logits!, 1e-4, 'logits');
      model.disposeOutput(out);
      tf.dispose([a, b]);
      model.dispose();
    });

    it('rejects placeholder counts that differ from the feature rows, and media the model cannot see', async () => {
      const { cfg, weights } = tiny('pro', 4);
      const model = fast.InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false });
      const ts = model.seriesTokenId!;
      const n = model.timeSeries!.tokenCount(120, 100);
      const sig = tf.randomNormal([120, 1], 0, 1, 'float32', 3);
      await expectThrowsNoLeak(() => model.forward({ inputIds: [[1, ...new Array(n + 1).fill(ts)]], series: [{ signal: sig, samplingRate: 100 }] }),
        ShapeError, new RegExp(`${n + 1} time series placeholder tokens .* ${n} feature rows`));
      const pv = tf.zeros([1, 3, 448, 448]);
      await expectThrowsNoLeak(() => model.forward({ inputIds: [[1, 2]], images: { pixelValues: pv } }), ConfigError, /no vision tower/);
      const textOnly = fast.InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false, timeSeries: false });
      await expectThrowsNoLeak(() => textOnly.forward({ inputIds: [[1, ts]], series: [{ signal: sig, samplingRate: 100 }] }), ConfigError, /no time-series tower/);
      tf.dispose([sig, pv]);
      textOnly.dispose();
      model.dispose();
    });
  });

  describe('InternS1ForConditionalGeneration, loading', () => {
    it('rejects unsupported and inconsistent configs with a ConfigError naming the key', () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'intern-s1-cfg-'));
      try {
        const base = tinyConfigJson('s1', { vocabSize: V });
        const write = (json: unknown) => writeFileSync(path.join(dir, 'config.json'), JSON.stringify(json));
        writeFileSync(path.join(dir, 'model.safetensors'), serializeSafetensors({ x: { dtype: 'F32', shape: [1], data: [0] } }));
        write({ ...base, model_type: 'llava' });
        expect(() => fast.InternS1ForConditionalGeneration.fromCheckpoint(dir)).toThrow(ConfigError);
        expect(() => fast.InternS1ForConditionalGeneration.fromCheckpoint(dir)).toThrow(/model_type/);
        write({ ...base, text_config: { ...(base.text_config as object), num_experts_per_tok: 9 } });
        expect(() => fast.InternS1ForConditionalGeneration.fromCheckpoint(dir)).toThrow(/num_experts_per_tok/);
        write({ ...base, text_config: { ...(base.text_config as object), hidden_act: 'mish' } });
        expect(() => fast.InternS1ForConditionalGeneration.fromCheckpoint(dir)).toThrow(/hidden_act/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });


    it('a missing weight is a CheckpointError naming it, and nothing stays loaded', async () => {
      const json = tinyConfigJson('s1', { vocabSize: V });
      const tensors = tinyTensors(json, { variant: 's1', seed: 1 });
      delete tensors['model.language_model.layers.1.mlp.experts.3.down_proj.weight'];
      await expectThrowsNoLeak(() => fast.InternS1ForConditionalGeneration.fromWeights(parseConfig(json), memoryWeights(tensors)),
        CheckpointError, /layers\.1\.mlp\.experts\.3\.down_proj\.weight/);
      const noVision = tinyTensors(json, { variant: 's1', seed: 1 });
      delete noVision['model.vision_tower.encoder.layer.0.mlp.fc1.weight'];
      await expectThrowsNoLeak(() => fast.InternS1ForConditionalGeneration.fromWeights(parseConfig(json), memoryWeights(noVision)), CheckpointError, /fc1\.weight/);
      // ... but a text-only load does not need the vision weights.
      const model = fast.InternS1ForConditionalGeneration.fromWeights(parseConfig(json), memoryWeights(noVision), { vision: false });
      expect(model.vision).toBeNull();
      model.dispose();
    });
  });
});

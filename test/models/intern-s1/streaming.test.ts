/**
 * Issue 19 items 1, 3, 5: whole-model runs under a memory budget. With the budget forced tiny
 * (every layer streams, lm_head read in vocabulary slices, embeddings read by rows) the logits,
 * hidden states, router outputs and generated tokens are IDENTICAL (bit for bit, not within a
 * tolerance) to the everything-resident run, on cpu and wasm, for the tiny s1, mini and pro
 * checkpoints; a budget below the largest tensor is a MemoryBudgetError naming it, before any
 * weight is read.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import '../../../src/cli/components/model.js';
import '../../../src/cli/components/text-decoder.js';
import { MemoryBudgetError } from '../../../src/errors.js';
import { measureModel, MEMORY_BUDGET_ENV } from '../../../src/io/budget.js';
import { type ComponentTensor, runComponent } from '../../../src/io/components.js';
import { parseConfig } from '../../../src/io/configs/model.js';
import { toBytes } from '../../../src/io/dtype.js';
import { tinyConfigJson } from '../../../src/io/tiny-config.js';
import { tinyTensors } from '../../../src/io/tiny.js';
import { memoryWeights } from '../../../src/io/weights.js';
import { generate } from '../../../src/models/intern-s1/generate.js';
import { InternS1ForConditionalGeneration } from '../../../src/models/intern-s1/model.js';
import { mulberry32, normals } from '../../support/arbitraries.js';
import { forEachBackend } from '../../support/backends.js';

type Variant = 's1' | 'mini' | 'pro';

function tiny(variant: Variant, seed = 3) {
  const json = tinyConfigJson(variant, { vocabSize: 64 });
  return { cfg: parseConfig(json), weights: memoryWeights(tinyTensors(json, { variant, seed })) };
}

/** The smallest budget that streams: the always-resident part plus the largest layer (float32 bytes). */
function tinyBudget(variant: Variant): number {
  const { cfg, weights } = tiny(variant);
  const s = measureModel(cfg, weights);
  const f = (ts: readonly { elements: number }[]) => ts.reduce((a, t) => a + t.elements * 4, 0);
  return f(s.fixed) + Math.max(...s.layers.map((l) => f(l.dense) + f(l.experts)));
}

const values = (t: tf.Tensor | null) => Array.from(t!.dataSync());

afterEach(() => {
  delete process.env[MEMORY_BUDGET_ENV];
});

forEachBackend(() => {
  describe('memory budget: streamed == resident, identically', () => {
    for (const variant of ['s1', 'mini', 'pro'] as const) {
      it(`${variant}: logits, hidden states and router outputs of a streamed run equal the resident run's bit for bit`, () => {
        const { cfg, weights } = tiny(variant);
        const before = tf.memory().numTensors;
        const resident = InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false, timeSeries: false, memoryBudget: '1T' });
        const streamed = InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false, timeSeries: false, memoryBudget: tinyBudget(variant), lmHeadSliceRows: 7 });
        const L = streamed.text.cfg.num_hidden_layers;
        expect(resident.memoryPlan!.residentLayers).toBe(L);
        expect(streamed.memoryPlan).toMatchObject({ residentLayers: 0, embeddings: 'rows', lmHead: { mode: 'sliced', sliceRows: 7, slices: 10 } });
        expect(streamed.memoryPlan!.streamedLayers).toEqual([...Array(L).keys()]);
        expect(streamed.text.layers).toHaveLength(0);
        expect(streamed.text.lmHeadT).toBeNull();
        const inputs = { inputIds: [[3, 14, 15, 9, 2, 6], [1, 2, 63, 4, 5, 0]] };
        const a = resident.forward(inputs, { logits: 'all', returnRouter: true });
        const b = streamed.forward(inputs, { logits: 'all', returnRouter: true });
        expect(values(b.logits)).toEqual(values(a.logits));
        expect(values(b.hidden)).toEqual(values(a.hidden));
        a.router!.forEach((r, l) => {
          if (!r) return expect(b.router![l]).toBeNull();
          for (const k of ['logits', 'indices', 'weights'] as const) expect(values(b.router![l]![k])).toEqual(values(r[k]));
        });
        expect(b.expertLoad).toEqual(a.expertLoad);
        expect(streamed.text.streamStats.layers).toBe(L);
        expect(streamed.text.streamStats.lmHeadSlices).toBe(10);
        // Streamed weights are released: after the call only the outputs and the resident part remain.
        resident.disposeOutput(a);
        streamed.disposeOutput(b);
        resident.dispose();
        streamed.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });

      it(`${variant}: generate gives the same tokens streamed and resident (greedy and seeded sampling, with and without the cache)`, () => {
        const { cfg, weights } = tiny(variant, 11);
        const resident = InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false, timeSeries: false, memoryBudget: '1T' });
        const streamed = InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false, timeSeries: false, memoryBudget: tinyBudget(variant), lmHeadSliceRows: 5 });
        const inputs = { inputIds: [[3, 14, 15, 9, 2, 6]] };
        const before = tf.memory().numTensors;
        for (const o of [{}, { temperature: 0.9, topK: 20, topP: 0.95, seed: 5 }, { repetitionPenalty: 1.3, useCache: false }]) {
          const want = generate(resident, inputs, { maxNewTokens: 5, ...o });
          const got = generate(streamed, inputs, { maxNewTokens: 5, ...o });
          expect(got.tokens).toHaveLength(5);
          expect(got.tokens).toEqual(want.tokens);
        }
        expect(tf.memory().numTensors).toBe(before);
        resident.dispose();
        streamed.dispose();
      });
    }

    for (const variant of ['s1', 'pro'] as const) {
      it(`${variant}: streamed MoE layers with experts on demand fit a budget below a whole layer, with the same logits`, () => {
        const { cfg, weights } = tiny(variant);
        const s = measureModel(cfg, weights);
        const f = (ts: readonly { elements: number }[]) => ts.reduce((a, t) => a + t.elements * 4, 0);
        // the always-resident part plus the largest (dense part + K of E experts): less than a whole MoE layer
        const budget = f(s.fixed) + Math.max(...s.layers.map((l) => f(l.dense) + (l.numExperts ? (f(l.experts) / l.numExperts) * l.topK : 0)));
        expect(budget).toBeLessThan(tinyBudget(variant));
        expect(() => InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false, timeSeries: false, memoryBudget: budget })).toThrow(MemoryBudgetError);
        const resident = InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false, timeSeries: false, memoryBudget: '1T' });
        const streamed = InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false, timeSeries: false, memoryBudget: budget, expertsOnDemand: { capacityBytes: 0 } });
        expect(streamed.memoryPlan).toMatchObject({ residentLayers: 0, streamingBytes: budget - f(s.fixed) });
        const inputs = { inputIds: [[3, 14, 15, 9, 2, 6]] };
        const a = resident.forward(inputs, { logits: 'all' });
        const b = streamed.forward(inputs, { logits: 'all' });
        expect(values(b.logits)).toEqual(values(a.logits));
        resident.disposeOutput(a);
        streamed.disposeOutput(b);
        resident.dispose();
        streamed.dispose();
      });
    }

    it('streamed MoE layers keep their expert caches across forward calls (hits on the second call, same logits, nothing leaked)', () => {
      const { cfg, weights } = tiny('pro');
      const before = tf.memory().numTensors;
      const resident = InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false, timeSeries: false, memoryBudget: '1T' });
      const streamed = InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false, timeSeries: false, memoryBudget: tinyBudget('pro'), expertsOnDemand: { capacityBytes: Infinity } });
      expect(streamed.memoryPlan!.residentLayers).toBe(0);
      const inputs = { inputIds: [[3, 14, 15, 9, 2, 6]] };
      const a = resident.forward(inputs, { logits: 'all' });
      const first = streamed.forward(inputs, { logits: 'all' });
      const caches = [...streamed.text.streamedExpertCaches.values()];
      expect(caches.length).toBeGreaterThan(0);
      const misses = caches.map((c) => c.stats().misses);
      expect(misses.every((m) => m > 0)).toBe(true);
      const second = streamed.forward(inputs, { logits: 'all' });
      // the same tokens choose the same experts: every one is now a hit, none is read again
      expect(caches.map((c) => c.stats().misses)).toEqual(misses);
      expect(caches.every((c) => c.stats().hits >= c.stats().misses)).toBe(true);
      expect(values(first.logits)).toEqual(values(a.logits));
      expect(values(second.logits)).toEqual(values(a.logits));
      resident.disposeOutput(a);
      streamed.disposeOutput(first);
      streamed.disposeOutput(second);
      resident.dispose();
      streamed.dispose();
      expect(streamed.text.streamedExpertCaches.size).toBe(0);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('pro with an image and a signal: a streamed run equals the resident one; a middle budget keeps a prefix of layers', () => {
      const { cfg, weights } = tiny('pro', 6);
      if (cfg.model_type !== 'interns1_pro') throw new Error('expected a pro config');
      const s = measureModel(cfg, weights, { vision: true, timeSeries: true });
      const f = (ts: readonly { elements: number }[]) => ts.reduce((x, t) => x + t.elements * 4, 0);
      const layer0 = f(s.layers[0].dense) + f(s.layers[0].experts);
      const slot = Math.max(...s.layers.map((l) => f(l.dense) + f(l.experts)));
      const budget = f(s.fixed) + f(s.towers) + slot + layer0; // room for layer 0 resident and one streamed layer
      const resident = InternS1ForConditionalGeneration.fromWeights(cfg, weights, { memoryBudget: '1T' });
      const streamed = InternS1ForConditionalGeneration.fromWeights(cfg, weights, { memoryBudget: budget });
      expect(streamed.memoryPlan!.residentLayers).toBe(1);
      expect(streamed.text.layers).toHaveLength(1);
      const P = 4 * 6;
      const pixelValues = tf.tensor2d(Float32Array.from(normals(mulberry32(8), P * 1536)), [P, 1536]);
      const signal = tf.tensor2d(Float32Array.from(normals(mulberry32(2), 60 * 2)), [60, 2]);
      const img = cfg.image_token_id;
      const ts = cfg.ts_token_id;
      const inputs = { inputIds: [[1, 2, ...new Array(6).fill(img), 3, ...new Array(resident.timeSeries!.tokenCount(60, 10)).fill(ts), 4]], images: { pixelValues, gridThw: [[1, 4, 6]] as [number, number, number][] }, series: [{ signal, samplingRate: 10 }] };
      const a = resident.forward(inputs, { logits: 'all' });
      const b = streamed.forward(inputs, { logits: 'all' });
      expect(values(b.logits)).toEqual(values(a.logits));
      expect(streamed.text.streamStats.layers).toBe(cfg.text_config.num_hidden_layers - 1);
      resident.disposeOutput(a);
      streamed.disposeOutput(b);
      tf.dispose([pixelValues, signal]);
      resident.dispose();
      streamed.dispose();
    });

    it('the text and model components give identical outputs under INTERN_S1_MEMORY_BUDGET forced tiny', async () => {
      for (const variant of ['mini', 'pro'] as const) {
        const { cfg, weights } = tiny(variant);
        const ckpt = { weights, config: cfg };
        const ids = [5, 1, 2, 9, 33, 7];
        const inputs: Record<string, ComponentTensor> = { input_ids: { dtype: 'I64', shape: [1, ids.length], bytes: toBytes('I64', ids) } };
        process.env[MEMORY_BUDGET_ENV] = '1T';
        const text = await runComponent('text', ckpt, inputs);
        const model = await runComponent('model', ckpt, inputs);
        process.env[MEMORY_BUDGET_ENV] = String(tinyBudget(variant));
        const textS = await runComponent('text', ckpt, inputs);
        const modelS = await runComponent('model', ckpt, inputs);
        expect(Array.from(textS.logits.data)).toEqual(Array.from(text.logits.data));
        expect(Array.from(textS.hidden_states.data)).toEqual(Array.from(text.hidden_states.data));
        expect(Array.from(modelS.logits.data)).toEqual(Array.from(model.logits.data));
      }
    });
  });

  describe('memory budget: limits', () => {
    it('a budget below the largest tensor is a MemoryBudgetError naming it, its size and the budget, before any weight is read', () => {
      const { cfg, weights } = tiny('s1');
      let reads = 0;
      const counting = new Proxy(weights, { get: (w, k) => (k === 'tensor' || k === 'float32' || k === 'rows' ? (...a: unknown[]) => { reads++; return (w as never as Record<string, (...x: unknown[]) => unknown>)[k](...a); } : (w as never as Record<string | symbol, unknown>)[k]) });
      const before = tf.memory().numTensors;
      let err: unknown;
      try {
        InternS1ForConditionalGeneration.fromWeights(cfg, counting, { vision: false, memoryBudget: 1000 });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MemoryBudgetError);
      const e = err as MemoryBudgetError;
      const s = measureModel(cfg, weights);
      const all = s.layers.flatMap((l) => [...l.dense, ...l.experts]).concat(s.fixed);
      const big = all.reduce((m, t) => (t.elements > m.elements ? t : m));
      expect([e.tensor, e.bytes, e.budget]).toEqual([big.name, big.elements * 4, 1000]);
      expect(e.message).toContain(`'${big.name}'`);
      expect(e.message).toContain('1000 B');
      expect(reads).toBe(0);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('a budget that holds every tensor but not one layer names the layer; a bad budget string is a ValueError', () => {
      const { cfg, weights } = tiny('mini');
      const s = measureModel(cfg, weights);
      const big = Math.max(...s.layers.flatMap((l) => l.dense.map((t) => t.elements * 4)));
      expect(() => InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false, memoryBudget: big })).toThrow(/decoder layer 0 needs .* to stream/);
      expect(() => InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false, memoryBudget: '12 parsecs' })).toThrow(/memoryBudget: expected a positive byte count/);
      process.env[MEMORY_BUDGET_ENV] = '-3G';
      expect(() => InternS1ForConditionalGeneration.fromWeights(cfg, weights, { vision: false })).toThrow(/INTERN_S1_MEMORY_BUDGET: expected a positive byte count/);
    });

    it('a streamed layer missing a tensor is a CheckpointError at load, naming the tensor', () => {
      const json = tinyConfigJson('mini', { vocabSize: 64 });
      const tensors = tinyTensors(json, { variant: 'mini', seed: 3 });
      delete tensors['model.language_model.layers.1.mlp.up_proj.weight'];
      const cfg = parseConfig(json);
      expect(() => InternS1ForConditionalGeneration.fromWeights(cfg, memoryWeights(tensors), { vision: false, memoryBudget: tinyBudget('mini') })).toThrow(/no tensor 'model\.language_model\.layers\.1\.mlp\.up_proj\.weight' \(decoder layer 1, streamed/);
    });
  });
});

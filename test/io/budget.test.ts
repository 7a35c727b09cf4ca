/** Memory budgets (issue 19): byte counts, default budgets, and the planner's choices, by hand-computed cases. */
import { describe, expect, it } from 'vitest';
import { MemoryBudgetError, ValueError } from '../../src/errors.js';
import {
  defaultMemoryBudget, type LayerSizes, measureModel, type ModelSizes, parseByteSize, planMemory, resolveMemoryBudget,
  type TensorSize,
} from '../../src/io/budget.js';
import { parseConfig, textConfigOf } from '../../src/io/configs/model.js';
import { tinyConfigJson } from '../../src/io/tiny-config.js';
import { tinyTensors } from '../../src/io/tiny.js';
import { memoryWeights } from '../../src/io/weights.js';

const t = (name: string, elements: number, bytesPer = 2): TensorSize => ({ name, elements, storedBytes: elements * bytesPer });
const dense = (index: number, elements = 1000): LayerSizes => ({ index, dense: [t(`layers.${index}.w`, elements)], experts: [], numExperts: 0, topK: 0 });

/** V = 10, D = 100: embed and lm_head 1000 elements (4000 B float32), one 100-element norm (400 B), three 4000 B layers. */
function sizes(layers: LayerSizes[] = [0, 1, 2].map((i) => dense(i))): ModelSizes {
  return { vocab: 10, hidden: 100, embed: t('embed', 1000), lmHead: t('lm_head', 1000), tied: false, fixed: [t('norm', 100)], towers: [], layers };
}

describe('parseByteSize', () => {
  it('reads plain counts and binary K/M/G/T suffixes (B, iB, any case)', () => {
    expect(parseByteSize('1000000')).toBe(1_000_000);
    expect(parseByteSize('1.5K')).toBe(1536);
    expect(parseByteSize('512MiB')).toBe(512 * 2 ** 20);
    expect(parseByteSize(' 8g ')).toBe(8 * 2 ** 30);
    expect(parseByteSize('2TB')).toBe(2 * 2 ** 40);
    expect(parseByteSize(4096.7)).toBe(4096);
  });
  it('rejects empty, negative, zero, NaN and unknown suffixes with a ValueError naming the source', () => {
    for (const bad of ['', '-1G', '0', 'abc', '12 parsecs', '1P', 'G']) {
      expect(() => parseByteSize(bad, 'INTERN_S1_MEMORY_BUDGET')).toThrow(ValueError);
      expect(() => parseByteSize(bad, 'INTERN_S1_MEMORY_BUDGET')).toThrow(/INTERN_S1_MEMORY_BUDGET/);
    }
    expect(() => parseByteSize(Number.NaN)).toThrow(ValueError);
    expect(() => parseByteSize(-5)).toThrow(ValueError);
  });
});

describe('defaultMemoryBudget / resolveMemoryBudget', () => {
  it('wasm: 4 GiB less 1 GiB; cpu and tensorflow: half the RAM; RAM unknown: no limit', () => {
    expect(defaultMemoryBudget({ backend: 'wasm', totalMemory: 64 * 2 ** 30 })).toBe(3 * 2 ** 30);
    expect(defaultMemoryBudget({ backend: 'cpu', totalMemory: 24 * 2 ** 30 })).toBe(12 * 2 ** 30);
    expect(defaultMemoryBudget({ backend: 'tensorflow', totalMemory: 10 })).toBe(5);
    expect(defaultMemoryBudget({ backend: 'cpu' })).toBe(Infinity);
  });
  it('the option wins over INTERN_S1_MEMORY_BUDGET, which wins over the default', () => {
    const env = { backend: 'wasm' };
    process.env.INTERN_S1_MEMORY_BUDGET = '2G';
    try {
      expect(resolveMemoryBudget('1M', env)).toEqual({ bytes: 2 ** 20, source: 'the memoryBudget option' });
      expect(resolveMemoryBudget(undefined, env)).toEqual({ bytes: 2 * 2 ** 30, source: 'INTERN_S1_MEMORY_BUDGET' });
    } finally {
      delete process.env.INTERN_S1_MEMORY_BUDGET;
    }
    expect(resolveMemoryBudget(undefined, env).bytes).toBe(3 * 2 ** 30);
  });
});

describe('planMemory', () => {
  it('everything fits: all resident, nothing read per token', () => {
    const p = planMemory(sizes(), { budget: 400 + 4000 * 5 });
    expect(p).toMatchObject({ residentLayers: 3, streamedLayers: [], embeddings: 'resident', lmHead: { mode: 'resident' }, residentBytes: 20400, streamingBytes: 0, expertCacheBytes: 0, readBytesPerToken: 0 });
  });
  it('only the embedding table does not fit: it is read by rows (one row per token), the rest resident', () => {
    const p = planMemory(sizes(), { budget: 400 + 4000 * 4 });
    expect(p).toMatchObject({ residentLayers: 3, streamedLayers: [], embeddings: 'rows', lmHead: { mode: 'resident' }, residentBytes: 16400 });
    expect(p.readBytesPerToken).toBe(200); // one BF16 row of 100
  });
  it('streaming: one slot for the largest layer, a prefix of layers resident, then lm_head, else lm_head sliced', () => {
    // 400 fixed + 4000 slot + 2 layers = 12400: layers 0, 1 resident, layer 2 and lm_head stream.
    const p = planMemory(sizes(), { budget: 12400 });
    expect(p).toMatchObject({ residentLayers: 2, streamedLayers: [2], embeddings: 'rows', residentBytes: 8400, streamingBytes: 4000, expertCacheBytes: 0 });
    expect(p.lmHead).toEqual({ mode: 'sliced', sliceRows: 10, slices: 1 }); // the 4000 B slot holds 10 rows of 400 B
    expect(p.readBytesPerToken).toBe(2000 + 2000 + 200); // layer 2 + lm_head + one embedding row (BF16)
    expect(p.decodedBytesPerToken).toBe(4000 + 4000 + 400);
    // 500 more: still 2 layers (a third needs 4000), lm_head sliced, 500 left for an expert cache.
    expect(planMemory(sizes(), { budget: 12900 })).toMatchObject({ residentLayers: 2, lmHead: { mode: 'sliced' }, expertCacheBytes: 500 });
    // Layers of 8000 B: layer 0 resident, layer 1 does not fit beside the slot, but lm_head (4000 B) does.
    const big = planMemory(sizes([0, 1, 2].map((i) => dense(i, 2000))), { budget: 400 + 8000 + 8000 + 4000 });
    expect(big).toMatchObject({ residentLayers: 1, streamedLayers: [1, 2], lmHead: { mode: 'resident' }, residentBytes: 12400, streamingBytes: 8000, expertCacheBytes: 0 });
    expect(planMemory(sizes(), { budget: 4400, lmHeadSliceRows: 3 })).toMatchObject({ residentLayers: 0, streamedLayers: [0, 1, 2], lmHead: { mode: 'sliced', sliceRows: 3, slices: 4 } });
  });
  it('MoE layers: all experts stream, or the dense part plus K experts with experts on demand', () => {
    // dense part 500 elements (2000 B), 4 experts of 250 (1000 B each), top-1
    const moe: LayerSizes = { index: 0, dense: [t('attn', 500)], experts: [0, 1, 2, 3].map((e) => t(`e${e}`, 250)), numExperts: 4, topK: 1 };
    const s = sizes([moe]);
    expect(planMemory(s, { budget: 400 + 6000 })).toMatchObject({ residentLayers: 0, streamingBytes: 6000, lmHead: { mode: 'sliced', sliceRows: 10 } });
    expect(() => planMemory(s, { budget: 400 + 3000 })).toThrow(/decoder layer 0 needs 5\.86 KiB as float32 to stream \(largest tensor 'attn', 1\.95 KiB\)/);
    const od = planMemory(s, { budget: 400 + 3000, expertsOnDemand: true });
    expect(od).toMatchObject({ residentLayers: 0, streamingBytes: 3000, expertCacheBytes: 0 });
    expect(od.readBytesPerToken).toBe(1000 + 500 + 2000 + 200); // dense part + one expert + lm_head + one embedding row
    expect(planMemory(s, { budget: 400 + 3000 + 700, expertsOnDemand: true }).expertCacheBytes).toBe(700);
  });
  it('a tensor larger than the budget: MemoryBudgetError with its name, size and the budget', () => {
    const s = sizes([dense(0), dense(1, 5000)]);
    let err: MemoryBudgetError | undefined;
    try {
      planMemory(s, { budget: 10_000, source: 'INTERN_S1_MEMORY_BUDGET' });
    } catch (e) {
      err = e as MemoryBudgetError;
    }
    expect(err).toBeInstanceOf(MemoryBudgetError);
    expect([err!.tensor, err!.bytes, err!.budget]).toEqual(['layers.1.w', 20000, 10000]);
    expect(err!.message).toBe("tensor 'layers.1.w' needs 19.53 KiB as float32 but the memory budget is 9.77 KiB (INTERN_S1_MEMORY_BUDGET); it cannot fit even streamed layer by layer");
  });
});

describe('measureModel', () => {
  it('groups a tiny s1 checkpoint by role: layers (dense part and experts), embed, lm_head, fixed, towers', () => {
    const json = tinyConfigJson('s1', { vocabSize: 64 });
    const cfg = parseConfig(json);
    const w = memoryWeights(tinyTensors(json, { variant: 's1', seed: 1 }));
    const s = measureModel(cfg, w, { vision: true });
    const text = textConfigOf(cfg);
    if (text.model_type !== 'qwen3_moe') throw new Error('expected an s1 config with a MoE text config');
    expect(s.layers).toHaveLength(text.num_hidden_layers);
    expect(s.embed).toMatchObject({ name: 'model.language_model.embed_tokens.weight', elements: 64 * text.hidden_size });
    expect(s.lmHead.name).toBe('lm_head.weight');
    expect(s.fixed.map((x) => x.name)).toEqual(['model.language_model.norm.weight']);
    expect(s.towers.length).toBeGreaterThan(0);
    expect(s.towers.every((x) => x.name.startsWith('model.vision_tower.') || x.name.startsWith('model.multi_modal_projector.'))).toBe(true);
    const l0 = s.layers[0];
    expect(l0.experts).toHaveLength(3 * text.num_experts);
    expect(l0.numExperts).toBe(text.num_experts);
    expect(l0.dense.map((x) => x.name)).toContain('model.language_model.layers.0.mlp.gate.weight');
    // every tensor of the checkpoint is counted, once
    const all = [s.embed, s.lmHead, ...s.fixed, ...s.towers, ...s.layers.flatMap((l) => [...l.dense, ...l.experts])];
    expect(new Set(all.map((x) => x.name)).size).toBe(w.names().length);
    expect(measureModel(cfg, w).towers).toEqual([]);
  });
});

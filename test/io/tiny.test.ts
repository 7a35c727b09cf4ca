/**
 * Checkpoint layouts (spec 9.1–9.3) and tiny checkpoints: deterministic for a seed, loadable
 * through every source kind, consistent with their config, well-conditioned initial values.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describePro } from '../support/pro-files.js';
import { toFlat } from '../../reference/ndarray.js';
import { ValueError } from '../../src/errors.js';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { type InternS1ProConfig, parseConfig } from '../../src/io/config.js';
import { checkpointLayout, fopeNumFrequencies } from '../../src/io/layout.js';
import { serializeSafetensors } from '../../src/io/safetensors-write.js';
import { initTiny, seededNormals, tinyConfigJson, tinyTensors } from '../../src/io/tiny.js';
import { memoryWeights } from '../../src/io/weights.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tiny-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const VARIANTS = ['s1', 'mini', 'pro'] as const;

describePro('checkpoint layout of the real Intern-S1-Pro config (spec 9.3)', (dir) => {
  it('names, shapes, FoPE K = 45, FP8 marks, and about 0.92 T parameters (spec 1.1)', () => {
    const cfg = parseConfig(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'))) as InternS1ProConfig;
    const layout = checkpointLayout(cfg);
    const by = new Map(layout.map((e) => [e.name, e]));
    const shape = (n: string) => by.get(n)?.shape;
    expect(fopeNumFrequencies(cfg.text_config)).toBe(45);
    expect(shape('model.language_model.rotary_emb.cos_coef')).toEqual([4, 45, 45]);
    expect(shape('model.language_model.embed_tokens.weight')).toEqual([155008, 4096]);
    expect(shape('model.language_model.layers.93.self_attn.q_proj.weight')).toEqual([8192, 4096]);
    expect(shape('model.language_model.layers.0.self_attn.k_proj.weight')).toEqual([512, 4096]);
    expect(shape('model.language_model.layers.0.self_attn.q_norm.weight')).toEqual([128]);
    expect(shape('model.language_model.layers.0.mlp.gate.weight')).toEqual([512, 4096]);
    expect(shape('model.language_model.layers.5.mlp.experts.511.down_proj.weight')).toEqual([4096, 1536]);
    expect(shape('model.visual.patch_embed.proj.weight')).toEqual([1024, 3, 2, 16, 16]);
    expect(shape('model.visual.pos_embed.weight')).toEqual([2304, 1024]);
    expect(shape('model.visual.blocks.23.attn.qkv.weight')).toEqual([3072, 1024]);
    expect(shape('model.visual.merger.linear_fc1.weight')).toEqual([4096, 4096]);
    expect(shape('lm_head.weight')).toEqual([155008, 4096]);
    expect(by.get('model.language_model.layers.0.mlp.experts.0.up_proj.weight')?.fp8).toBe(true);
    expect(by.get('model.language_model.layers.0.mlp.gate.weight')?.fp8).toBe(false);
    expect(by.get('model.visual.blocks.0.attn.qkv.weight')?.fp8).toBe(false);
    expect(layout.some((e) => e.name.startsWith('model.time_series.'))).toBe(false); // no ts_config in this release
    const params = layout.reduce((a, e) => a + e.shape.reduce((x, y) => x * y, 1), 0);
    expect(params).toBeGreaterThan(0.9e12);
    expect(params).toBeLessThan(0.95e12);
  });
}, 'config.json');

describe('tiny checkpoints', () => {
  it('deterministic for a seed (bytes), different for another seed', () => {
    const cfg = tinyConfigJson('pro', { vocabSize: 200, fp8Block: 8 });
    const a = serializeSafetensors(tinyTensors(cfg, { seed: 7, dtype: 'fp8' }));
    const b = serializeSafetensors(tinyTensors(cfg, { seed: 7, dtype: 'fp8' }));
    const c = serializeSafetensors(tinyTensors(cfg, { seed: 8, dtype: 'fp8' }));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
    expect(Array.from(seededNormals(3, 'x', 4))).toEqual(Array.from(seededNormals(3, 'x', 4)));
  });
  it('initTiny writes identical folders for the same options', () => {
    const o = { variant: 's1' as const, seed: 3, vocabSize: 300, dtype: 'bf16' as const };
    const s1 = initTiny(path.join(tmp, 'a'), o);
    const s2 = initTiny(path.join(tmp, 'b'), o);
    expect(s1.files.map(sha)).toEqual(s2.files.map(sha));
    expect(sha(path.join(tmp, 'a', 'config.json'))).toBe(sha(path.join(tmp, 'b', 'config.json')));
  });
  for (const variant of VARIANTS) {
    it(`${variant}: loads, and its tensors are exactly the layout its config implies`, () => {
      const s = initTiny(path.join(tmp, `load-${variant}`), { variant, seed: 1, vocabSize: 512 });
      const c = openCheckpoint(s.dir);
      expect(c.config).toEqual(s.config);
      const layout = checkpointLayout(c.config!).filter((e) => !e.optional);
      expect(c.weights.names().sort()).toEqual(layout.map((e) => e.name).sort());
      for (const e of layout) expect(c.weights.info(e.name).shape).toEqual(e.shape);
      expect(s.bytes).toBeLessThan((variant === 'pro' ? 4 : 1.5) * 2 ** 20);
      c.close();
    });
  }
  it('pro has the vision tower, the time-series tower and FoPE coefficients identity + small noise', () => {
    const w = memoryWeights(tinyTensors(tinyConfigJson('pro', { vocabSize: 64 }), { seed: 2 }));
    expect(w.has('model.visual.merger.linear_fc2.weight')).toBe(true);
    expect(w.has('model.time_series.encoder.layers.1.fc2.weight')).toBe(true);
    expect(w.has('model.time_series.encoder.layers.0.self_attn.k_proj.bias')).toBe(false);
    const cos = w.array('model.language_model.rotary_emb.cos_coef');
    expect(cos.shape).toEqual([2, 6, 6]);
    const std = 0.5 * Math.sqrt(2 / (6 * 6 + 2 * 6)); // xavier_normal(gain 0.5) on [2, 6, 6] (spec 5.3)
    const noise: number[] = [];
    for (let h = 0; h < 2; h++) for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) noise.push(cos.get(h, i, j) - (i === j ? 1 : 0));
    expect(Math.max(...noise.map(Math.abs))).toBeLessThan(4 * std);
    const rms = Math.sqrt(noise.reduce((a, b) => a + b * b, 0) / noise.length);
    expect(rms).toBeGreaterThan(0.6 * std);
    expect(rms).toBeLessThan(1.4 * std);
    expect(w.info('model.language_model.rotary_emb.sin_coef').dtype).toBe('F32');
  });
  it('initial values: norms about 1, linear weights with std about 1/sqrt(fan_in)', () => {
    const w = memoryWeights(tinyTensors(tinyConfigJson('s1', { vocabSize: 64 }), { seed: 4 }));
    const stats = (n: string) => {
      const v = toFlat(w.array(n));
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      return { m, s: Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length) };
    };
    const norm = stats('model.language_model.layers.0.input_layernorm.weight');
    expect(Math.abs(norm.m - 1)).toBeLessThan(0.1);
    const fc1 = stats('model.vision_tower.encoder.layer.1.mlp.fc1.weight'); // [32, 16]
    expect(Math.abs(fc1.m)).toBeLessThan(0.05);
    expect(fc1.s).toBeGreaterThan(0.2);
    expect(fc1.s).toBeLessThan(0.3);
  });
  it('fp8 dequantises close to the f32 checkpoint of the same seed; fused experts equal the per-expert layout', () => {
    const cfg = tinyConfigJson('pro', { vocabSize: 64, fp8Block: 8 });
    const f32 = memoryWeights(tinyTensors(cfg, { seed: 5 }));
    const fp8 = memoryWeights(tinyTensors(cfg, { seed: 5, dtype: 'fp8' }), { fp8BlockSize: 8 });
    const fused = memoryWeights(tinyTensors(cfg, { seed: 5, fusedExperts: true }));
    const name = 'model.language_model.layers.1.mlp.experts.6.gate_proj.weight';
    expect(fp8.info(name).dtype).toBe('F8_E4M3');
    const a = f32.float32(name);
    const q = fp8.float32(name);
    for (let i = 0; i < a.length; i++) expect(Math.abs(q[i] - a[i])).toBeLessThanOrEqual(Math.abs(a[i]) / 16 + 2 ** -10);
    expect(fused.names().sort()).toEqual(f32.names().sort());
    for (const p of ['gate_proj', 'up_proj', 'down_proj']) {
      const n = `model.language_model.layers.0.mlp.experts.3.${p}.weight`;
      expect(Array.from(fused.float32(n))).toEqual(Array.from(f32.float32(n)));
    }
  });
  it('sharded output opens through its index and matches the single file', () => {
    const one = initTiny(path.join(tmp, 'one'), { variant: 'mini', seed: 9, vocabSize: 128 });
    const many = initTiny(path.join(tmp, 'many'), { variant: 'mini', seed: 9, vocabSize: 128, shards: 3 });
    expect(many.files.length).toBe(3);
    expect(existsSync(path.join(many.dir, 'model.safetensors.index.json'))).toBe(true);
    const a = openCheckpoint(one.dir).weights;
    const b = openCheckpoint(many.dir).weights;
    expect(b.names().sort()).toEqual(a.names().sort());
    for (const n of a.names()) expect(Array.from(b.float32(n))).toEqual(Array.from(a.float32(n)));
  });
  it('default vocabulary keeps the real token ids; tiny-vocab moves them to its top', () => {
    const real = parseConfig(tinyConfigJson('pro')) as InternS1ProConfig;
    expect([real.text_config.vocab_size, real.image_token_id, real.ts_token_id]).toEqual([155008, 151655, 151685]);
    const small = parseConfig(tinyConfigJson('pro', { vocabSize: 100 })) as InternS1ProConfig;
    expect([small.image_token_id, small.video_token_id, small.text_config.eos_token_id]).toEqual([99, 98, 91]);
    expect(() => tinyConfigJson('pro', { vocabSize: 8 })).toThrow(ValueError);
    expect(() => tinyConfigJson('xl' as never)).toThrow(/variant must be s1, mini or pro/);
    expect(() => initTiny(path.join(tmp, 'x'), { shards: 0 })).toThrow(ValueError);
  });
});

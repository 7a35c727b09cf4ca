/**
 * Weight sources: in-memory, single file and sharded folder give the same tensors; FP8 block
 * dequantisation against the reference; fused experts and InternVL-chat names map to the
 * canonical HF names (spec 9.1, 9.5); errors name the tensor and the file; no tensor leaks.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import ndarray from 'ndarray';
import { afterAll, describe, expect, it } from 'vitest';
import { type WeightSource as RefWeights, arrayWeights } from '../../reference/weights.js';
import { toFlat } from '../../reference/ndarray.js';
import * as refDt from '../../reference/ops/dtypes.js';
import { CheckpointError, DTypeError, ShapeError, ValueError } from '../../src/errors.js';
import { openCheckpoint, openSafetensors } from '../../src/io/checkpoint.js';
import { FileReader } from '../../src/io/file-reader.js';
import { writeSafetensors } from '../../src/io/safetensors-write.js';
import { type TensorInput, type WeightSource, memoryWeights } from '../../src/io/weights.js';
import { quantFp8Block } from '../../src/ops/dtypes.js';
import { assertClose } from '../support/assert-close.js';
import { mulberry32, normals } from '../support/arbitraries.js';
import { forEachBackend } from '../support/backends.js';
import { expectNoLeak, expectThrowsNoLeak } from '../support/leak.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'weights-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const rand = (n: number, seed: number) => normals(mulberry32(seed), n);

/** A small checkpoint with one tensor of each kind a model reads. */
function tensors(): Record<string, TensorInput> {
  return {
    'model.language_model.embed_tokens.weight': { dtype: 'BF16', shape: [10, 4], data: rand(40, 1) },
    'model.language_model.layers.0.self_attn.q_proj.weight': { dtype: 'F32', shape: [6, 4], data: rand(24, 2) },
    'model.language_model.norm.weight': { dtype: 'F16', shape: [4], data: [1, 1.5, 0.5, 2] },
    'model.language_model.rotary_emb.cos_coef': { dtype: 'F32', shape: [2, 3, 3], data: rand(18, 3) },
    'model.language_model.rotary_emb.inv_freq': { dtype: 'F32', shape: [2], data: [1, 0.5] },
    'position_ids': { dtype: 'I64', shape: [3], data: [0n, 1n, 2n ** 40n] },
  };
}

/** The same checkpoint through the three sources. */
function sources(): [string, () => WeightSource][] {
  const t = tensors();
  const file = path.join(tmp, 'one.safetensors');
  writeSafetensors(file, t);
  const dir = path.join(tmp, 'sharded');
  mkdirSync(dir, { recursive: true });
  const names = Object.keys(t);
  const shards = [names.slice(0, 3), names.slice(3)];
  const weightMap: Record<string, string> = {};
  shards.forEach((ns, i) => {
    const f = `model-0000${i + 1}-of-00002.safetensors`;
    writeSafetensors(path.join(dir, f), Object.fromEntries(ns.map((n) => [n, t[n]])));
    for (const n of ns) weightMap[n] = f;
  });
  writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
  return [
    ['memory', () => memoryWeights(t)],
    ['file', () => openSafetensors(file)],
    ['sharded folder', () => openCheckpoint(dir).weights],
  ];
}

/** Reference code sees a source only through the structural interface. */
function refSum(w: RefWeights, name: string): number {
  return toFlat(w.array(name)).reduce((a, b) => a + b, 0);
}

describe.each(sources())('%s source', (_, make) => {
  const t = tensors();
  it('lists canonical names in storage order, hiding rotary_emb.inv_freq, keeping cos_coef', () => {
    const w = make();
    expect(w.names().sort()).toEqual(Object.keys(t).filter((n) => !n.endsWith('inv_freq')).sort());
    expect(w.has('model.language_model.rotary_emb.inv_freq')).toBe(false);
    expect(w.has('model.language_model.rotary_emb.cos_coef')).toBe(true);
    w.close();
  });
  it('info, float32 (BF16 / F16 decoded), array (float64), raw ints', () => {
    const w = make();
    expect(w.info('model.language_model.embed_tokens.weight')).toEqual({ shape: [10, 4], dtype: 'BF16' });
    const emb = w.float32('model.language_model.embed_tokens.weight');
    expect(Array.from(emb)).toEqual(Array.from(refDt.decodeBf16(refDt.encodeBf16(t['model.language_model.embed_tokens.weight'].data as Float64Array)), Math.fround));
    expect(Array.from(w.float32('model.language_model.norm.weight'))).toEqual([1, 1.5, 0.5, 2]);
    expect(refSum(w, 'model.language_model.norm.weight')).toBe(5);
    expect(w.array('position_ids').data[2]).toBe(2 ** 40);
    const raw = w.raw('position_ids');
    expect(raw.dtype).toBe('I64');
    expect(Array.from(new BigInt64Array(raw.bytes.slice().buffer))).toEqual([0n, 1n, 2n ** 40n]);
    w.close();
  });
  it('rows() gives the selected rows', () => {
    const w = make();
    const all = w.float32('model.language_model.embed_tokens.weight');
    const rows = w.rows('model.language_model.embed_tokens.weight', [7, 0, 7]);
    expect(Array.from(rows)).toEqual([...all.subarray(28, 32), ...all.subarray(0, 4), ...all.subarray(28, 32)]);
    expect(() => w.rows('model.language_model.embed_tokens.weight', [10])).toThrow(ValueError);
    w.close();
  });
  it('errors name the tensor and the location', () => {
    const w = make();
    expect(() => w.info('model.language_model.norm.wieght')).toThrow(CheckpointError);
    expect(() => w.info('model.language_model.norm.wieght')).toThrow(new RegExp(`${w.location.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: no tensor 'model.language_model.norm.wieght' \\(5 tensors; closest: 'model.language_model.norm.weight'`));
    expect(() => w.float32('position_ids')).toThrow(DTypeError);
    expect(() => w.float32('model.language_model.rotary_emb.cos_coef', { transpose: true })).toThrow(ShapeError);
    w.close();
  });
  forEachBackend(() => {
    it('tensor() gives float32 tensors, transposed on request, and leaks nothing', async () => {
      const w = make();
      await expectNoLeak(() => {
        const q = w.tensor('model.language_model.layers.0.self_attn.q_proj.weight');
        const qt = w.tensor('model.language_model.layers.0.self_attn.q_proj.weight', { transpose: true });
        expect(q.dtype).toBe('float32');
        expect(qt.shape).toEqual([4, 6]);
        const ref = tf.transpose(q);
        assertClose(qt, ref, { rtol: 0, atol: 0 });
        ref.dispose();
        tf.dispose([q, qt]);
      });
      await expectThrowsNoLeak(() => w.tensor('position_ids'), DTypeError);
      await expectThrowsNoLeak(() => w.tensor('nope'), CheckpointError);
      w.close();
    });
  });
});

describe('reference arrayWeights', () => {
  it('serves arrays by name through the same structural interface', () => {
    const w = arrayWeights({ 'model.norm.weight': ndarray(Float64Array.from([1, 2]), [2]) });
    expect(refSum(w, 'model.norm.weight')).toBe(3);
    expect(w.has('model.norm.weight')).toBe(true);
    expect(w.has('toString')).toBe(false);
    expect(() => w.array('nope')).toThrow(/arrayWeights: no tensor 'nope' \(1 tensors\)/);
    expect(() => w.array('toString')).toThrow(/no tensor 'toString'/);
  });
});

describe('transpose', () => {
  it('matches an element-wise transpose across 32x32 tile boundaries', () => {
    const [R, C] = [70, 45];
    const data = rand(R * C, 77);
    const w = memoryWeights({ m: { dtype: 'F32', shape: [R, C], data } });
    const t = w.float32('m', { transpose: true });
    for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) expect(t[c * R + r]).toBe(Math.fround(data[r * C + c]));
  });
});

describe('reads only what is needed', () => {
  it('rows() of an embedding reads those rows only', () => {
    const file = path.join(tmp, 'emb.safetensors');
    writeSafetensors(file, { e: { dtype: 'BF16', shape: [50000, 16], data: new Float32Array(800000).fill(1) } });
    let reader: FileReader | undefined;
    const w = openSafetensors(file, { openReader: (f) => (reader = new FileReader(f)) });
    const header = reader!.bytesRead;
    w.rows('e', [3, 49999]);
    expect(reader!.bytesRead - header).toBe(2 * 16 * 2);
    w.close();
  });
});

/** Per-expert matrices and their fused (input-major) layout (spec 9.5). */
function fusedExperts(E: number, D: number, I: number) {
  const gate = Array.from({ length: E }, (_, e) => rand(I * D, 10 + e)); // [I, D] each
  const up = Array.from({ length: E }, (_, e) => rand(I * D, 20 + e));
  const down = Array.from({ length: E }, (_, e) => rand(D * I, 30 + e)); // [D, I] each
  const gateUp = new Float64Array(E * D * 2 * I);
  const downF = new Float64Array(E * I * D);
  for (let e = 0; e < E; e++) {
    for (let d = 0; d < D; d++) {
      for (let j = 0; j < I; j++) {
        gateUp[(e * D + d) * 2 * I + j] = gate[e][j * D + d];
        gateUp[(e * D + d) * 2 * I + I + j] = up[e][j * D + d];
        downF[(e * I + j) * D + d] = down[e][d * I + j];
      }
    }
  }
  return { gate, up, down, gateUp, downF };
}

describe('name mapping', () => {
  const P = 'model.language_model.layers.3.mlp.experts';
  for (const suffix of ['', '.weight']) {
    it(`fused experts gate_up_proj${suffix} [E, D, 2I] / down_proj [E, I, D] → per-expert [out, in]`, () => {
      const { gate, up, down, gateUp, downF } = fusedExperts(3, 5, 4);
      const w = memoryWeights({
        [`${P}.gate_up_proj${suffix}`]: { dtype: 'F32', shape: [3, 5, 8], data: gateUp },
        [`${P}.down_proj${suffix}`]: { dtype: 'F32', shape: [3, 4, 5], data: downF },
      });
      expect(w.names()).toContain(`${P}.2.up_proj.weight`);
      expect(w.names().length).toBe(9);
      for (let e = 0; e < 3; e++) {
        expect(w.info(`${P}.${e}.gate_proj.weight`).shape).toEqual([4, 5]);
        expect(Array.from(w.float32(`${P}.${e}.gate_proj.weight`))).toEqual(Array.from(gate[e], Math.fround));
        expect(Array.from(w.float32(`${P}.${e}.up_proj.weight`))).toEqual(Array.from(up[e], Math.fround));
        expect(Array.from(w.array(`${P}.${e}.down_proj.weight`).data)).toEqual(Array.from(down[e], Math.fround));
        const dT = w.float32(`${P}.${e}.down_proj.weight`, { transpose: true });
        expect(Array.from(dT)).toEqual(Array.from(downF.subarray(e * 20, (e + 1) * 20), Math.fround));
      }
      expect(w.has(`${P}.3.gate_proj.weight`)).toBe(false);
    });
  }
  it('InternVL-chat names → HF names, fused attn.qkv split into q, k, v rows', () => {
    const C = 4;
    const chat: Record<string, TensorInput> = {
      'vision_model.embeddings.class_embedding': { dtype: 'F32', shape: [1, 1, C], data: rand(C, 1) },
      'vision_model.embeddings.position_embedding': { dtype: 'F32', shape: [1, 5, C], data: rand(5 * C, 2) },
      'vision_model.embeddings.patch_embedding.weight': { dtype: 'F32', shape: [C, 3, 2, 2], data: rand(12 * C, 3) },
      'vision_model.encoder.layers.7.attn.qkv.weight': { dtype: 'F32', shape: [3 * C, C], data: rand(3 * C * C, 4) },
      'vision_model.encoder.layers.7.attn.qkv.bias': { dtype: 'F32', shape: [3 * C], data: rand(3 * C, 5) },
      'vision_model.encoder.layers.7.attn.q_norm.weight': { dtype: 'F32', shape: [C], data: rand(C, 6) },
      'vision_model.encoder.layers.7.attn.proj.bias': { dtype: 'F32', shape: [C], data: rand(C, 7) },
      'vision_model.encoder.layers.7.ls1': { dtype: 'F32', shape: [C], data: rand(C, 8) },
      'vision_model.encoder.layers.7.norm2.weight': { dtype: 'F32', shape: [C], data: rand(C, 9) },
      'vision_model.encoder.layers.7.mlp.fc2.weight': { dtype: 'F32', shape: [C, 8], data: rand(8 * C, 10) },
      'mlp1.0.bias': { dtype: 'F32', shape: [C], data: rand(C, 11) },
      'mlp1.3.weight': { dtype: 'F32', shape: [C, C], data: rand(C * C, 12) },
      'language_model.model.layers.0.mlp.gate.weight': { dtype: 'F32', shape: [2, C], data: rand(2 * C, 13) },
      'language_model.lm_head.weight': { dtype: 'F32', shape: [6, C], data: rand(6 * C, 14) },
    };
    const hf: Record<string, string> = {
      'vision_model.embeddings.class_embedding': 'model.vision_tower.embeddings.cls_token',
      'vision_model.embeddings.position_embedding': 'model.vision_tower.embeddings.position_embeddings',
      'vision_model.embeddings.patch_embedding.weight': 'model.vision_tower.embeddings.patch_embeddings.projection.weight',
      'vision_model.encoder.layers.7.attn.q_norm.weight': 'model.vision_tower.encoder.layer.7.attention.q_norm.weight',
      'vision_model.encoder.layers.7.attn.proj.bias': 'model.vision_tower.encoder.layer.7.attention.projection_layer.bias',
      'vision_model.encoder.layers.7.ls1': 'model.vision_tower.encoder.layer.7.lambda_1',
      'vision_model.encoder.layers.7.norm2.weight': 'model.vision_tower.encoder.layer.7.layernorm_after.weight',
      'vision_model.encoder.layers.7.mlp.fc2.weight': 'model.vision_tower.encoder.layer.7.mlp.fc2.weight',
      'mlp1.0.bias': 'model.multi_modal_projector.layer_norm.bias',
      'mlp1.3.weight': 'model.multi_modal_projector.linear_2.weight',
      'language_model.model.layers.0.mlp.gate.weight': 'model.language_model.layers.0.mlp.gate.weight',
      'language_model.lm_head.weight': 'lm_head.weight',
    };
    const w = memoryWeights(chat);
    for (const [c, h] of Object.entries(hf)) {
      expect(w.names()).toContain(h);
      expect(w.info(h).shape).toEqual(chat[c].shape);
      expect(Array.from(w.float32(h))).toEqual(Array.from(chat[c].data as Float64Array, Math.fround));
    }
    const qkv = chat['vision_model.encoder.layers.7.attn.qkv.weight'].data as Float64Array;
    const bias = chat['vision_model.encoder.layers.7.attn.qkv.bias'].data as Float64Array;
    ['q', 'k', 'v'].forEach((p, k) => {
      const name = `model.vision_tower.encoder.layer.7.attention.${p}_proj`;
      expect(w.info(`${name}.weight`).shape).toEqual([C, C]);
      expect(Array.from(w.float32(`${name}.weight`))).toEqual(Array.from(qkv.subarray(k * C * C, (k + 1) * C * C), Math.fround));
      expect(Array.from(w.float32(`${name}.bias`))).toEqual(Array.from(bias.subarray(k * C, (k + 1) * C), Math.fround));
    });
    expect(w.names().some((n) => n.startsWith('vision_model.') || n.startsWith('mlp1.'))).toBe(false);
  });
});

describe('FP8 weights (spec 9.4)', () => {
  const W = ndarray(rand(20 * 12, 40), [20, 12]);
  const q = quantFp8Block({ shape: [20, 12], data: W.data }, [8, 8]);
  const fp8: Record<string, TensorInput> = {
    'x.weight': { dtype: 'F8_E4M3', shape: [20, 12], bytes: q.q.data },
    'x.weight_scale_inv': { dtype: 'F32', shape: q.scaleInv.shape, data: q.scaleInv.data },
  };
  const expected = refDt.dequantFp8Block(q.q, ndarray(Float64Array.from(q.scaleInv.data), q.scaleInv.shape), [8, 8]);
  it('dequantised with the scale sibling, equal to the reference dequantisation', () => {
    const w = memoryWeights(fp8, { fp8BlockSize: [8, 8] });
    expect(w.info('x.weight').dtype).toBe('F8_E4M3');
    assertClose({ shape: [20, 12], data: w.float32('x.weight') }, expected, { rtol: 0, atol: 0 });
    assertClose(w.array('x.weight'), expected, { rtol: 0, atol: 0 });
    assertClose({ shape: [3, 12], data: w.rows('x.weight', [0, 9, 19]) }, ndarray(Float64Array.from([0, 9, 19].flatMap((r) => Array.from(expected.data.subarray(r * 12, r * 12 + 12)))), [3, 12]), { rtol: 0, atol: 0 });
    assertClose({ shape: [12, 20], data: w.float32('x.weight', { transpose: true }) }, expected.transpose(1, 0), { rtol: 0, atol: 0 });
    expect(Array.from(w.raw('x.weight').bytes)).toEqual(Array.from(q.q.data));
  });
  it('array() keeps the FP8 product in float64 (non-power-of-two scales)', () => {
    const qf = quantFp8Block({ shape: [20, 12], data: W.data }, [8, 8], 'float32');
    const w = memoryWeights({
      'y.weight': { dtype: 'F8_E4M3', shape: [20, 12], bytes: qf.q.data },
      'y.weight_scale_inv': { dtype: 'F32', shape: qf.scaleInv.shape, data: qf.scaleInv.data },
    }, { fp8BlockSize: 8 });
    const want = refDt.dequantFp8Block(qf.q, ndarray(Float64Array.from(qf.scaleInv.data), qf.scaleInv.shape), 8);
    assertClose(w.array('y.weight'), want, { rtol: 0, atol: 0 });
    assertClose({ shape: [20, 12], data: w.float32('y.weight') }, ndarray(Float64Array.from(want.data, Math.fround), [20, 12]), { rtol: 0, atol: 0 });
  });
  it('fused FP8 experts dequantise per expert with their scale slice', () => {
    const E = 2; const D = 8; const I = 6;
    const { gate, gateUp } = fusedExperts(E, D, I);
    const fq = quantFp8Block({ shape: [E, D, 2 * I], data: gateUp }, 4);
    const w = memoryWeights({
      'm.mlp.experts.gate_up_proj': { dtype: 'F8_E4M3', shape: [E, D, 2 * I], bytes: fq.q.data },
      'm.mlp.experts.gate_up_proj_scale_inv': { dtype: 'F32', shape: fq.scaleInv.shape, data: fq.scaleInv.data },
    }, { fp8BlockSize: 4 });
    expect(w.names().length).toBe(2 * E);
    const deq = refDt.dequantFp8Block(fq.q, ndarray(Float64Array.from(fq.scaleInv.data), fq.scaleInv.shape), 4);
    const g1 = w.array('m.mlp.experts.1.gate_proj.weight');
    for (let j = 0; j < I; j++) for (let d = 0; d < D; d++) expect(g1.get(j, d)).toBe(deq.get(1, d, j));
    assertClose(g1, ndarray(gate[1], [I, D]), { rtol: 0.07, atol: 0.02 });
  });
  it('a missing scale or a scale of the wrong shape is a CheckpointError naming it', () => {
    expect(() => memoryWeights({ 'x.weight': fp8['x.weight'] }).float32('x.weight')).toThrow(/FP8 tensor 'x.weight' has no scale tensor 'x.weight_scale_inv'/);
    const w = memoryWeights(fp8); // block 128 does not fit a [3, 2] scale grid
    expect(() => w.float32('x.weight')).toThrow(CheckpointError);
    expect(() => w.float32('x.weight')).toThrow(/weight_block_size/);
    expect(() => w.rows('x.weight', [0])).toThrow(/scale 'x.weight_scale_inv' has shape \[3, 2\]/);
  });
  it('openCheckpoint takes the block size from config.json', () => {
    const dir = path.join(tmp, 'fp8');
    mkdirSync(dir, { recursive: true });
    writeSafetensors(path.join(dir, 'model.safetensors'), fp8);
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
      model_type: 'qwen3', vocab_size: 8, hidden_size: 12, intermediate_size: 20, num_hidden_layers: 1, num_attention_heads: 2,
      num_key_value_heads: 1, head_dim: 6, max_position_embeddings: 64, rope_theta: 1e4,
      quantization_config: { quant_method: 'fp8', fmt: 'e4m3', weight_block_size: [8, 8] },
    }));
    const c = openCheckpoint(dir);
    expect(c.config?.model_type).toBe('qwen3');
    assertClose({ shape: [20, 12], data: c.weights.float32('x.weight') }, expected, { rtol: 0, atol: 0 });
    c.close();
  });
});

describe('checkpoint folders', () => {
  function folder(name: string, files: Record<string, Record<string, TensorInput>>, index?: Record<string, string>): string {
    const dir = path.join(tmp, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, t] of Object.entries(files)) writeSafetensors(path.join(dir, f), t);
    if (index) writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: index }));
    return dir;
  }
  const a = { a: { dtype: 'F32' as const, shape: [1], data: [1] } };
  it('an index pointing to a missing shard', () => {
    const dir = folder('missing-shard', { 's1.safetensors': a }, { a: 's1.safetensors', b: 's2.safetensors' });
    expect(() => openCheckpoint(dir)).toThrow(/model\.safetensors\.index\.json: tensor 'b' is in shard 's2\.safetensors', which does not exist/);
  });
  it('an index naming a tensor its shard lacks (found on access)', () => {
    const dir = folder('lying-index', { 's1.safetensors': a }, { a: 's1.safetensors', b: 's1.safetensors' });
    const c = openCheckpoint(dir);
    expect(c.weights.has('b')).toBe(true);
    expect(() => c.weights.float32('b')).toThrow(/maps 'b' to s1\.safetensors, which has no such tensor/);
    c.close();
  });
  it('an invalid index, a shard path escaping the folder, an empty folder, duplicates without an index', () => {
    const bad = folder('bad-index', { 's1.safetensors': a });
    writeFileSync(path.join(bad, 'model.safetensors.index.json'), '{"weight_map": {"a": }');
    expect(() => openCheckpoint(bad)).toThrow(/index\.json: byte 21: invalid JSON/);
    const esc = folder('escape', { 's1.safetensors': a }, { a: '../s1.safetensors' });
    expect(() => openCheckpoint(esc)).toThrow(/invalid shard name/);
    const empty = folder('empty', {});
    expect(() => openCheckpoint(empty)).toThrow(/no \*\.safetensors files/);
    const dup = folder('dup', { 'x.safetensors': a, 'y.safetensors': a });
    expect(() => openCheckpoint(dup)).toThrow(/tensor 'a' is in both x\.safetensors and y\.safetensors/);
    expect(() => openCheckpoint(path.join(tmp, 'nothing-here'))).toThrow(/no such file or folder/);
  });
  it('a folder without an index reads every safetensors file', () => {
    const dir = folder('multi', { 'x.safetensors': a, 'y.safetensors': { b: { dtype: 'F32', shape: [1], data: [2] } } });
    const c = openCheckpoint(dir);
    expect(c.weights.names()).toEqual(['a', 'b']);
    expect(c.weights.float32('b')[0]).toBe(2);
    c.close();
  });
});

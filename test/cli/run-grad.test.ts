/**
 * `intern-s1 run --grad` (issue 16, item 2): the text stack's loss and gradients against PyTorch
 * float64 autograd (the fixtures of test/fixtures/train), within 1e-4 relative per tensor; a
 * decoder layer's input and weight gradients (FoPE coefficients and grouped MoE included)
 * against central differences of the float64 reference layer; usage errors.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as ref from '../../reference/models/qwen3/index.js';
import { initBackend } from '../../src/backend/index.js';
import { openCheckpoint, openSafetensors } from '../../src/io/checkpoint.js';
import { writeSafetensors } from '../../src/io/safetensors-write.js';
import { SafetensorsFile } from '../../src/io/safetensors.js';
import { memoryWeights, type TensorInput } from '../../src/io/weights.js';
import type { TextConfig } from '../../src/io/configs/text.js';
import { mulberry32, normals } from '../support/arbitraries.js';
import { relError } from '../support/assert-close.js';
import { runCli } from '../support/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-grad-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => runCli(args);

describe('run --grad', () => {
  it('text: loss and every grad.<weight> within 1e-4 relative of PyTorch float64 autograd (Qwen3-MoE, batch 2)', async () => {
    await initBackend('cpu');
    const fixture = fileURLToPath(new URL('../fixtures/train/text_grads_moe.safetensors', import.meta.url));
    const fx = openSafetensors(fixture);
    const cfg = JSON.parse(SafetensorsFile.open(fixture).metadata.config);
    // A plain Qwen3-MoE checkpoint: config.json at the top, weights under `model.`.
    const dir = path.join(tmp, 'moe');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
    const rename = (n: string) => n.replace('model.language_model.', 'model.');
    const weights: Record<string, TensorInput> = {};
    for (const n of fx.names()) if (n.startsWith('model.') || n === 'lm_head.weight') weights[rename(n)] = { dtype: 'F32', shape: fx.info(n).shape, data: fx.float32(n) };
    writeSafetensors(path.join(dir, 'model.safetensors'), weights);
    const inputs = path.join(tmp, 'in.safetensors');
    const raw = (n: string) => ({ dtype: fx.raw(n).dtype, shape: fx.raw(n).shape, bytes: fx.raw(n).bytes });
    writeSafetensors(inputs, { input_ids: raw('input_ids'), labels: raw('labels') });
    const out = path.join(tmp, 'out.safetensors');
    const r = await cli('run', dir, '--component', 'text', '--grad', '--inputs', inputs, '--output', out, '--backend', 'cpu');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const got = openSafetensors(out);
    expect(Math.abs(got.float32('loss')[0] - fx.array('loss_ce').get(0))).toBeLessThan(1e-5 * fx.array('loss_ce').get(0)); // no aux loss
    let compared = 0;
    for (const n of fx.names().filter((x) => x.startsWith('grad_ce.'))) {
      const mine = got.array(rename(n.replace('grad_ce.', 'grad.')));
      const want = fx.array(n);
      if (want.data.every((v) => v === 0)) expect(mine.data.every((v) => v === 0), n).toBe(true);
      else expect(relError(mine, want), n).toBeLessThanOrEqual(1e-4);
      compared++;
    }
    expect(compared).toBeGreaterThan(50);
  });

  it('text.layer.1 (Pro: FoPE, grouped MoE): grad.hidden_states and weight gradients == central differences of the float64 reference layer', async () => {
    await initBackend('cpu');
    const tiny = path.join(tmp, 'tiny');
    expect((await cli('init-tiny', tiny, '--variant', 'pro', '--seed', '4', '--vocab-size', '64')).code).toBe(0);
    const ck = openCheckpoint(tiny);
    const cfg = (ck.config as { text_config: TextConfig }).text_config;
    const [B, T, D] = [1, 4, cfg.hidden_size];
    const r = mulberry32(7);
    const h = normals(r, B * T * D);
    const g = normals(r, B * T * D);
    const inputs = path.join(tmp, 'layer-in.safetensors');
    writeSafetensors(inputs, { hidden_states: { dtype: 'F64', shape: [B, T, D], data: h }, grad_hidden_states: { dtype: 'F64', shape: [B, T, D], data: g } });
    const out = path.join(tmp, 'layer-out.safetensors');
    const res = await cli('run', tiny, '--component', 'text.layer.1', '--grad', '--router-grad', 'topk', '--inputs', inputs, '--output', out);
    expect(res.err).toBe('');
    const got = openSafetensors(out);
    const P = 'model.language_model.';
    const names = got.names();
    expect(names).toContain(`grad.${P}rotary_emb.cos_coef`);
    expect(names.filter((n) => n.startsWith(`grad.${P}layers.1.mlp.experts.`)).length).toBe(3 * 8);
    expect(names.some((n) => n.includes('layers.0'))).toBe(false);
    // ⟨layer(h), g⟩ in float64 with weight `name` moved by eps·u (or h moved, for name null).
    const base = new Map(ck.weights.names().filter((n) => n.startsWith(P) || n === 'lm_head.weight').map((n) => [n, Float64Array.from(ck.weights.float32(n))]));
    const f = (name: string | null, u: Float64Array, eps: number) => {
      const t: Record<string, TensorInput> = {};
      for (const [n, v] of base) t[n] = { dtype: 'F64', shape: ck.weights.info(n).shape, data: n === name ? v.map((x, i) => x + eps * u[i]) : v };
      const layer = ref.Qwen3DecoderLayer.fromWeights(cfg, memoryWeights(t), `${P}layers.1`, { layerIndex: 1, rotaryPrefix: `${P}rotary_emb` });
      const x = Float64Array.from(h, (v, i) => (name === null ? v + eps * u[i] : v));
      const y = layer.forward(ndarrayOf(x, [B, T, D])).hidden;
      return y.data.reduce((a, v, i) => a + v * g[i], 0);
    };
    for (const name of [null, `${P}layers.1.self_attn.q_proj.weight`, `${P}layers.1.mlp.gate.weight`, `${P}rotary_emb.sin_coef`, `${P}layers.1.input_layernorm.weight`]) {
      const key = name === null ? 'grad.hidden_states' : `grad.${name}`;
      const gv = got.float32(key);
      const u = normals(r, gv.length);
      const fd = (f(name, u, 1e-5) - f(name, u, -1e-5)) / 2e-5;
      const gu = gv.reduce((a, v, i) => a + v * u[i], 0);
      const scale = Math.sqrt(gv.reduce((a, v) => a + v * v, 0) * u.reduce((a, v) => a + v * v, 0));
      expect(Math.abs(gu - fd), key).toBeLessThan(1e-3 * scale + 1e-6);
    }
    ck.close();
  });

  it('usage errors: --grad on another component, with --impl reference, --router-grad without --grad', async () => {
    const tiny = path.join(tmp, 'tiny');
    const inputs = path.join(tmp, 'layer-in.safetensors');
    const o = path.join(tmp, 'x.safetensors');
    expect(await cli('run', tiny, '--component', 'text.embed', '--grad', '--inputs', inputs, '--output', o)).toMatchObject({ code: 2 });
    expect((await cli('run', tiny, '--component', 'text.embed', '--grad', '--inputs', inputs, '--output', o)).err).toMatch(/--grad supports the components text.layer.N, text, not 'text.embed'/);
    expect((await cli('run', tiny, '--component', 'text', '--grad', '--impl', 'reference', '--inputs', inputs, '--output', o)).err).toMatch(/--grad runs the fast path only/);
    expect((await cli('run', tiny, '--component', 'text', '--router-grad', 'ste', '--inputs', inputs, '--output', o)).err).toMatch(/--router-grad applies to the backward mode/);
    expect((await cli('run', tiny, '--component', 'text', '--grad', '--router-grad', 'dense', '--inputs', inputs, '--output', o)).err).toMatch(/--router-grad must be one of topk, ste/);
    expect((await cli('run', tiny, '--component', 'text', '--grad', '--inputs', inputs, '--output', o)).err).toMatch(/missing input 'input_ids'/);
  });
});

function ndarrayOf(data: Float64Array, shape: number[]) {
  return memoryWeights({ x: { dtype: 'F64', shape, data } }).array('x');
}

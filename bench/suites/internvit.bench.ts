/**
 * InternViT encoder on one 448×448 tile (1025 tokens): images per second of the fast path on wasm
 * against the float64 reference, for a tiny encoder and a 300M-shaped one (InternViT-300M, the
 * Intern-S1-mini tower: width 1024, 24 layers, 16 heads, MLP 4096, LayerNorm + q/k/v bias), with
 * seeded random weights. Every fast result is validated against the reference before it is timed.
 */
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { toFlat } from '../../reference/ndarray.js';
import * as ref from '../../reference/models/internvit/index.js';
import { type InternVitConfig, parseInternVitConfig } from '../../src/io/configs/vision.js';
import * as fast from '../../src/models/internvit/index.js';
import { pixels, tinyWeights } from '../../test/models/internvit/tiny.js';
import { dataToNd, dataToTf, toNd } from '../../test/support/convert.js';
import { type BenchRow, type Suite, type Target, fmt, gflops, time, useBackend, validate } from '../harness.js';

const vit = (o: Record<string, unknown>): InternVitConfig => parseInternVitConfig({
  norm_type: 'layer_norm', attention_bias: true, use_qk_norm: false, hidden_act: 'gelu', image_size: 448, patch_size: 14, ...o,
});
const TINY = vit({ hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 256 });
const M300 = vit({ hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16, intermediate_size: 4096 });
const T = 1025;

/** FLOPs of the embeddings (the 14×14 patch conv) and of one layer on one tile (2 per multiply-add). */
function flops(c: InternVitConfig): { emb: number; layer: number } {
  const [C, I, P] = [c.hidden_size, c.intermediate_size, T - 1];
  const emb = 2 * P * C * c.num_channels * c.patch_size[0] * c.patch_size[1];
  const layer = 2 * T * C * C * 4 + 2 * T * C * I * 2 + 4 * T * T * C; // q, k, v, proj; fc1, fc2; q·kᵀ and p·v over all heads
  return { emb, layer };
}

/** Mean and median of `n` calls after one warm-up call (calls of seconds to a minute). */
async function timeLong(fn: () => void, n: number, warm = true): Promise<{ ms: number; p50: number; samples: number }> {
  if (warm) fn();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  const s = [...ts].sort((a, b) => a - b);
  return { ms: ts.reduce((a, b) => a + b, 0) / n, p50: s[Math.floor(n / 2)], samples: n };
}

const perImage = (ms: number) => 1000 / ms;

/** Tiny encoder: the whole encoder validated and timed on both sides. */
async function tiny(rows: BenchRow[], log: (m: string) => void): Promise<number> {
  const w = tinyWeights(TINY, 1);
  const x = pixels([1, 3, 448, 448], 1);
  const f = flops(TINY);
  const total = f.emb + TINY.num_hidden_layers * f.layer;
  log('tiny: reference');
  const rmodel = ref.InternVisionModel.fromWeights(TINY, w);
  let expected: ArrayLike<number> = new Float64Array();
  const xr = dataToNd(x);
  const r = await timeLong(() => { expected = toFlat(rmodel.forward(xr).lastHiddenState); }, 1, false);
  await useBackend('wasm');
  const model = fast.InternVisionModel.fromWeights(TINY, w);
  const xt = dataToTf(x);
  const out = model.forward(xt).lastHiddenState;
  const rel = validate('tiny encoder (wasm)', out.dataSync(), expected);
  out.dispose();
  log(`tiny: validated (rel. error ${rel.toExponential(1)}), timing fast`);
  const m = await time(() => {
    const y = model.forward(xt).lastHiddenState;
    y.dataSync();
    y.dispose();
  }, { iterations: 5, timeMs: 1000 });
  tf.dispose(xt);
  model.dispose();
  const task = 'tiny encoder (C 64, 2 layers, 4 heads), 1 tile';
  rows.push({ task, impl: 'fast (wasm)', ...m, derived: { 'images/s': perImage(m.ms), 'GFLOP/s': gflops(total, m.ms), speedup: r.ms / m.ms }, extra: { 'rel. error': rel.toExponential(1) } });
  rows.push({ task, impl: 'reference (1 full call)', ...r, derived: { 'images/s': perImage(r.ms), 'GFLOP/s': gflops(total, r.ms) } });
  return r.ms / m.ms;
}

/**
 * 300M-shaped encoder. The fast path is validated on the embeddings and on layer 0 (each against
 * the reference on the same input) and timed on the whole encoder; the reference is timed once on
 * the embeddings and once on layer 0, and its whole-encoder time is embeddings + 24 × layer 0
 * (every layer has the same shapes, so the same cost).
 */
async function m300(rows: BenchRow[], log: (m: string) => void): Promise<{ whole: number; layer: number }> {
  log('300M: generating 304M random weights');
  const w = tinyWeights(M300, 2);
  const x = pixels([1, 3, 448, 448], 2);
  const f = flops(M300);
  const L = M300.num_hidden_layers;
  const total = f.emb + L * f.layer;
  await useBackend('wasm');
  log('300M: loading the fast model');
  const model = fast.InternVisionModel.fromWeights(M300, w);
  const xt = dataToTf(x);
  const emb = model.embeddings.forward(xt); // [1, T, C]
  const h1 = model.layers[0].forward(emb); // [1, T, C]

  log('300M: reference embeddings');
  const remb = ref.InternVisionEmbeddings.fromWeights(M300, w);
  let rEmbOut = remb.forward(dataToNd(x));
  const re = await timeLong(() => { rEmbOut = remb.forward(dataToNd(x)); }, 1, false);
  const relEmb = validate('300M embeddings (wasm)', emb.dataSync(), toFlat(rEmbOut));
  log(`300M: embeddings validated (${relEmb.toExponential(1)}); reference layer 0`);
  const rl = ref.InternVisionEncoderLayer.fromWeights(M300, w, 'model.vision_tower.encoder.layer.0');
  const embNd = toNd(emb); // the fast embeddings as the common input of both layer-0 runs
  let rLayerOut: ArrayLike<number> = new Float64Array();
  const rlm = await timeLong(() => { rLayerOut = toFlat(rl.forward(embNd)); }, 1, false);
  const relLayer = validate('300M layer 0 (wasm)', h1.dataSync(), rLayerOut);
  log(`300M: layer 0 validated (${relLayer.toExponential(1)}), ${fmt(rlm.ms / 1000)} s in the reference; timing fast`);
  tf.dispose(h1);

  const layerFast = await timeLong(() => {
    const y = model.layers[0].forward(emb);
    y.dataSync();
    y.dispose();
  }, 3);
  const whole = await timeLong(() => {
    const y = model.forward(xt).lastHiddenState;
    y.dataSync();
    y.dispose();
  }, 2);
  tf.dispose([xt, emb]);
  model.dispose();
  const refWhole = re.ms + L * rlm.ms;
  const task = 'InternViT-300M-shaped encoder (C 1024, 24 layers, 16 heads, MLP 4096), 1 tile';
  rows.push({ task, impl: 'fast (wasm)', ...whole, derived: { 'images/s': perImage(whole.ms), 'GFLOP/s': gflops(total, whole.ms), speedup: refWhole / whole.ms }, extra: { 'rel. error': `emb ${relEmb.toExponential(1)}, layer 0 ${relLayer.toExponential(1)}` } });
  rows.push({ task, impl: 'reference (embeddings + 24 × one layer, each timed once)', ms: refWhole, samples: 1, derived: { 'images/s': perImage(refWhole), 'GFLOP/s': gflops(total, refWhole) } });
  const ltask = '300M-shaped: one encoder layer, 1025 tokens';
  rows.push({ task: ltask, impl: 'fast (wasm)', ...layerFast, derived: { 'GFLOP/s': gflops(f.layer, layerFast.ms), speedup: rlm.ms / layerFast.ms }, extra: { 'rel. error': relLayer.toExponential(1) } });
  rows.push({ task: ltask, impl: 'reference (1 call)', ...rlm, derived: { 'GFLOP/s': gflops(f.layer, rlm.ms) } });
  rows.push({ task: '300M-shaped: embeddings (patch conv + positions)', impl: 'reference (1 call)', ...re, derived: { 'GFLOP/s': gflops(f.emb, re.ms) } });
  return { whole: refWhole / whole.ms, layer: rlm.ms / layerFast.ms };
}

export const suite: Suite = {
  name: 'internvit',
  title: 'InternViT encoder: images per second on one 448 tile',
  description:
    'The InternViT encoder (spec 6.1.2) on one 448×448 tile (1025 tokens), seeded random weights, LayerNorm variant ' +
    'with q/k/v bias (Intern-S1-mini style): a tiny encoder and a 300M-shaped one (width 1024, 24 layers, 16 heads, ' +
    'MLP 4096, as InternViT-300M). images/s = 1000 / ms; GFLOP/s counts 2 FLOPs per multiply-add of the patch conv, ' +
    'the projections, the MLP and the attention products; speedup = reference ms / fast ms. The tiny encoder is ' +
    'validated and timed whole on both sides. For the 300M shape the reference would take tens of minutes per image, ' +
    'so it is timed once on the embeddings and once on one layer, and its whole-encoder time is embeddings + 24 × ' +
    'that layer (all layers have the same shapes); the fast path is validated on the embeddings and on that layer ' +
    '(same input as the reference, relative error <= 1e-4) and timed on the whole encoder.',
  async run({ quick, log }) {
    const load = os.loadavg()[0];
    const rows: BenchRow[] = [];
    const targets: Target[] = [];
    const sTiny = await tiny(rows, log);
    targets.push({ description: 'tiny encoder: fast (wasm) ≥ 20x the reference', met: sTiny >= 20, measured: `${fmt(sTiny)}x` });
    if (!quick) {
      const s = await m300(rows, log);
      targets.push({ description: '300M-shaped encoder: fast (wasm) ≥ 20x the reference (reference = embeddings + 24 × one measured layer)', met: s.whole >= 20, measured: `${fmt(s.whole)}x (one layer, both measured: ${fmt(s.layer)}x)` });
    }
    const notes =
      'tfjs-wasm is single-threaded; fast timings are tinybench (5+ calls, ≥ 1 s) for the tiny encoder and the mean of ' +
      'several calls after a warm-up for the 300M shape; reference timings are single calls. The machine is shared with ' +
      `other jobs (1-minute load average ${load.toFixed(1)} on ${os.cpus().length} cores when this run started).` +
      (quick ? ' Quick run: the 300M shape was skipped.' : '');
    return { rows, targets, notes };
  },
};

/**
 * The Intern-S1-Pro vision tower (spec 6.2.2) on one 448×448 image (grid [1, 28, 28]: 784 patches
 * → 196 tokens): images per second of the fast path on wasm against the float64 reference, for a
 * tiny tower and the released shape (width 1024, 24 blocks, 16 heads of 64, MLP 4096, merger to
 * 4096), with seeded random weights. Every fast result is validated against the reference first.
 */
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import * as ref from '../../reference/models/pro-vision/index.js';
import { type NDArray, toFlat } from '../../reference/ndarray.js';
import type { ProVisionConfig } from '../../src/io/configs/vision.js';
import * as fast from '../../src/models/pro-vision/index.js';
import { gridPatches, proVisionWeights, tinyProVision } from '../../test/models/pro-vision/tiny.js';
import { dataToNd, dataToTf, toNd } from '../../test/support/convert.js';
import { type BenchRow, type Suite, type Target, fmt, gflops, time, useBackend, validate } from '../harness.js';

const TINY = tinyProVision({ depth: 2, hidden_size: 64, num_heads: 4, intermediate_size: 256, out_hidden_size: 64 });
const PRO = tinyProVision({ depth: 24, hidden_size: 1024, num_heads: 16, intermediate_size: 4096, out_hidden_size: 4096 });
const GRID = [[1, 28, 28]];
const P = 784;

/** FLOPs (2 per multiply-add) of the embeddings, one block and the merger on one 784-patch image. */
function flops(c: ProVisionConfig): { emb: number; block: number; merger: number } {
  const [C, I, D, K, N] = [c.hidden_size, c.intermediate_size, c.out_hidden_size, 1536, 48];
  const W = 4 * C;
  const emb = 2 * P * K * C + 2 * 28 * N * N * C + 2 * 28 * N * 28 * C; // patch matmul + the two blend matmuls
  const block = 2 * P * C * 3 * C + 2 * P * C * C + 2 * P * C * I * 2 + 4 * P * P * C; // qkv, proj; fc1, fc2; q·kᵀ and p·v
  const merger = 2 * (P / 4) * W * W + 2 * (P / 4) * W * D;
  return { emb, block, merger };
}

/** Mean and median of `n` calls after an optional warm-up call (calls of seconds to minutes). */
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
const tokens = (ms: number) => (196 * 1000) / ms;

/** Tiny tower: validated and timed whole on both sides. */
async function tiny(rows: BenchRow[], log: (m: string) => void): Promise<number> {
  const w = proVisionWeights(TINY, 1);
  const x = gridPatches(TINY, GRID, 1);
  const f = flops(TINY);
  const total = f.emb + TINY.depth * f.block + f.merger;
  log('tiny: reference');
  const rmodel = ref.ProVisionModel.fromWeights(TINY, w);
  let expected: ArrayLike<number> = new Float64Array();
  const xr = dataToNd(x);
  const r = await timeLong(() => { expected = toFlat(rmodel.forward(xr, GRID)); }, 1, false);
  await useBackend('wasm');
  const model = fast.ProVisionModel.fromWeights(TINY, w);
  const xt = dataToTf(x);
  const out = model.forward(xt, GRID);
  const rel = validate('tiny tower (wasm)', out.dataSync(), expected);
  out.dispose();
  log(`tiny: validated (rel. error ${rel.toExponential(1)}), timing fast`);
  const m = await time(() => {
    const y = model.forward(xt, GRID);
    y.dataSync();
    y.dispose();
  }, { iterations: 5, timeMs: 1000 });
  tf.dispose(xt);
  model.dispose();
  const task = 'tiny tower (C 64, 2 blocks, 4 heads, MLP 256), one 448² image';
  rows.push({ task, impl: 'fast (wasm)', ...m, derived: { 'images/s': perImage(m.ms), 'tokens/s': tokens(m.ms), 'GFLOP/s': gflops(total, m.ms), speedup: r.ms / m.ms }, extra: { 'rel. error': rel.toExponential(1) } });
  rows.push({ task, impl: 'reference (1 full call)', ...r, derived: { 'images/s': perImage(r.ms), 'tokens/s': tokens(r.ms), 'GFLOP/s': gflops(total, r.ms) } });
  return r.ms / m.ms;
}

/** Time one reference call and return its result. */
async function refOnce(fn: () => NDArray): Promise<{ out: NDArray; t: { ms: number; p50: number; samples: number } }> {
  let out: NDArray | null = null;
  const t = await timeLong(() => { out = fn(); }, 1, false);
  return { out: out as unknown as NDArray, t };
}

/**
 * The released shape. The fast path is validated on the embeddings, on block 0 and on the merger
 * (each against the reference on the same input) and timed on block 0 and on the whole tower; the
 * reference is timed once on each of the three parts, and its whole-tower time is
 * embeddings + 24 × block 0 + merger (all blocks have the same shapes, so the same cost).
 */
async function pro(rows: BenchRow[], log: (m: string) => void): Promise<{ whole: number; block: number }> {
  log('Pro-shaped: generating 340M random weights');
  const w = proVisionWeights(PRO, 2);
  const x = gridPatches(PRO, GRID, 2);
  const f = flops(PRO);
  const L = PRO.depth;
  const total = f.emb + L * f.block + f.merger;
  await useBackend('wasm');
  log('Pro-shaped: loading the fast tower');
  const model = fast.ProVisionModel.fromWeights(PRO, w);
  const xt = dataToTf(x);
  const emb = model.embed(xt, GRID); // [P, C]
  const pos = model.positions(GRID);
  const h1 = model.blocks[0].forward(emb, pos); // [P, C]
  const merged = model.merger.forward(emb); // [P/4, D]: the merger validated on the embeddings as its input
  const embNd = toNd(emb);

  log('Pro-shaped: reference embeddings');
  // The reference tower with only block 0 (its other blocks have the same shapes and cost).
  const rmodel = new ref.ProVisionModel(PRO, ref.ProVisionPatchEmbed.fromWeights(PRO, w), ref.ProVisionPositionEmbedding.fromWeights(PRO, w),
    [ref.ProVisionBlock.fromWeights(PRO, w, 'model.visual.blocks.0')], ref.ProVisionPatchMerger.fromWeights(PRO, w));
  const rEmb = await refOnce(() => rmodel.embed(dataToNd(x), GRID));
  const relEmb = validate('Pro embeddings (wasm)', emb.dataSync(), toFlat(rEmb.out));
  log(`Pro-shaped: embeddings validated (${relEmb.toExponential(1)}); reference block 0`);
  const rpos = rmodel.positions(GRID);
  const rBlock = await refOnce(() => rmodel.blocks[0].forward(embNd, rpos));
  const relBlock = validate('Pro block 0 (wasm)', h1.dataSync(), toFlat(rBlock.out));
  log(`Pro-shaped: block 0 validated (${relBlock.toExponential(1)}), ${fmt(rBlock.t.ms / 1000)} s in the reference; reference merger`);
  const rMerger = await refOnce(() => rmodel.merger.forward(embNd));
  const relMerger = validate('Pro merger (wasm)', merged.dataSync(), toFlat(rMerger.out));
  log(`Pro-shaped: merger validated (${relMerger.toExponential(1)}); timing fast`);
  tf.dispose([h1, merged]);

  const blockFast = await timeLong(() => {
    const y = model.blocks[0].forward(emb, pos);
    y.dataSync();
    y.dispose();
  }, 3);
  const whole = await timeLong(() => {
    const y = model.forward(xt, GRID);
    y.dataSync();
    y.dispose();
  }, 2);
  tf.dispose([xt, emb, pos.cos, pos.sin]);
  model.dispose();
  const refWhole = rEmb.t.ms + L * rBlock.t.ms + rMerger.t.ms;
  const task = 'Pro-shaped tower (C 1024, 24 blocks, 16 heads, MLP 4096, out 4096), one 448² image';
  const rels = `emb ${relEmb.toExponential(1)}, block 0 ${relBlock.toExponential(1)}, merger ${relMerger.toExponential(1)}`;
  rows.push({ task, impl: 'fast (wasm)', ...whole, derived: { 'images/s': perImage(whole.ms), 'tokens/s': tokens(whole.ms), 'GFLOP/s': gflops(total, whole.ms), speedup: refWhole / whole.ms }, extra: { 'rel. error': rels } });
  rows.push({ task, impl: 'reference (embeddings + 24 × one block + merger, each timed once)', ms: refWhole, samples: 1, derived: { 'images/s': perImage(refWhole), 'tokens/s': tokens(refWhole), 'GFLOP/s': gflops(total, refWhole) } });
  const btask = 'Pro-shaped: one block, 784 patches';
  rows.push({ task: btask, impl: 'fast (wasm)', ...blockFast, derived: { 'GFLOP/s': gflops(f.block, blockFast.ms), speedup: rBlock.t.ms / blockFast.ms }, extra: { 'rel. error': relBlock.toExponential(1) } });
  rows.push({ task: btask, impl: 'reference (1 call)', ...rBlock.t, derived: { 'GFLOP/s': gflops(f.block, rBlock.t.ms) } });
  rows.push({ task: 'Pro-shaped: embeddings (patch matmul + bilinear positions)', impl: 'reference (1 call)', ...rEmb.t, derived: { 'GFLOP/s': gflops(f.emb, rEmb.t.ms) } });
  rows.push({ task: 'Pro-shaped: merger (784 patches → 196 tokens)', impl: 'reference (1 call)', ...rMerger.t, derived: { 'GFLOP/s': gflops(f.merger, rMerger.t.ms) } });
  return { whole: refWhole / whole.ms, block: rBlock.t.ms / blockFast.ms };
}

export const suite: Suite = {
  name: 'pro-vision',
  title: 'Intern-S1-Pro vision tower: images per second on one 448×448 image',
  description:
    'The Intern-S1-Pro vision tower (spec 6.2.2) on one 448×448 image (grid [1, 28, 28]: 784 patches of 1536 values, ' +
    '196 output tokens), seeded random weights: a tiny tower and the released shape (width 1024, 24 blocks, 16 heads ' +
    'of 64, MLP 4096, merger 4096 → 4096, 48×48 position grid). images/s = 1000 / ms, tokens/s counts the 196 merged ' +
    'tokens; GFLOP/s counts 2 FLOPs per multiply-add of the patch matmul, the position blend, the projections, the MLP, ' +
    'the attention products and the merger; speedup = reference ms / fast ms. The tiny tower is validated and timed ' +
    'whole on both sides. For the released shape the reference would take about an hour per image, so it is timed once ' +
    'on the embeddings, once on block 0 and once on the merger, and its whole-tower time is embeddings + 24 × block 0 + ' +
    'merger (all blocks have the same shapes); the fast path is validated on those three parts (same inputs as the ' +
    'reference, relative error <= 1e-4) and timed on the whole tower.',
  async run({ quick, log }) {
    const load = os.loadavg()[0];
    const rows: BenchRow[] = [];
    const targets: Target[] = [];
    const sTiny = await tiny(rows, log);
    targets.push({ description: 'tiny tower: fast (wasm) ≥ 20x the reference', met: sTiny >= 20, measured: `${fmt(sTiny)}x` });
    if (!quick) {
      const s = await pro(rows, log);
      targets.push({ description: 'Pro-shaped tower: fast (wasm) ≥ 20x the reference (reference = embeddings + 24 × one measured block + merger)', met: s.whole >= 20, measured: `${fmt(s.whole)}x (one block, both measured: ${fmt(s.block)}x)` });
    }
    const notes =
      'tfjs-wasm is single-threaded; fast timings are tinybench (5+ calls, ≥ 1 s) for the tiny tower and the mean of ' +
      'several calls after a warm-up for the released shape; reference timings are single calls. The machine is shared ' +
      `with other jobs (1-minute load average ${load.toFixed(1)} on ${os.cpus().length} cores when this run started).` +
      (quick ? ' Quick run: the released shape was skipped.' : '');
    return { rows, targets, notes };
  },
};

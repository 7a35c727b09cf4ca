/**
 * The train step on wasm (issue 16, item 6): one `trainStep` (forward, loss, backward through
 * every weight, clipping, AdamW) against the forward of the same batch, B = 1, T = 256, on a tiny
 * Intern-S1-Pro-style MoE (D 64, E 16, K 4 in G 4 groups, FoPE) and on the 285M-shaped dense
 * decoder of the generation suite. Target: a step costs at most 4x the forward. Peak memory from
 * `tf.profile`. Before timing, the tiny model's loss is validated against the float64 reference.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import * as refM from '../../reference/models/qwen3/model.js';
import { causalLmLoss as refCe } from '../../reference/train/loss.js';
import { checkpointLayout } from '../../src/io/layout.js';
import { parseTextConfig, type TextConfig } from '../../src/io/configs/text.js';
import { memoryWeights, type TensorInput, type WeightSource } from '../../src/io/weights.js';
import { Qwen3TextModel } from '../../src/models/qwen3/model.js';
import { setThreads } from '../../src/backend/threads.js';
import { TextTrainer, trainStep } from '../../src/train/step.js';
import { mulberry32, normalSamples } from '../../src/util/random.js';
import { type BenchRow, type Suite, type Target, fmt, time, useBackend, validate } from '../harness.js';

/** A random checkpoint of `cfg`: N(0, 1/fan_in) matrices, norms and FoPE coefficients near 1 / identity. */
export function randomCheckpoint(cfg: TextConfig, seed: number): WeightSource {
  const rand = mulberry32(seed);
  const t: Record<string, TensorInput> = {};
  for (const e of checkpointLayout(cfg).filter((x) => !x.optional)) {
    const n = e.shape.reduce((a, b) => a * b, 1);
    let v: Float32Array;
    if (e.kind === 'norm') v = new Float32Array(n).fill(1);
    else if (/_coef$/.test(e.name)) {
      const K = e.shape[e.shape.length - 1];
      v = normalSamples(rand, n, 0.1);
      for (let i = 0; i < n; i++) if (Math.floor(i / K) % K === i % K) v[i] += 1;
    } else v = normalSamples(rand, n, e.name.includes('embed_tokens') ? 1 : 1 / Math.sqrt(e.shape[e.shape.length - 1]));
    t[e.name] = { dtype: 'F32', shape: e.shape, bytes: new Uint8Array(v.buffer) };
  }
  return memoryWeights(t);
}

/** The experiment's tiny Pro-style MoE (also timed here); `groups` 1 gives plain top-k routing. */
export function tinyProConfig(groups: number, vocab = 259, layers = 2): TextConfig {
  return parseTextConfig({
    model_type: 'interns1_pro_text', vocab_size: vocab, hidden_size: 64, intermediate_size: 128, num_hidden_layers: layers,
    num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16, max_position_embeddings: 4096, rope_theta: 1e6, rms_norm_eps: 1e-6,
    moe_intermediate_size: 32, num_experts: 16, num_experts_per_tok: 4, router_n_groups: groups, norm_topk_prob: true,
    router_aux_loss_coef: 0.001, rope_scaling: { rope_type: 'default', fope_init_factor: 0.5, fope_sep_head: true, num_inv_freq: null },
  });
}

function dense285(layers: number): TextConfig {
  return parseTextConfig({
    model_type: 'qwen3', vocab_size: 16384, hidden_size: 1024, intermediate_size: 3072, num_hidden_layers: layers,
    num_attention_heads: 16, num_key_value_heads: 8, head_dim: 64, max_position_embeddings: 4096, rope_theta: 1e6, rms_norm_eps: 1e-6,
  });
}

/** Load average now (1, 5 and 15 minutes), for rows timed on a shared machine. */
const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/**
 * Size of wasm's heap in MB. A wasm memory only grows, so this is the process's high-water mark;
 * unlike tf.profile's peakBytes it includes what tfjs does not count as tensors, chiefly XNNPACK's
 * packed copy of every weight a product has used (kept while the weight tensor lives).
 */
const wasmHeapMB = (): number => ((tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length / 2 ** 20);

/** Wall and CPU milliseconds of one call (CPU = this process's user + system time: what the call cost without waiting for a core). */
function wallCpu(fn: () => unknown): { ms: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000 };
}

/** One warm-up and one timed call (for calls of many seconds on a loaded machine), else tinybench. */
async function timed(fn: () => unknown, once: boolean): Promise<{ ms: number; p50: number; samples: number; cpuMs?: number }> {
  if (!once) return time(fn, { iterations: 5, timeMs: 2000 });
  fn();
  const r = wallCpu(fn);
  return { ms: r.ms, p50: r.ms, samples: 1, cpuMs: r.cpuMs };
}

function forwardRow(name: string, cfg: TextConfig, w: WeightSource, ids: number[][], once: boolean): Promise<{ row: BenchRow; ms: number }> {
  const model = Qwen3TextModel.fromWeights(cfg, w, { prefix: 'model.' });
  const forward = () => {
    const out = model.forward(ids);
    out.logits!.dataSync();
    tf.dispose([out.logits!, out.hidden]);
  };
  return (async () => {
    const load0 = loadavg();
    const fwd = await timed(forward, once);
    const prof = await tf.profile(forward);
    model.dispose();
    const T = ids[0].length;
    return {
      ms: fwd.ms,
      row: {
        task: `${name}, B 1, T ${T}`, impl: 'forward (wasm)', ms: fwd.ms, p50: fwd.p50, samples: fwd.samples, derived: { 'tokens/s': (T * 1000) / fwd.ms },
        extra: { 'cpu ms': fwd.cpuMs === undefined ? '' : fmt(fwd.cpuMs), 'peak MB': fmt(prof.peakBytes / 2 ** 20), 'wasm heap MB': fmt(wasmHeapMB()), 'load avg (before; after)': `${load0}; ${loadavg()}` },
      },
    };
  })();
}

async function measure(name: string, cfg: TextConfig, w: WeightSource, T: number, once: boolean, rows: BenchRow[], targets: Target[], check: boolean): Promise<void> {
  const rand = mulberry32(3);
  const ids = [Array.from({ length: T }, () => Math.floor(rand() * cfg.vocab_size))];
  // The forward first, its model disposed before the trainer is made: both together would hold
  // the weights twice in wasm's heap.
  const fwd = await forwardRow(name, cfg, w, ids, once);
  rows.push(fwd.row);
  const trainer = TextTrainer.create(cfg, w, { prefix: 'model.', optimizer: { lr: 1e-4 } });
  if (check) {
    const r = trainStep(trainer, { inputIds: ids }, { auxLoss: 'none' });
    const refLogits = refM.Qwen3TextModel.fromWeights(cfg as never, w, { prefix: 'model.' }).forward(ids).logits!;
    validate(`${name} loss`, [r.ce], [refCe(refLogits, ids)], 1e-4);
  }
  const load0 = loadavg();
  const step = await timed(() => trainStep(trainer, { inputIds: ids }), once);
  const prof = await tf.profile(() => {
    trainStep(trainer, { inputIds: ids });
  });
  const ratio = step.ms / fwd.ms;
  rows.push({
    task: `${name}, B 1, T ${T}`, impl: 'train step (wasm)', ms: step.ms, p50: step.p50, samples: step.samples,
    derived: { 'tokens/s': (T * 1000) / step.ms, 'x forward': ratio },
    extra: { 'cpu ms': step.cpuMs === undefined ? '' : fmt(step.cpuMs), 'peak MB': fmt(prof.peakBytes / 2 ** 20), 'wasm heap MB': fmt(wasmHeapMB()), 'load avg (before; after)': `${load0}; ${loadavg()}` },
  });
  targets.push({ description: `${name}: a train step costs at most 4x the forward (T ${T}, wasm)`, met: ratio <= 4, measured: `${fmt(ratio)}x (${fmt(step.ms)} ms vs ${fmt(fwd.ms)} ms)` });
  trainer.dispose();
}

/**
 * Layers of the 285M-shaped decoder whose AdamW train step is measured on wasm, whose heap is
 * 4 GiB at most (wasm32). A step holds the float32 weights, their gradients and AdamW's two
 * moments (16 bytes per parameter), the fused copies the model makes of its q/k/v and gate/up
 * weights, XNNPACK's packed copy of every weight a product uses, and the activations kept for the
 * backward pass. Measured (2026-12-08, tfjs-wasm 4.22): the first step of 4 layers took the heap
 * to 2.46 GiB (0.94 GiB of tensors live after it); 10 layers and 20 layers aborted wasm
 * ("Aborted()", heap at 4 GiB, 2.21 and 2.58 GiB of tensors live) during their first step.
 * 20 layers (285.3M parameters) could not fit in any case: 16 B per parameter is 4.56 GB.
 */
export const DENSE_TRAIN_LAYERS = 4;

/** Parameters of {@link dense285} with `layers` layers (embeddings and lm_head untied). */
export function dense285Params(layers: number): number {
  const D = 1024, V = 16384, F = 3072, Hq = 16, Hk = 8, hd = 64;
  const layer = D * Hq * hd + 2 * D * Hk * hd + Hq * hd * D + 3 * D * F + 2 * D + 2 * hd;
  return 2 * V * D + D + layers * layer;
}

export const suite: Suite = {
  name: 'train',
  title: 'Training: train step vs forward',
  description:
    'One trainStep (forward, cross-entropy + HF aux loss, backward through every weight, global-norm clipping, AdamW) against the ' +
    'forward of the same batch (B 1, T 256) on wasm, for the tiny Pro-style MoE of the routing experiment (D 64, E 16, K 4, G 4, ' +
    'FoPE, 2 layers; tinybench) and the 285M-shaped dense decoder (hidden 1024, vocab 16384, one warm-up and one timed call): its full 20-layer ' +
    `forward, and forward and train step at ${DENSE_TRAIN_LAYERS} layers (the 20-layer step does not fit in wasm's 4 GiB heap; 10 layers neither) (--quick: 1 layer). The tiny ` +
    "model's loss is validated against the float64 reference first. Peak memory: tf.profile's peakBytes of one call (every live tensor counted); wasm heap: the heap's size after the row (its high-water mark in this process, " +
    "which also holds XNNPACK's packed copies of the weights). " +
    'cpu ms: the process\'s CPU time for the timed call (what it cost without waiting for a core on a shared machine). ' +
    'One thread for both (setThreads(1)): trainStep runs on one thread (the worker pool splits inference products only), so ' +
    'the forward is timed on one thread too; with the default 2 threads only the forward gets faster (at idle on 2026-12-08 ' +
    'the 285M 4-layer ratio then read 5.44x: 8609 ms vs 1583 ms).',
  async run({ quick, log }) {
    await useBackend('wasm');
    setThreads(1); // like with like: the train step has no multi-threaded path
    const rows: BenchRow[] = [];
    const targets: Target[] = [];
    const tiny = tinyProConfig(4);
    log('tiny Pro-style MoE');
    await measure('tiny Pro MoE (D 64, E 16, K 4, G 4)', tiny, randomCheckpoint(tiny, 1), 256, quick, rows, targets, true);
    if (quick) {
      const big = dense285(1);
      log('dense decoder, 1 layer');
      await measure('dense decoder (hidden 1024, 1 layer)', big, randomCheckpoint(big, 2), 256, true, rows, targets, false);
      return { rows, targets };
    }
    // First the largest decoder whose train step fits (the wasm heap never shrinks, so its heap
    // figure is clean of the 20-layer forward's), then the full 20-layer decoder's forward.
    const L = DENSE_TRAIN_LAYERS;
    const part = dense285(L);
    log(`dense decoder, ${L} layers: forward and train step`);
    await measure(`dense decoder (hidden 1024, ${L} layers)`, part, randomCheckpoint(part, 2), 256, true, rows, targets, false);
    // The full 20-layer decoder: its forward, and why its train step is not run on wasm.
    const full = dense285(20);
    log('dense decoder, 20 layers: forward');
    const rand = mulberry32(3);
    const ids = [Array.from({ length: 256 }, () => Math.floor(rand() * full.vocab_size))];
    rows.push((await forwardRow('dense decoder (hidden 1024, 20 layers)', full, randomCheckpoint(full, 2), ids, true)).row);
    const p20 = dense285Params(20);
    targets.push({
      description: 'dense decoder (hidden 1024, 20 layers): a train step costs at most 4x the forward (T 256, wasm)', met: false,
      measured: `not run: it does not fit in wasm's 4 GiB heap (weights, gradients and AdamW's two moments alone are 16 B x ${fmt(p20 / 1e6)}M parameters = ${fmt((16 * p20) / 1e9)} GB; an attempt aborted wasm); see the ${DENSE_TRAIN_LAYERS}-layer row`,
    });
    return { rows, targets };
  },
};

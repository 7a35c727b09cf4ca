/**
 * Real shapes (issue 19 item 4), measured on sparse checkpoints (bench/data/sparse-checkpoint.ts:
 * the released models' exact tensor names and shapes, zero weights, files whose data are holes):
 *
 * - this machine's BF16 → F32 decode rate and FP8 block-128 dequantisation rate (bytes/s), and
 *   the whole cost of bringing one expert in (read + decode + transpose + upload): the baseline
 *   of every "bytes per token" figure;
 * - Intern-S1 (235B MoE, BF16) and Intern-S1-Pro (1T, FP8): ONE decoder layer with the real
 *   router and experts on demand, a 4-token prefill then 3 decoded tokens, at expert-cache
 *   capacities 0 and 16 experts: time, peak RSS, bytes read per token, cache hits / misses and
 *   grouped routing's per-group load;
 * - the InternViT-6B vision tower of Intern-S1 on one 448 × 448 tile, streamed layer by layer
 *   (each layer decoded, run, released): time and peak RSS; by default 2 of the 45 layers are run
 *   and the whole tower extrapolated (45 × 265 GFLOP takes tens of minutes on 2 shared cores);
 *   `REAL_SHAPES_VIT_LAYERS=45` runs all of them;
 * - whole-model `generate` at these shapes, when the model supports a memory budget (issue 19
 *   item 1, layer streaming) and `REAL_SHAPES_GENERATE=1` asks for it (every token reads every
 *   layer: tens of minutes on 2 cores; budget `REAL_SHAPES_BUDGET`, default 3GiB); otherwise the
 *   row says why it did not run and gives an estimate from the one-layer figures.
 *
 * Sparse files read from memory: a hole costs no disk I/O, the kernel returns zero pages, so the
 * read times here are memory-speed. Every row gives the bytes a real disk would have to deliver.
 * Zero weights make routing degenerate, so the layer reads its norms as ones and its router
 * (`mlp.gate.weight`, 1-4 MB) as seeded random values (an in-memory overlay): the router then
 * chooses as a trained one would spread tokens; the experts stay zero (compute time does not
 * depend on values). The sparse checkpoints are written to `$INTERN_S1_SPARSE_DIR` (default
 * `/tmp/intern-s1-sparse`) when missing; they take a few MB of disk (headers only).
 *
 * Not part of CI (`npm run bench -- real-shapes`); the load average is recorded with the figures.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCheckpoint, type Checkpoint } from '../../src/io/checkpoint.js';
import { textConfigOf } from '../../src/io/config.js';
import type { InternS1Config } from '../../src/io/configs/model.js';
import type { Qwen3MoeTextConfig } from '../../src/io/configs/text.js';
import { memoryWeights, type TensorInput, type WeightSource } from '../../src/io/weights.js';
import { generate } from '../../src/models/intern-s1/generate.js';
import { InternS1ForConditionalGeneration, type ModelLoadOptions } from '../../src/models/intern-s1/model.js';
import { InternVisionEmbeddings } from '../../src/models/internvit/embeddings.js';
import { InternVisionEncoderLayer } from '../../src/models/internvit/layer.js';
import { Qwen3KVCache } from '../../src/models/qwen3/attention.js';
import { Qwen3DecoderLayer } from '../../src/models/qwen3/decoder.js';
import { loadSwiGlu } from '../../src/models/qwen3/mlp.js';
import { Qwen3MoeSparseBlock } from '../../src/models/qwen3/moe.js';
import { decodeBf16, dequantFp8Block } from '../../src/ops/dtypes.js';
import { mulberry32, normalSamples } from '../../src/util/random.js';
import { type SparseVariant, writeSparseCheckpoint } from '../data/sparse-checkpoint.js';
import { type BenchRow, type Suite, type Target, fmt, time, useBackend, validate } from '../harness.js';

const SPARSE_NOTE = 'sparse file: read from memory (page cache zero pages), not a disk';
const NVME = 3e9; // bytes/s of a fast NVMe disk, to turn "bytes a real disk delivers" into seconds
const GB = 1e9;

/** The sparse checkpoint of a variant, written first when missing. */
function sparse(variant: SparseVariant, log: (m: string) => void): Checkpoint {
  const dir = path.join(process.env.INTERN_S1_SPARSE_DIR ?? '/tmp/intern-s1-sparse', variant);
  if (!existsSync(path.join(dir, 'model.safetensors.index.json'))) {
    const s = writeSparseCheckpoint(variant, dir, true);
    log(`wrote ${dir}: ${(s.apparentBytes / GB).toFixed(1)} GB apparent, ${(s.allocatedBytes / 1e6).toFixed(1)} MB on disk`);
  }
  return openCheckpoint(dir);
}

/** Peak resident set since the last {@link resetPeak} (VmHWM), in bytes; current RSS when unavailable. */
function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch { /* not Linux */ }
  return process.memoryUsage().rss;
}

/** Reset the kernel's peak-RSS mark (Linux `clear_refs` 5); false where unsupported. */
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** `base` with some tensors replaced by in-memory ones (norms as ones, a random router). */
function overlay(base: WeightSource, over: WeightSource): WeightSource {
  const pick = (n: string) => (over.has(n) ? over : base);
  return {
    location: base.location,
    has: (n) => over.has(n) || base.has(n),
    names: () => base.names(),
    info: (n) => pick(n).info(n),
    tensor: (n, o) => pick(n).tensor(n, o),
    float32: (n, o) => pick(n).float32(n, o),
    array: (n) => pick(n).array(n),
    raw: (n) => pick(n).raw(n),
    rows: (n, i) => pick(n).rows(n, i),
    close: () => base.close(),
  };
}

/** Norms of layer `p` as ones and its router as seeded N(0, (2/√D)²) (wide margins, as in the tests). */
function layerOverlay(ck: Checkpoint, p: string, seed: number): WeightSource {
  const t: Record<string, TensorInput> = {};
  for (const n of [`${p}.input_layernorm.weight`, `${p}.post_attention_layernorm.weight`, `${p}.self_attn.q_norm.weight`, `${p}.self_attn.k_norm.weight`]) {
    const shape = ck.weights.info(n).shape.slice();
    t[n] = { dtype: 'F32', shape, data: new Float32Array(shape[0]).fill(1) };
  }
  const g = `${p}.mlp.gate.weight`;
  const [E, D] = ck.weights.info(g).shape;
  t[g] = { dtype: 'F32', shape: [E, D], data: normalSamples(mulberry32(seed), E * D, 2 / Math.sqrt(D)) };
  return overlay(ck.weights, memoryWeights(t));
}

function loadAvg(): string {
  return os.loadavg().map((v) => v.toFixed(2)).join(' ');
}

async function decodeRates(rows: BenchRow[], quick: boolean, log: (m: string) => void): Promise<number> {
  const n = 3 * 4096 * 1536; // one expert's values
  const bytes = new Uint8Array(2 * n);
  const r = mulberry32(3);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (r() * 256) & 0x7f; // finite, positive BF16 codes
  const out = new Float32Array(n);
  validate('decodeBf16', decodeBf16(bytes.subarray(0, 4096), out.subarray(0, 2048)), Array.from({ length: 2048 }, (_, i) => new Float32Array(new Uint32Array([(bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16]).buffer)[0]), 0);
  const t = await time(() => decodeBf16(bytes), { iterations: quick ? 3 : 10, timeMs: quick ? 200 : 1000 });
  const rate = bytes.length / (t.ms / 1000);
  log(`BF16 → F32: ${(rate / GB).toFixed(2)} GB/s in`);
  rows.push({ task: 'BF16 → F32 decode, one expert (3·4096·1536 values, 37.7 MB in)', impl: 'fast (typed arrays)', ms: t.ms, p50: t.p50, samples: t.samples, derived: { 'GB/s in': rate / GB }, extra: { 'load avg': loadAvg() } });
  const q = { shape: [3 * 1536, 4096], data: bytes.subarray(0, n) };
  const scale = { shape: [Math.ceil((3 * 1536) / 128), 32], data: new Float32Array(36 * 32).fill(1) };
  const tq = await time(() => dequantFp8Block(q, scale, 128), { iterations: quick ? 3 : 10, timeMs: quick ? 200 : 1000 });
  rows.push({ task: 'FP8 e4m3 block-128 dequant → F32, one Pro expert (18.9 MB in)', impl: 'fast (typed arrays)', ms: tq.ms, p50: tq.p50, samples: tq.samples, derived: { 'GB/s in': n / (tq.ms * 1e6) }, extra: { 'load avg': loadAvg() } });
  return rate;
}

/** One expert brought in from a sparse file: read, decode, transpose, upload (what a cache miss costs). */
async function expertLoadRow(rows: BenchRow[], ck: Checkpoint, name: string, quick: boolean): Promise<void> {
  const p = 'model.language_model.layers.0.mlp.experts.0';
  const t = textConfigOf(ck.config!) as Qwen3MoeTextConfig;
  const before = ck.store.bytesRead();
  let calls = 0;
  const r = await time(() => {
    const w = loadSwiGlu('bench', ck.weights, p, t.hidden_size, t.moe_intermediate_size);
    tf.dispose([w.gateUpT, w.downT]);
    calls++;
  }, { iterations: quick ? 2 : 5, timeMs: quick ? 200 : 1000 });
  const perCall = (ck.store.bytesRead() - before) / calls;
  rows.push({ task: `${name}: bring one expert in (read + decode + transpose + upload)`, impl: 'fast (wasm)', ms: r.ms, p50: r.p50, samples: r.samples,
    derived: { 'GB/s stored bytes': perCall / (r.ms * 1e6) },
    extra: { 'bytes read': `${(perCall / 1e6).toFixed(1)} MB`, note: SPARSE_NOTE, 'load avg': loadAvg() } });
}

interface LayerRun { loadMs: number; loadBytes: number; prefillMs: number; decodeMs: number[]; peak: number; stats: ReturnType<NonNullable<Qwen3MoeSparseBlock['expertCache']>['stats']>[]; fileBytes: number[] }

/** One decoder layer with experts on demand: load, prefill `T` tokens, decode `steps` tokens. */
function runLayer(ck: Checkpoint, l: number, capacityExperts: number, T: number, steps: number): LayerRun {
  const cfg = textConfigOf(ck.config!) as Qwen3MoeTextConfig;
  const p = `model.language_model.layers.${l}`;
  const w = layerOverlay(ck, p, 17 + l);
  const expertBytes = 3 * cfg.hidden_size * cfg.moe_intermediate_size * 4;
  resetPeak();
  const b0 = ck.store.bytesRead();
  const t0 = performance.now();
  const layer = Qwen3DecoderLayer.fromWeights(cfg, w, p, { layerIndex: l, expertsOnDemand: { capacityBytes: capacityExperts * expertBytes } });
  const loadMs = performance.now() - t0;
  const loadBytes = ck.store.bytesRead() - b0;
  const moe = layer.mlp as Qwen3MoeSparseBlock;
  const cache = new Qwen3KVCache(1);
  const D = cfg.hidden_size;
  const stats: LayerRun['stats'] = [];
  const fileBytes: number[] = [];
  const step = (n: number, seed: number): number => {
    const x = tf.tensor3d(normalSamples(mulberry32(seed), n * D, 1), [1, n, D]);
    moe.expertCache!.resetStats();
    const fb = ck.store.bytesRead();
    const s0 = performance.now();
    const out = layer.forward(x, undefined, cache.layers[0]);
    const h = out.hidden.dataSync();
    const ms = performance.now() - s0;
    validate('layer output (zero attention and expert weights: hidden = x)', h, x.dataSync(), 0);
    fileBytes.push(ck.store.bytesRead() - fb);
    stats.push(moe.expertCache!.stats());
    tf.dispose([x, out.hidden, out.router!.logits, out.router!.indices, out.router!.weights]);
    return ms;
  };
  const prefillMs = step(T, 1000 + l);
  const decodeMs = Array.from({ length: steps }, (_, i) => step(1, 2000 + 7 * i + l));
  const peak = peakRss();
  cache.dispose();
  layer.dispose();
  return { loadMs, loadBytes, prefillMs, decodeMs, peak, stats, fileBytes };
}

function layerRows(rows: BenchRow[], name: string, cap: number, r: LayerRun, T: number): void {
  const [pre, ...dec] = r.stats;
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const decBytes = mean(dec.map((s) => s.bytesRead));
  const group = (s: (typeof r.stats)[number]) => (s.perGroup.length > 1 ? s.perGroup.join('/') : '-');
  rows.push({ task: `${name}: load one decoder layer (attention + router; experts deferred)`, impl: 'fast (wasm)', ms: r.loadMs,
    extra: { 'cache (experts)': cap, 'bytes read': `${(r.loadBytes / 1e6).toFixed(0)} MB`, 'real disk s (3 GB/s)': fmt(r.loadBytes / NVME), note: SPARSE_NOTE, 'load avg': loadAvg() } });
  rows.push({ task: `${name}: one layer, prefill ${T} tokens, experts on demand`, impl: 'fast (wasm)', ms: r.prefillMs,
    derived: { 'MB read / token': pre.bytesRead / T / 1e6 },
    extra: { 'cache (experts)': cap, hits: pre.hits, misses: pre.misses, 'group load': group(pre), 'bytes read': `${(pre.bytesRead / 1e6).toFixed(0)} MB (file: ${(r.fileBytes[0] / 1e6).toFixed(0)} MB)`, 'real disk s (3 GB/s)': fmt(pre.bytesRead / NVME), 'peak RSS': `${(r.peak / GB).toFixed(2)} GB`, note: SPARSE_NOTE, 'load avg': loadAvg() } });
  rows.push({ task: `${name}: one layer, decode 1 token (mean of ${dec.length}), experts on demand`, impl: 'fast (wasm)', ms: mean(r.decodeMs),
    derived: { 'MB read / token': decBytes / 1e6 },
    extra: { 'cache (experts)': cap, hits: dec.reduce((a, s) => a + s.hits, 0), misses: dec.reduce((a, s) => a + s.misses, 0), 'group load': group(dec[dec.length - 1]), 'bytes read': `${(decBytes / 1e6).toFixed(0)} MB / token`, 'real disk s (3 GB/s)': fmt(decBytes / NVME), 'peak RSS': `${(r.peak / GB).toFixed(2)} GB`, note: SPARSE_NOTE, 'load avg': loadAvg() } });
}

/** InternViT-6B on one tile, layer by layer from the sparse file. */
function visionTower(rows: BenchRow[], ck: Checkpoint, layers: number, log: (m: string) => void): { ms: number; peak: number; perLayer: number } {
  const v = (ck.config as InternS1Config).vision_config;
  resetPeak();
  const b0 = ck.store.bytesRead();
  const t0 = performance.now();
  const emb = InternVisionEmbeddings.fromWeights(v, ck.weights);
  const px = tf.zeros([1, 3, 448, 448]);
  let x = emb.forward(px);
  tf.dispose([px]);
  emb.dispose();
  const tl = performance.now();
  for (let i = 0; i < layers; i++) {
    const layer = InternVisionEncoderLayer.fromWeights(v, ck.weights, `model.vision_tower.encoder.layer.${i}`);
    const y = layer.forward(x);
    y.dataSync();
    layer.dispose();
    x.dispose();
    x = y;
    log(`InternViT-6B layer ${i + 1}/${layers}: ${((performance.now() - tl) / (i + 1) / 1000).toFixed(1)} s per layer`);
  }
  const out = x.dataSync();
  validate('InternViT-6B output (zero weights: zero)', out, new Float32Array(out.length), 0);
  x.dispose();
  const ms = performance.now() - t0;
  const perLayer = (performance.now() - tl) / layers;
  const peak = peakRss();
  const bytes = ck.store.bytesRead() - b0;
  const full = v.num_hidden_layers;
  rows.push({ task: `Intern-S1 InternViT-6B, one 448 tile (1025 tokens), ${layers} of ${full} layers streamed`, impl: 'fast (wasm)', ms,
    extra: { 'per layer': `${fmt(perLayer / 1000)} s`, [`all ${full} layers (est.)`]: layers === full ? `${fmt(ms / 1000)} s (measured)` : `${fmt((ms + perLayer * (full - layers)) / 1000)} s`, 'bytes read': `${(bytes / GB).toFixed(2)} GB`, 'real disk s (3 GB/s)': fmt(bytes / NVME), 'peak RSS': `${(peak / GB).toFixed(2)} GB`, note: SPARSE_NOTE, 'load avg': loadAvg() } });
  return { ms, peak, perLayer };
}

/** Whether the library has the memory budget of issue 19 item 1 (`src/io/budget.ts`: layer streaming). */
async function budgetSupport(): Promise<boolean> {
  try {
    await import('../../src/io/budget.js' as string);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whole-model `generate` of a few tokens on a sparse checkpoint, the layers streamed under a
 * memory budget and the experts on demand (text only: no vision tower). Every forward reads every
 * layer, so this takes tens of minutes on 2 cores: it runs only with `REAL_SHAPES_GENERATE=1`.
 */
function generateRow(rows: BenchRow[], ck: Checkpoint, name: string, budget: string, log: (m: string) => void): number {
  resetPeak();
  const b0 = ck.store.bytesRead();
  const t0 = performance.now();
  const opts = { vision: false, timeSeries: false, memoryBudget: budget, expertsOnDemand: { capacityBytes: 0 } } as ModelLoadOptions;
  const model = InternS1ForConditionalGeneration.fromWeights(ck.config!, ck.weights, opts);
  const loadMs = performance.now() - t0;
  const prompt = 4;
  const newTokens = 2;
  const res = generate(model, { inputIds: [[151644, 872, 198, 9707].slice(0, prompt)] }, { maxNewTokens: newTokens });
  const ms = performance.now() - t0;
  const bytes = ck.store.bytesRead() - b0;
  const peak = peakRss();
  model.dispose();
  log(`${name}: generate ${res.tokens.length} tokens in ${(ms / 1000).toFixed(0)} s`);
  rows.push({ task: `${name}: whole-model generate, prompt ${prompt} + ${newTokens} new tokens (layers streamed, experts on demand, cache 0)`, impl: 'fast (wasm)', ms,
    extra: { 'load ms': fmt(loadMs), 'bytes read': `${(bytes / GB).toFixed(1)} GB`, 'real disk s (3 GB/s)': fmt(bytes / NVME), 'peak RSS': `${(peak / GB).toFixed(2)} GB`, budget, note: SPARSE_NOTE, 'load avg': loadAvg() } });
  return peak;
}

export const suite: Suite = {
  name: 'real-shapes',
  title: 'Real shapes: experts on demand on sparse Intern-S1 / Intern-S1-Pro checkpoints',
  description:
    'Sparse checkpoints with the released tensor names and shapes (bench/data/sparse-checkpoint.ts; zero weights, the data are file holes): ' +
    'one Intern-S1 (235B MoE, BF16) and one Intern-S1-Pro (1T, FP8 block-128) decoder layer with the real router (seeded random values over the ' +
    'zero file) and experts on demand, a 4-token prefill and 3 decoded tokens at expert-cache capacities 0 and 16; the InternViT-6B tower on one tile, ' +
    'streamed layer by layer (2 of its 45 layers timed and the rest extrapolated, all 45 with REAL_SHAPES_VIT_LAYERS=45); and the decode rates these figures rest on. **Sparse files read from memory** (holes cost no disk I/O): the ' +
    '"bytes read" columns give what a real disk would have to deliver, and "real disk s" that amount at 3 GB/s (a fast NVMe). Single-shot ' +
    'timings on wasm; the machine is shared, so the load average is recorded in every row.',
  async run({ quick, log }): Promise<{ rows: BenchRow[]; targets: Target[]; notes: string }> {
    await useBackend('wasm');
    const rows: BenchRow[] = [];
    const targets: Target[] = [];
    const rate = await decodeRates(rows, quick, log);
    const peaks: number[] = [];
    for (const [variant, name] of [['s1', 'Intern-S1 (235B)'], ['pro', 'Intern-S1-Pro (1T, FP8)']] as const) {
      const ck = sparse(variant, log);
      await expertLoadRow(rows, ck, name, quick);
      const layer = 47; // a middle layer (every layer has the same shapes)
      for (const cap of quick ? [0] : [0, 16]) {
        log(`${name}: layer ${layer}, cache ${cap} experts`);
        const r = runLayer(ck, layer, cap, 4, quick ? 2 : 3);
        peaks.push(r.peak);
        layerRows(rows, name, cap, r, 4);
      }
      ck.close();
    }
    // The vision tower last: the wasm heap grows to the largest working set and never shrinks, so a
    // row measured after it would carry its heap in its peak RSS.
    const s1 = sparse('s1', log);
    peaks.push(visionTower(rows, s1, quick ? 1 : Number(process.env.REAL_SHAPES_VIT_LAYERS ?? 2), log).peak); // all 45: REAL_SHAPES_VIT_LAYERS=45
    s1.close();
    const hasBudget = await budgetSupport();
    const wanted = process.env.REAL_SHAPES_GENERATE === '1';
    if (hasBudget && wanted) {
      for (const [variant, name] of [['s1', 'Intern-S1 (235B)'], ['pro', 'Intern-S1-Pro (1T, FP8)']] as const) {
        const ck = sparse(variant, log);
        peaks.push(generateRow(rows, ck, name, process.env.REAL_SHAPES_BUDGET ?? '3GiB', log));
        ck.close();
      }
    } else {
      for (const [name, L] of [['Intern-S1 (235B)', 94], ['Intern-S1-Pro (1T, FP8)', 94]] as const) {
        const dec = rows.find((r) => r.task.startsWith(`${name}: one layer, decode`) && r.extra?.['cache (experts)'] === 0);
        const load = rows.find((r) => r.task.startsWith(`${name}: load one decoder layer`));
        const est = dec && load ? `about ${fmt((L * (dec.ms + load.ms)) / 1000)} s per token (${L} × (layer load + decode), lm_head not included): an estimate, not a run` : 'no layer figures';
        rows.push({ task: `${name}: whole-model generate`, impl: 'fast (wasm)', ms: 0,
          extra: { note: hasBudget ? `not run (set REAL_SHAPES_GENERATE=1: tens of minutes); ${est}` : `not yet possible: needs the memory budget / layer streaming of issue 19 item 1 (src/io/budget.ts); ${est}` } });
      }
    }
    const worst = Math.max(...peaks);
    targets.push({ description: 'one 235B / 1T decoder layer with experts on demand, and the InternViT-6B tower streamed, run within 16 GB RSS', met: worst <= 16 * GB, measured: `peak RSS ${(worst / GB).toFixed(2)} GB` });
    const notes = [
      `BF16 → F32 decode rate on this machine: ${(rate / GB).toFixed(2)} GB/s of BF16 in (load average ${loadAvg()} at the end of the run).`,
      'An expert of Intern-S1 / -Pro is 3·4096·1536 = 18.9 M values: 37.7 MB in BF16, 18.9 MB + 4.6 KB of scales in FP8, 75.5 MB decoded to float32.',
      'Peak RSS is the whole process\'s high-water mark, reset before each measurement (Linux clear_refs), but the wasm heap grows to the largest working set so far and never shrinks: a row measured after a larger one carries that heap.',
      'With capacity 0 every chosen expert is read at every token (8 per token per layer at decode: 302 MB BF16, 151 MB FP8); a larger cache turns repeats into hits.',
      'Regenerate: `npm run bench -- real-shapes` (writes the sparse checkpoints to $INTERN_S1_SPARSE_DIR, default /tmp/intern-s1-sparse, a few MB on disk).',
    ].join('\n\n');
    return { rows, targets, notes };
  },
};

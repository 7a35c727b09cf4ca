/**
 * The browser benchmark tasks (issue 14, item 6), bundled by `bench/browser/run.ts` and run in
 * headless Chromium. One page runs a suite: for each task the float64 reference runs once (in the
 * page), then for each backend (webgpu, webgl, wasm: threaded SIMD, the page being cross-origin
 * isolated) the fast result is first validated against it (relative error <= 1e-4, as in Node),
 * then timed. Results are read back with `await data()` on every backend: on webgpu a synchronous
 * read goes through a canvas copy that returns zeros on SwiftShader and loses the device, so a
 * task whose fast path reads back synchronously inside (the MoE router's expert choices, for
 * example) is reported as not run on webgpu, with the reason, rather than timed wrong.
 *
 * The task names are the Node suites' names for the same sizes, so `run.ts` can put the Node wasm
 * rows beside them. Sizes are the Node suites' smaller ones: these backends run on SwiftShader
 * here (CPU emulation), and the page runs one thread of JavaScript for the reference.
 */
import * as tf from '@tensorflow/tfjs';
import ndarray from 'ndarray';
import type { NDArray } from '../../reference/ndarray.js';
import { toFlat } from '../../reference/ndarray.js';
import * as refInternVit from '../../reference/models/internvit/index.js';
import * as refMoe from '../../reference/models/qwen3/moe.js';
import * as refAttention from '../../reference/ops/attention.js';
import * as refMatmul from '../../reference/ops/matmul.js';
import * as refNorm from '../../reference/ops/norm.js';
import * as refSoftmax from '../../reference/ops/softmax.js';
import { type BackendInfo, initBackend } from '../../src/backend/browser.js';
import type { BrowserBackendName } from '../../src/backend/ladder.js';
import { parseInternVitConfig } from '../../src/io/configs/vision.js';
import * as fastInternVit from '../../src/models/internvit/index.js';
import { Qwen3MoeSparseBlock } from '../../src/models/qwen3/moe.js';
import * as fastAttention from '../../src/ops/attention.js';
import * as fastMatmul from '../../src/ops/matmul.js';
import * as fastNorm from '../../src/ops/norm.js';
import * as fastSoftmax from '../../src/ops/softmax.js';
import { pixels, tinyWeights } from '../../test/models/internvit/tiny.js';
import type { BenchRow } from '../harness.js';
import { dataToNd, dataToTf } from '../../test/support/convert.js';
import { moeWeights, normals } from '../data/moe-weights.js';

/** One measured row: bench/harness.ts's BenchRow (a type-only import: nothing of the harness reaches the page). */
export type BrowserRow = BenchRow;

/** What a suite run returns to the launcher. */
export interface BrowserSuiteResult {
  rows: BrowserRow[];
  /** Per backend: what the ladder reported (adapter, software or not, wasm threads). */
  backends: Record<string, BackendInfo | { error: string }>;
  /** Tasks not run on a backend, with the reason. */
  skipped: string[];
}

/** A fast computation on the active backend: inputs made once, `run` timed. */
interface FastCase { run: () => tf.Tensor; dispose: () => void }
/** One task: its reference (float64, flat) and a factory of the fast case. */
interface Task {
  task: string;
  impl: string;
  /** Derived figures from a time in ms. */
  derived: (ms: number) => Record<string, number>;
  reference: () => ArrayLike<number>;
  /** Compare only the first `compare` values (a reference run on fewer tokens). */
  compare?: number;
  fast: () => FastCase;
}

const nd = (v: Float32Array, shape: number[]): NDArray => ndarray(Float64Array.from(v), shape);
const gflops = (flops: number, ms: number) => flops / (ms * 1e6);

/** The wasm binaries sit next to the bundle. */
const WASM_PATHS = new URL('./', import.meta.url).href;

/** Make a synchronous GPU read on webgpu throw instead of returning zeros and losing the device. */
function guardSyncReads(): void {
  const backend = tf.backend() as unknown as { readSync(id: object): unknown; tensorMap: { get(id: object): { values?: unknown } }; guarded?: boolean };
  if (backend.guarded) return;
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (id) => {
    if (backend.tensorMap.get(id)?.values == null) throw new Error('the fast path reads a GPU tensor synchronously (dataSync), which returns zeros on this software WebGPU adapter');
    return readSync(id);
  };
  backend.guarded = true;
}

async function relError(what: string, out: tf.Tensor, expected: ArrayLike<number>, n: number): Promise<number> {
  const got = await out.data();
  const m = Math.min(n, expected.length);
  if (got.length < m) throw new Error(`${what}: fast has ${got.length} values, reference ${expected.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < m; i++) {
    num += (got[i] - expected[i]) ** 2;
    den += expected[i] ** 2;
  }
  return Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
}

/** Warm up once, then time calls (each read back with `await data()`) for >= minMs and >= 3 calls. */
async function timeFast(run: () => tf.Tensor, minMs: number): Promise<{ ms: number; p50: number; samples: number }> {
  const warm = run();
  await warm.data();
  warm.dispose();
  const ts: number[] = [];
  const start = performance.now();
  while (ts.length < 3 || (performance.now() - start < minMs && ts.length < 50)) {
    const t0 = performance.now();
    const y = run();
    await y.data();
    ts.push(performance.now() - t0);
    y.dispose();
  }
  const s = [...ts].sort((a, b) => a - b);
  return { ms: ts.reduce((a, b) => a + b, 0) / ts.length, p50: s[Math.floor(s.length / 2)], samples: ts.length };
}

function label(b: BrowserBackendName, info: BackendInfo): string {
  if (info.adapter) {
    const name = /swiftshader/i.test(info.adapter.name) ? 'SwiftShader' : info.adapter.name.slice(0, 48); // the full name is in the section text
    return `${b}, ${name}${info.adapter.software ? ', software: not a GPU figure' : ''}`;
  }
  if (info.wasm) return `wasm ${info.wasm.threads ? 'threaded ' : ''}${info.wasm.simd ? 'SIMD' : ''}, browser`;
  return b;
}

function opsTasks(quick: boolean): Task[] {
  const out: Task[] = [];
  for (const n of quick ? [256] : [256, 512]) {
    const a = normals(n * n, n);
    const b = normals(n * n, n + 1);
    out.push({
      task: `matmul ${n}x${n}x${n}`, impl: 'fast', derived: (ms) => ({ 'GFLOP/s': gflops(2 * n ** 3, ms) }),
      reference: () => refMatmul.matmul(nd(a, [n, n]), nd(b, [n, n])).data,
      fast: () => {
        const [x, y] = [tf.tensor2d(a, [n, n]), tf.tensor2d(b, [n, n])];
        return { run: () => fastMatmul.matmul(x, y), dispose: () => tf.dispose([x, y]) };
      },
    });
  }
  for (const [t, d] of quick ? [[64, 1024]] : [[64, 1024], [512, 4096]]) {
    const x = normals(t * d, t + d);
    const w = normals(d, d).map((v) => 1 + 0.1 * v);
    const gbs = (ms: number) => ({ 'GB/s': (2 * 4 * t * d) / (ms * 1e6) });
    out.push({
      task: `softmax [${t}, ${d}]`, impl: 'fast', derived: gbs, reference: () => refSoftmax.softmax(nd(x, [t, d])).data,
      fast: () => { const xt = tf.tensor2d(x, [t, d]); return { run: () => fastSoftmax.softmax(xt), dispose: () => xt.dispose() }; },
    });
    out.push({
      task: `rmsNorm [${t}, ${d}]`, impl: 'fast', derived: gbs, reference: () => refNorm.rmsNorm(nd(x, [t, d]), nd(w, [d]), 1e-6).data,
      fast: () => {
        const [xt, wt] = [tf.tensor2d(x, [t, d]), tf.tensor1d(w)];
        return { run: () => fastNorm.rmsNorm(xt, wt, 1e-6), dispose: () => tf.dispose([xt, wt]) };
      },
    });
  }
  return out;
}

function attentionTasks(quick: boolean): Task[] {
  const [H, HKV, D] = [8, 2, 64];
  const out: Task[] = [];
  for (const T of quick ? [256] : [256, 512]) {
    const [q, k, v] = [normals(T * H * D, T), normals(T * HKV * D, T + 1), normals(T * HKV * D, T + 2)];
    const flops = 4 * H * D * ((T * (T + 1)) / 2);
    const reference = () => refAttention.attention(nd(q, [T, H, D]), nd(k, [T, HKV, D]), nd(v, [T, HKV, D]), { mask: 'causal' }).data;
    const make = (f: (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor) => () => {
      const [qt, kt, vt] = [tf.tensor3d(q, [T, H, D]), tf.tensor3d(k, [T, HKV, D]), tf.tensor3d(v, [T, HKV, D])];
      return { run: () => f(qt, kt, vt), dispose: () => tf.dispose([qt, kt, vt]) };
    };
    const task = `causal attention T=S=${T}, H=${H}, Hkv=${HKV}, d=${D}`;
    out.push({ task, impl: 'fast, chunked 256', derived: (ms) => ({ 'GFLOP/s': gflops(flops, ms) }), reference, fast: make((a, b, c) => fastAttention.attentionChunked(a, b, c, { mask: 'causal', chunkSize: 256 })) });
    out.push({ task, impl: 'fast, unchunked', derived: (ms) => ({ 'GFLOP/s': gflops(flops, ms) }), reference, fast: make((a, b, c) => fastAttention.attention(a, b, c, { mask: 'causal' })) });
  }
  return out;
}

function internVitTasks(): Task[] {
  const cfg = parseInternVitConfig({
    norm_type: 'layer_norm', attention_bias: true, use_qk_norm: false, hidden_act: 'gelu', image_size: 448, patch_size: 14,
    hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 256,
  });
  const w = tinyWeights(cfg, 1);
  const x = pixels([1, 3, 448, 448], 1);
  return [{
    task: 'tiny encoder (C 64, 2 layers, 4 heads), 1 tile', impl: 'fast', derived: (ms) => ({ 'images/s': 1000 / ms }),
    reference: () => toFlat(refInternVit.InternVisionModel.fromWeights(cfg, w).forward(dataToNd(x)).lastHiddenState),
    fast: () => {
      const model = fastInternVit.InternVisionModel.fromWeights(cfg, w);
      const xt = dataToTf(x);
      return { run: () => model.forward(xt).lastHiddenState, dispose: () => { xt.dispose(); model.dispose(); } };
    },
  }];
}

function moeTasks(quick: boolean): Task[] {
  const [D, I, N, K, VAL] = [512, 256, 256, 8, 16];
  const xv = normals(N * D, 99);
  return (quick ? [8] : [8, 16]).map((E) => {
    const { w, cfg } = moeWeights(E, D, I, K);
    return {
      task: `MoE block N=${N} tokens, D=${D}, I=${I}, E=${E}, K=${K}`, impl: 'fast, only selected experts', compare: VAL * D,
      derived: (ms: number) => ({ 'GFLOP/s': gflops(2 * N * D * E + N * K * 6 * D * I, ms), 'tokens/s': (N * 1000) / ms }),
      // tokens are independent: the reference on the first VAL tokens validates them (as the Node suite does)
      reference: () => refMoe.Qwen3MoeSparseBlock.fromWeights(cfg, w, 'mlp').forward(nd(xv.subarray(0, VAL * D), [VAL, D])).output.data,
      fast: () => {
        const moe = Qwen3MoeSparseBlock.fromWeights(cfg, w, 'mlp');
        const x = tf.tensor2d(xv, [N, D]);
        return {
          run: () => {
            const r = moe.forward(x);
            tf.dispose([r.router.logits, r.router.indices, r.router.weights]);
            return r.output;
          },
          dispose: () => { x.dispose(); moe.dispose(); },
        };
      },
    };
  });
}

const SUITES: Record<string, (quick: boolean) => Task[]> = {
  ops: opsTasks, attention: attentionTasks, internvit: () => internVitTasks(), moe: moeTasks,
};

/** Run `suite` on each of `backends`; every fast result validated against the reference before it is timed. */
export async function runSuite(suite: string, backends: readonly BrowserBackendName[], quick: boolean): Promise<BrowserSuiteResult> {
  const make = SUITES[suite];
  if (!make) throw new Error(`unknown browser suite '${suite}' (have ${Object.keys(SUITES).join(', ')})`);
  const rows: BrowserRow[] = [];
  const skipped: string[] = [];
  const infos: BrowserSuiteResult['backends'] = {};
  const tasks = make(quick);
  const refs = new Map<string, { expected: ArrayLike<number>; refMs: number }>(); // tasks of one name share one reference run
  for (const t of tasks) {
    let ref = refs.get(t.task);
    if (!ref) {
      const t0 = performance.now();
      const expected = t.reference();
      ref = { expected, refMs: performance.now() - t0 };
      refs.set(t.task, ref);
      if (!t.compare) rows.push({ task: t.task, impl: 'reference (browser, 1 call)', ms: ref.refMs, samples: 1, derived: t.derived(ref.refMs) });
    }
    const { expected, refMs } = ref;
    for (const b of backends) {
      let info: BackendInfo;
      try {
        info = await initBackend(b, { wasmPaths: WASM_PATHS });
        infos[b] = info;
      } catch (e) {
        infos[b] = { error: (e as Error).message };
        continue;
      }
      if (b === 'webgpu') guardSyncReads();
      const c = t.fast();
      try {
        const first = c.run();
        const rel = await relError(t.task, first, expected, t.compare ?? Infinity);
        first.dispose();
        if (!(rel <= 1e-4)) {
          skipped.push(`${t.task}, ${t.impl} on ${b}: validation failed (relative error ${rel.toExponential(2)} > 1e-4), not timed`);
          continue;
        }
        const m = await timeFast(c.run, 400);
        const derived = t.derived(m.ms);
        if (!t.compare) derived.speedup = refMs / m.ms;
        rows.push({ task: t.task, impl: `${t.impl} (${label(b, info)})`, ...m, derived, extra: { 'rel. error': rel.toExponential(1) } });
      } catch (e) {
        skipped.push(`${t.task}, ${t.impl} on ${b}: ${(e as Error).message.split('\n')[0]}`);
      } finally {
        c.dispose();
      }
    }
  }
  return { rows, backends: infos, skipped };
}

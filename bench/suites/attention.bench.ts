/**
 * Causal GQA attention (H = 8, Hkv = 2, d = 64) for T = S = 256 .. 4096: the fast path on wasm,
 * unchunked and chunked, on cpu at small T, a `tf.batchMatMul` formulation for comparison, and the
 * float64 reference where it finishes in seconds; plus the peak extra memory against T.
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32, normalSamples } from '../../src/util/random.js';
import ndarray from 'ndarray';
import os from 'node:os';
import type { NDArray } from '../../reference/ndarray.js';
import * as ref from '../../reference/ops/attention.js';
import * as fast from '../../src/ops/attention.js';
import { type BenchRow, type Chart, type Suite, type Target, fmt, gflops, time, useBackend, validate } from '../harness.js';

const [H, HKV, D] = [8, 2, 64];
const CHUNK = 256;
const SIZES = [256, 1024, 2048, 4096];
const REF_MAX = 1024; // the reference takes ~0.5 s at 256 and grows as T²
const UNCHUNKED_MAX = 2048; // at 4096 one kv group's [R·T, S] scores alone are 268 MB, ~1.2 GB at peak
const CPU_MAX = 256; // the cpu backend runs ~1 GFLOP/s
const TAIL = 32; // query rows checked against the reference where the full reference is too slow

/** Deterministic float32-representable normal(0, 1) values (mulberry32 + Box-Muller). */
function normals(n: number, seed: number): Float32Array {
  return normalSamples(mulberry32(seed), n);
}

interface Inputs { T: number; q: Float32Array; k: Float32Array; v: Float32Array }
const nd = (v: Float32Array, shape: number[]): NDArray => ndarray(Float64Array.from(v), shape);

/** Useful FLOPs of causal attention: 2·d per (query, visible key) for q·k and again for p·v, per head. */
const causalFlops = (T: number) => 4 * H * D * ((T * (T + 1)) / 2);

type Impl = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor;
const unchunked: Impl = (q, k, v) => fast.attention(q, k, v, { mask: 'causal' });
const chunked: Impl = (q, k, v) => fast.attentionChunked(q, k, v, { mask: 'causal', chunkSize: CHUNK });

/** The same attention with one batched product per step (k and v repeated to H heads). */
const batched: Impl = (q, k, v) =>
  tf.tidy(() => {
    const T = q.shape[0];
    const S = k.shape[0];
    const qh = tf.transpose(q, [1, 0, 2]); // [H, T, d]
    const rep = (x: tf.Tensor) => tf.transpose(tf.reshape(tf.tile(tf.expandDims(x, 2), [1, 1, H / HKV, 1]), [S, H, D]), [1, 0, 2]); // [H, S, d]
    const mask = new Float32Array(T * S);
    for (let i = 0; i < T; i++) mask.fill(-Infinity, i * S + S - T + i + 1, (i + 1) * S);
    const s = tf.add(tf.mul(tf.matMul(qh, rep(k), false, true), 1 / Math.sqrt(D)), tf.tensor2d(mask, [T, S])); // [H, T, S]
    return tf.transpose(tf.matMul(tf.softmax(s), rep(v)), [1, 0, 2]); // [T, H, d]
  });

/** Mean and median of `n` calls after one warm-up call (for calls of a second or more). */
async function timeLong(fn: () => void, n: number): Promise<{ ms: number; p50: number; samples: number }> {
  fn();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  const sorted = [...ts].sort((a, b) => a - b);
  return { ms: ts.reduce((a, b) => a + b, 0) / n, p50: sorted[Math.floor(n / 2)], samples: n };
}

/** Peak extra bytes (tf.memory().numBytes high-water mark from tf.profile, minus the bytes before the call). */
async function peakBytes(fn: () => tf.Tensor): Promise<number> {
  const before = tf.memory().numBytes;
  const info = await tf.profile(fn);
  (info.result as tf.Tensor).dispose();
  return info.peakBytes - before;
}

interface Measured { ms: number; p50: number; samples: number; peak?: number }

/**
 * Validate then time `impl` on `backend`: the output (or its last TAIL rows) must match `expected`.
 * Best of `rounds` rounds (the machine is shared with other jobs).
 */
async function measure(backend: 'wasm' | 'cpu', what: string, x: Inputs, impl: Impl, expected: ArrayLike<number>, tailOnly: boolean, rounds: number, withPeak: boolean): Promise<Measured> {
  await useBackend(backend);
  const { T } = x;
  const q = tf.tensor(x.q, [T, H, D]);
  const k = tf.tensor(x.k, [T, HKV, D]);
  const v = tf.tensor(x.v, [T, HKV, D]);
  const out = impl(q, k, v);
  const got = tailOnly ? tf.slice(out, [T - TAIL, 0, 0], [TAIL, -1, -1]) : out;
  validate(`${what} (${backend})`, got.dataSync(), expected);
  tf.dispose([out, got]);
  let best: Measured = { ms: Infinity, p50: Infinity, samples: 0 };
  const call = () => {
    const o = impl(q, k, v);
    o.dataSync();
    o.dispose();
  };
  for (let r = 0; r < rounds; r++) {
    const t = T >= 2048 || backend === 'cpu' ? await timeLong(call, 2) : await time(call, { iterations: 3, timeMs: 500 });
    if (t.ms < best.ms) best = t;
  }
  if (withPeak) best.peak = await peakBytes(() => impl(q, k, v));
  tf.dispose([q, k, v]);
  return best;
}

const MB = (b: number) => b / 2 ** 20;

function row(task: string, impl: string, m: Measured, T: number, refMs?: number, extra: Record<string, string | number> = {}): BenchRow {
  const derived: Record<string, number> = { 'GFLOP/s': gflops(causalFlops(T), m.ms) };
  if (refMs !== undefined) derived.speedup = refMs / m.ms;
  if (m.peak !== undefined) extra = { ...extra, 'peak extra MB': fmt(MB(m.peak)) };
  return { task, impl, ms: m.ms, p50: m.p50, samples: m.samples, derived, extra };
}

interface Acc { rows: BenchRow[]; memChunked: [number, number][]; memFull: [number, number][]; msChunked: [number, number][]; msFull: [number, number][]; refAt: { T: number; ms: number; wasm: number } | null; vsBatched?: number }

async function oneSize(T: number, acc: Acc, log: (m: string) => void, rounds: number): Promise<void> {
  const task = `causal attention T=S=${T}, H=${H}, Hkv=${HKV}, d=${D}`;
  const x: Inputs = { T, q: normals(T * H * D, T), k: normals(T * HKV * D, T + 1), v: normals(T * HKV * D, T + 2) };
  const tailOnly = T > REF_MAX;
  log(`${task}: reference${tailOnly ? ` (last ${TAIL} queries, for validation only)` : ''}`);
  const t0 = performance.now();
  const expected = tailOnly
    ? ref.attention(nd(x.q.subarray((T - TAIL) * H * D), [TAIL, H, D]), nd(x.k, [T, HKV, D]), nd(x.v, [T, HKV, D]), { mask: 'causal', queryOffset: T - TAIL }).data
    : ref.attention(nd(x.q, [T, H, D]), nd(x.k, [T, HKV, D]), nd(x.v, [T, HKV, D]), { mask: 'causal' }).data;
  const refMs = tailOnly ? undefined : performance.now() - t0;
  if (refMs !== undefined) acc.rows.push(row(task, 'reference', { ms: refMs, p50: refMs, samples: 1 }, T));
  log(`${task}: fast (wasm)`);
  const ch = await measure('wasm', task, x, chunked, expected, tailOnly, rounds, true);
  acc.rows.push(row(task, `fast (wasm), chunked ${CHUNK}`, ch, T, refMs));
  acc.memChunked.push([T, MB(ch.peak!)]);
  acc.msChunked.push([T, ch.ms]);
  if (T <= UNCHUNKED_MAX) {
    const full = await measure('wasm', task, x, unchunked, expected, tailOnly, rounds, true);
    acc.rows.push(row(task, 'fast (wasm), unchunked', full, T, refMs));
    acc.memFull.push([T, MB(full.peak!)]);
    acc.msFull.push([T, full.ms]);
    if (T === 1024) {
      log(`${task}: tf.batchMatMul formulation (wasm)`);
      const bm = await measure('wasm', task, x, batched, expected, tailOnly, 1, false);
      acc.vsBatched = bm.ms / full.ms;
      acc.rows.push(row(task, 'tf.batchMatMul (wasm), for comparison', bm, T, refMs, { 'per-head 2-D is x faster': fmt(acc.vsBatched) }));
    }
  }
  if (T <= CPU_MAX) {
    log(`${task}: fast (cpu)`);
    acc.rows.push(row(task, 'fast (cpu)', await measure('cpu', task, x, unchunked, expected, tailOnly, 1, false), T, refMs));
  }
  if (refMs !== undefined) acc.refAt = { T, ms: refMs, wasm: Math.min(ch.ms, acc.msFull.at(-1)?.[0] === T ? acc.msFull.at(-1)![1] : Infinity) };
}

function targets(acc: Acc): Target[] {
  const out: Target[] = [];
  if (acc.refAt) {
    const s = acc.refAt.ms / acc.refAt.wasm;
    out.push({ description: `wasm attention is >= 20x faster than the reference at the largest size the reference ran (T=${acc.refAt.T})`, met: s >= 20, measured: `${fmt(s)}x` });
  }
  const m = acc.memChunked;
  if (m.length >= 2) {
    const [t0, b0] = m[0];
    const [t1, b1] = m[m.length - 1];
    const growth = b1 / b0;
    out.push({
      description: `chunked attention's peak extra memory grows linearly in T: from T=${t0} to T=${t1} (x${t1 / t0}) it grows at most x${fmt(1.25 * (t1 / t0))} (quadratic would be x${(t1 / t0) ** 2})`,
      met: growth <= 1.25 * (t1 / t0), measured: `x${fmt(growth)} (${fmt(b0)} MB -> ${fmt(b1)} MB)`,
    });
  }
  if (acc.vsBatched !== undefined) {
    out.push({ description: 'per-head 2-D products beat one tf.batchMatMul formulation on wasm at T=1024', met: acc.vsBatched > 1, measured: `${fmt(acc.vsBatched)}x faster` });
  }
  return out;
}

function charts(acc: Acc): Chart[] {
  return [
    {
      file: 'attention-memory.svg', title: 'Causal attention: peak extra memory vs T (wasm)', xLabel: 'T = S (tokens)', yLabel: 'peak extra MB (tf.memory high-water mark)', logX: true, logY: true,
      series: [
        { name: `chunked (${CHUNK} queries)`, points: acc.memChunked },
        { name: 'unchunked', points: acc.memFull },
        { name: 'one [H, T, S] float32', points: acc.memChunked.map(([T]) => [T, MB(H * T * T * 4)]) },
      ],
    },
    {
      file: 'attention-time.svg', title: 'Causal attention: time vs T (wasm)', xLabel: 'T = S (tokens)', yLabel: 'ms per call', logX: true, logY: true,
      series: [{ name: `chunked (${CHUNK} queries)`, points: acc.msChunked }, { name: 'unchunked', points: acc.msFull }],
    },
  ];
}

export const suite: Suite = {
  name: 'attention',
  title: 'Attention: causal GQA, chunked and unchunked',
  description:
    `Causal self-attention with H=${H} query heads, Hkv=${HKV} kv heads (GQA, R=4), d=${D}, T=S. GFLOP/s counts the ` +
    'useful work of causal attention, 4·H·d·T(T+1)/2 (q·k and p·v over the visible keys only); the unchunked path ' +
    'computes all T·S scores, the chunked path skips keys beyond each block\'s last query. Every fast result is ' +
    `validated against the float64 reference first (the whole output up to T=${REF_MAX}; above, the last ${TAIL} query ` +
    'rows, computed by the reference with queryOffset = T−32), relative error <= 1e-4. "peak extra MB" is the ' +
    'tf.memory().numBytes high-water mark reported by tf.profile during one call, minus the bytes held before it ' +
    '(tensor bytes tracked by the tfjs engine, not process RSS; wasm never returns heap pages to the OS). ' +
    '"tf.batchMatMul" runs the same computation with k and v repeated to H heads and one batched product per step. ' +
    'speedup = reference ms / fast ms.',
  async run({ quick, log }) {
    const load = os.loadavg()[0];
    const acc: Acc = { rows: [], memChunked: [], memFull: [], msChunked: [], msFull: [], refAt: null };
    const sizes = quick ? SIZES.slice(0, 2) : SIZES;
    for (const T of sizes) await oneSize(T, acc, log, quick ? 1 : 3);
    const notes = [
      `Not run: the reference above T=${REF_MAX} (it grows as T² from ~0.5 s at 256), unchunked attention above ` +
        `T=${UNCHUNKED_MAX} (one kv group's [R·T, S] float32 scores are 268 MB at 4096, about 1.2 GB at peak), and cpu ` +
        `above T=${CPU_MAX}. Timings use tinybench (3+ calls, ≥ 0.5 s) below T=2048 and the mean of 2 calls after a ` +
        'warm-up from 2048 up; wasm rows keep the best of 3 rounds because the machine is shared with other jobs ' +
        `(1-minute load average ${load.toFixed(1)} on ${os.cpus().length} cores when this run started; tfjs-wasm is single-threaded).`,
    ].join(' ');
    return { rows: acc.rows, targets: targets(acc), charts: charts(acc), notes };
  },
};

/**
 * The benchmark harness (DESIGN.md, Benchmarks; convention 7 "validate before you benchmark").
 *
 * A suite (`bench/suites/<name>.bench.ts`, exporting `suite`) returns rows. Each timed task first
 * checks its fast result against the reference (via {@link validate}), then is timed with
 * tinybench, and each row carries a derived figure (GFLOP/s, tokens/s, MB/s, speedup) next to the
 * milliseconds. `bench/run.ts` writes `bench/results/<suite>.json` and regenerates
 * `docs/performance.md` from every suite's latest results.
 */
import * as tf from '@tensorflow/tfjs';
import { Bench } from 'tinybench';
import { initBackend, type BackendName } from '../src/backend/index.js';

/** One measured line of a report table. */
export interface BenchRow {
  /** What was timed, e.g. `matmul 512x512x512`. */
  task: string;
  /** Which implementation: `fast (wasm)`, `fast (cpu)`, `reference`, `raw tfjs (wasm)`, an anchor's name... */
  impl: string;
  /** Mean time per call in milliseconds. */
  ms: number;
  /** Median time per call in milliseconds. */
  p50?: number;
  /** Number of timed calls. */
  samples?: number;
  /** Derived figures such as `{ 'GFLOP/s': 14.2 }` or `{ 'MB/s': 5.1 }` or `{ speedup: 31 }`. */
  derived?: Record<string, number>;
  /** Free-form extra columns (sizes, bytes read, peak memory...). */
  extra?: Record<string, string | number>;
}

/** A pass/fail statement checked from the measured rows (a benchmark target, never a test). */
export interface Target {
  description: string;
  met: boolean;
  measured: string;
}

/** One chart: an SVG written next to the report, drawn from series of (x, y) points. */
export interface Chart {
  file: string;
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  logY?: boolean;
  series: { name: string; points: [number, number][] }[];
}

export interface SuiteResult {
  rows: BenchRow[];
  targets?: Target[];
  charts?: Chart[];
  notes?: string;
}

export interface Suite {
  /** File-safe id, e.g. `ops`. */
  name: string;
  /** Section title in docs/performance.md. */
  title: string;
  /** What is measured and how, in a sentence or two (goes above the table). */
  description: string;
  run(opts: RunOptions): Promise<SuiteResult>;
}

export interface RunOptions {
  /** Smaller sizes and fewer iterations (for a smoke run). */
  quick: boolean;
  log: (msg: string) => void;
}

/** Activate a backend for the tasks that follow. */
export async function useBackend(b: BackendName): Promise<void> {
  await initBackend(b);
}

/**
 * Time `fn` with tinybench: warm-up, then at least `iterations` calls and at least `timeMs` ms.
 * Returns mean and median ms per call.
 */
export async function time(
  fn: () => unknown | Promise<unknown>,
  o: { iterations?: number; timeMs?: number } = {},
): Promise<{ ms: number; p50: number; samples: number }> {
  const bench = new Bench({ iterations: o.iterations ?? 5, time: o.timeMs ?? 300, warmup: true } as never);
  bench.add('task', fn as () => void);
  await bench.run();
  const r = bench.tasks[0].result as { state: string; error?: Error; latency?: { mean: number; p50: number; samplesCount?: number }; totalTime?: number };
  if (r.state === 'errored') throw r.error;
  if (!r.latency) throw new Error(`benchmark task ended in state ${r.state}`);
  return { ms: r.latency.mean, p50: r.latency.p50, samples: (r as { latency: { samplesCount?: number } }).latency.samplesCount ?? 0 };
}

/** Time a fast-path call that returns tensors: the result is read back (`dataSync`) and disposed inside the timing. */
export async function timeTensor(
  fn: () => tf.Tensor | tf.Tensor[],
  o?: { iterations?: number; timeMs?: number },
): Promise<{ ms: number; p50: number; samples: number }> {
  return time(() => {
    const out = fn();
    const outs = Array.isArray(out) ? out : [out];
    for (const t of outs) t.dataSync();
    tf.dispose(outs);
  }, o);
}

/**
 * Validate before timing: throws when `||fast - ref|| / ||ref|| > maxRel`, so a suite never
 * reports a speed for a wrong answer.
 */
export function validate(what: string, fast: ArrayLike<number>, ref: ArrayLike<number>, maxRel = 1e-4): number {
  if (fast.length !== ref.length) throw new Error(`${what}: fast has ${fast.length} values, reference ${ref.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (fast[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  const rel = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-30);
  if (!(rel <= maxRel)) throw new Error(`${what}: validation failed, relative error ${rel} > ${maxRel}`);
  return rel;
}

/** GFLOP/s for `flops` floating-point operations in `ms` milliseconds. */
export function gflops(flops: number, ms: number): number {
  return flops / (ms * 1e6);
}

/** Round for display. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

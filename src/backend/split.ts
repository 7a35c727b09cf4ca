/**
 * Row-split 2-D products across the thread pool (issue 15, data parallel): `a [M, K] · b [K, N]`
 * with the rows of `a` cut into one block per thread. The caller's thread computes the first block
 * while each worker computes one of the others with `b` it holds (a weight is sent once per worker
 * and kept; threads.ts, pool.ts); the blocks are joined in row order. Every output row is the same
 * 2-D product of the same row and `b` on the same backend, so the result equals the unsplit
 * product (the property test checks it within the matmul tolerance; on cpu it is bitwise equal).
 *
 * Used by `ops/matmul.ts` for every 2-D product (so `dense`, `linear`, `matmul` and every layer
 * built on them) when {@link splitPool} says it pays. Forward only: while a gradient is recorded
 * the product runs unsplit (threads.ts `parallelRunner`).
 *
 * Legend: M rows, K inner, N columns.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { type ParallelRunner, parallelRunner } from './threads.js';

/**
 * When a split pays. `minMacs`: smallest product (M·K·N multiply-adds) worth splitting, 2^24 ≈
 * 16.8 M, ~1 ms on one wasm core: a worker round trip costs ~0.2-0.4 ms on this 2-core machine
 * (loaded) plus copying the row blocks (~1 ms per 4 MB). `minRows`: fewest rows per thread, so
 * decode's one-row products never split (decode is not slowed). The MoE block spreads its experts
 * from `minMacs / 3` multiply-adds of N·K·D·I (its SwiGLUs do three times that). Mutable for tests
 * and benches (0 splits everything); not a user setting.
 */
export const SPLIT_LIMITS: SplitLimits = { minMacs: 2 ** 24, minRows: 8 };

/** The thresholds of {@link SPLIT_LIMITS}. */
export interface SplitLimits {
  /** Smallest product (M·K·N multiply-adds) that is split. */
  minMacs: number;
  /** Fewest rows per thread. */
  minRows: number;
}

/** The pool to split `[M, K]·[K, N]` across, or undefined when it runs on one thread. */
export function splitPool(M: number, K: number, N: number): ParallelRunner | undefined {
  if (M * K * N < SPLIT_LIMITS.minMacs || M < 2 * SPLIT_LIMITS.minRows) return undefined;
  return parallelRunner();
}

/** Row bounds `[0, r_1, ..., M]` of `parts` near-equal blocks. */
export function rowBounds(M: number, parts: number): number[] {
  return Array.from({ length: parts + 1 }, (_, i) => Math.round((i * M) / parts));
}

/**
 * `a [M, K] · b [K, N]` → `[M, N]` with the rows split across `pool`'s threads (no gradient).
 * The caller checks shapes and dtypes (ops/matmul.ts); K > 0.
 */
export function splitMatMul2d(pool: ParallelRunner, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const [M, K] = a.shape as [number, number];
  const N = b.shape[1] as number;
  const parts = Math.min(pool.workers + 1, Math.floor(M / Math.max(1, SPLIT_LIMITS.minRows)));
  const at = rowBounds(M, parts);
  const av = a.dataSync() as Float32Array; // [M·K]
  const tasks = at.slice(1, -1).map((r0, i) => ({
    kind: 'matmul' as const, a: av.slice(r0 * K, at[i + 2] * K), rows: at[i + 2] - r0, b: b as tf.Tensor2D,
  }));
  const { local, results } = pool.run(tasks, () => {
    const y = tf.tidy(() => tf.matMul(tf.tensor2d(av.subarray(0, at[1] * K), [at[1], K]), b as tf.Tensor2D)); // [r_1, N]
    try {
      return y.dataSync() as Float32Array;
    } finally {
      y.dispose();
    }
  });
  const out = new Float32Array(M * N); // [M, N]
  out.set(local, 0);
  results.forEach((r, i) => out.set(r, at[i + 1] * N));
  return tf.tensor2d(out, [M, N]);
}

/**
 * Expert parallelism for the sparse MoE block (issue 15, item 2): the experts are placed on the
 * threads of the pool (threads.ts), the (token, slot) pairs of each expert are sent to the thread
 * that holds it, each thread runs its experts' SwiGLUs, and the caller adds the weighted outputs
 * back to their tokens.
 *
 * ```
 * placement: thread t holds experts [s_t, s_{t+1})   (whole routing groups when G is a multiple of the threads)
 * thread t:  Y_e = SwiGLU_e(x[rows_e])               for each active e it holds      [n_e, D]
 * caller:    y[rows_e[j]] += w[slots_e[j]] · Y_e[j]   e ascending                       [N, D]
 * ```
 *
 * The caller's thread is thread 0 (it computes its own experts while the workers compute theirs);
 * each worker keeps its experts' weights after the first call (sent once; pool.ts). The outputs are
 * combined in ascending expert order with the same float32 accumulation as the one-thread host
 * path (moe.ts `combineHost`), and each expert runs the same ops on the same rows, so the block's
 * output equals the one-thread output on the same backend (test/models/qwen3/moe-parallel.test.ts).
 *
 * Placement (decision): contiguous, ascending expert ranges, so that combining thread by thread is
 * combining expert by expert in ascending order. With Intern-S1-Pro's grouped router (G groups of
 * E/G experts, K/G picks per group) a thread holding whole groups receives exactly
 * `N · K · (its groups) / G` pairs whatever the router chose: the balance grouped routing exists
 * for. {@link threadLoad} measures it for any routing.
 *
 * Legend: N tokens, D width, E experts, K chosen per token, G groups, I expert width.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { SPLIT_LIMITS } from '../../backend/split.js';
import { type ParallelRunner, parallelRunner, type WorkerTask } from '../../backend/threads.js';
import { activation } from '../../nn/activation.js';
import { ValueError } from '../../errors.js';
import { swiGlu, type SwiGluWeights } from './mlp.js';
import type { RoutingConfig } from './routing.js';

/** Which experts each thread holds. */
export interface ExpertPlacement {
  /** `[start, end)` expert range of each thread (thread 0: the caller's). */
  readonly ranges: readonly (readonly [number, number])[];
  /** Whether every range is a union of whole routing groups (G > 1 and G a multiple of the threads). */
  readonly wholeGroups: boolean;
}

/**
 * Place E experts on `threads` threads: whole routing groups per thread when the G groups divide
 * evenly among the threads (one group per thread when G = threads), else near-equal contiguous
 * ranges. At most E threads get experts.
 *
 * @throws ValueError when E, G or the thread count is not a positive integer, or G does not divide E.
 * @example
 * ```ts
 * import { placeExperts } from 'intern-s1-ts/internals';
 * console.log(placeExperts(512, 8, 2).ranges); // => [[0, 256], [256, 512]]  -- 4 groups each
 * ```
 */
export function placeExperts(E: number, G: number, threads: number): ExpertPlacement {
  for (const [name, v] of [['E', E], ['G', G], ['threads', threads]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ValueError(`placeExperts: '${name}' must be a positive integer, got ${v}`);
  }
  if (E % G !== 0) throw new ValueError(`placeExperts: G (${G}) must divide E (${E})`);
  const T = Math.min(threads, E);
  const wholeGroups = G > 1 && G % T === 0;
  const unit = wholeGroups ? E / G : 1; // place groups, or single experts
  const units = E / unit;
  const ranges = Array.from({ length: T }, (_, t) => [Math.round((t * units) / T) * unit, Math.round(((t + 1) * units) / T) * unit] as const);
  return Object.freeze({ ranges: Object.freeze(ranges), wholeGroups });
}

/** One thread's share of a layer's MoE work. */
export interface ThreadLoad {
  /** `[start, end)` experts it holds. */
  readonly experts: readonly [number, number];
  /** (token, slot) pairs routed to its experts (rows its SwiGLUs run). */
  readonly pairs: number;
  /** Distinct tokens with at least one pair on it (tokens it must receive). */
  readonly tokens: number;
  /** Floating-point operations of its SwiGLUs: `pairs · 6·D·I` (gate+up `2·D·2I`, down `2·I·D`). */
  readonly flops: number;
}

/**
 * The per-thread load of one layer's routing: pairs, tokens and FLOPs per thread for a placement.
 * Max / mean of `flops` is the slowdown imbalance costs against a perfect split.
 *
 * @param idx - chosen experts `[N·K]` (row-major `[N, K]`), read back.
 * @throws ValueError for an id outside the placement's experts or a length not a multiple of K.
 * @example
 * ```ts
 * import { placeExperts, threadLoad } from 'intern-s1-ts/internals';
 * const p = placeExperts(4, 2, 2);
 * console.log(threadLoad(new Int32Array([0, 2, 1, 3]), 2, p, 8, 6).map((l) => l.pairs)); // => [2, 2]
 * ```
 */
export function threadLoad(idx: Int32Array, K: number, placement: ExpertPlacement, D: number, I: number): ThreadLoad[] {
  if (!Number.isInteger(K) || K < 1 || idx.length % K !== 0) throw new ValueError(`threadLoad: ${idx.length} ids are not a whole number of rows of K = ${K}`);
  const E = placement.ranges[placement.ranges.length - 1][1];
  const owner = new Int32Array(E);
  placement.ranges.forEach(([s, e], t) => owner.fill(t, s, e));
  const T = placement.ranges.length;
  const pairs = new Array<number>(T).fill(0);
  const tokens = new Array<number>(T).fill(0);
  const seen = new Int32Array(T).fill(-1);
  for (let i = 0; i < idx.length; i++) {
    const e = idx[i];
    if (!(e >= 0 && e < E)) throw new ValueError(`threadLoad: id ${e} at flat position ${i} is outside [0, ${E})`);
    const t = owner[e];
    pairs[t]++;
    const tok = Math.floor(i / K);
    if (seen[t] !== tok) {
      seen[t] = tok;
      tokens[t]++;
    }
  }
  return placement.ranges.map((experts, t) => ({ experts, pairs: pairs[t], tokens: tokens[t], flops: pairs[t] * 6 * D * I }));
}

/** The (token, slot) pairs sorted by expert (moe.ts `dispatch`). */
export interface SortedPairs {
  /** Token of each sorted pair `[N·K]`. */
  rows: Int32Array;
  /** Flat slot `t·K + k` of each sorted pair `[N·K]`. */
  slots: Int32Array;
  /** Pairs per expert `[E]`. */
  counts: Int32Array;
}

/** What the MoE block hands over: its experts, router numbers and activation. */
export interface ExpertBlock {
  /** One SwiGLU per expert. */
  readonly experts: readonly SwiGluWeights[];
  /** The router's numbers (E, K, G). */
  readonly routing: RoutingConfig;
  /** Activation of the experts' gates (the pool runs SiLU only). */
  readonly hiddenAct: string;
}


/** The pool to run a layer's experts on, or undefined (one thread, not SiLU, too small, experts on demand). */
export function expertPool(block: ExpertBlock, N: number, D: number): ParallelRunner | undefined {
  // Experts held on demand (expert-cache.ts: `experts` is empty) stay on the caller's thread:
  // the cache decides what is resident, and a worker would need its own copy of each upload.
  if (block.experts.length !== block.routing.numExperts) return undefined;
  const I = block.experts[0].downT.shape[0];
  if (block.hiddenAct !== 'silu' && block.hiddenAct !== 'swish') return undefined; // the worker's SwiGLU is SiLU's
  if (N * block.routing.topK * D * I < SPLIT_LIMITS.minMacs / 3 || block.routing.numExperts < 2) return undefined;
  return parallelRunner();
}

/** Copy the rows of pairs `[from, to)` of `x` into one block `[to - from, D]`. */
function gatherRows(xv: Float32Array, rows: Int32Array, from: number, to: number, D: number): Float32Array {
  const block = new Float32Array((to - from) * D);
  for (let j = from; j < to; j++) block.set(xv.subarray(rows[j] * D, (rows[j] + 1) * D), (j - from) * D);
  return block;
}

/**
 * `y_t = Σ_k w_{t,k} Expert_{S_tk}(x_t)` with the experts spread over `pool`'s threads (inference
 * only). `x [N, D]` values, `wv [N·K]` routing weights, `sorted` the pairs sorted by expert.
 * Returns the `[N·D]` output, accumulated in ascending expert order.
 */
export function combineExpertParallel(
  pool: ParallelRunner, block: ExpertBlock, xv: Float32Array, wv: Float32Array, sorted: SortedPairs, D: number,
): Float32Array {
  const { numExperts: E, nGroups: G } = block.routing;
  const { ranges } = placeExperts(E, G, pool.workers + 1);
  const start = new Int32Array(E + 1);
  for (let e = 0; e < E; e++) start[e + 1] = start[e] + sorted.counts[e];
  const active = (s: number, e: number) => Array.from({ length: e - s }, (_, i) => s + i).filter((x) => sorted.counts[x] > 0);
  const tasks: WorkerTask[] = ranges.slice(1).map(([s, e]) => ({
    kind: 'swiglu', x: gatherRows(xv, sorted.rows, start[s], start[e], D),
    blocks: active(s, e).map((x) => ({ rows: sorted.counts[x], gateUpT: block.experts[x].gateUpT, downT: block.experts[x].downT })),
  }));
  const act = activation(block.hiddenAct);
  const { local, results } = pool.run(tasks, () => active(ranges[0][0], ranges[0][1]).map((e) => {
    const y = tf.tidy(() => swiGlu(tf.tensor2d(gatherRows(xv, sorted.rows, start[e], start[e + 1], D), [sorted.counts[e], D]), block.experts[e], act)); // [n_e, D]
    try {
      return y.dataSync() as Float32Array;
    } finally {
      y.dispose();
    }
  }));
  const N = xv.length / D;
  const out = new Float32Array(N * D); // [N, D]
  const add = (e: number, yv: Float32Array, at: number) => {
    for (let j = 0; j < sorted.counts[e]; j++) {
      const w = wv[sorted.slots[start[e] + j]];
      const o = sorted.rows[start[e] + j] * D;
      for (let c = 0; c < D; c++) out[o + c] += w * yv[at + j * D + c];
    }
  };
  active(ranges[0][0], ranges[0][1]).forEach((e, i) => add(e, local[i], 0));
  ranges.slice(1).forEach(([s, e], t) => {
    for (const x of active(s, e)) add(x, results[t], (start[x] - start[s]) * D);
  });
  return out;
}

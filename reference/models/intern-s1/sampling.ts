/**
 * Reference next-token selection: the textbook temperature → top-k → top-p pipeline with a full
 * sort, in float64.
 *
 * @module
 */
import type { SamplingOptions } from '../../../src/models/intern-s1/options.js';

export type { SamplingOptions } from '../../../src/models/intern-s1/options.js';

/** Index of the largest logit; ties to the lower index. */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** The candidates of {@link samplingDistribution}. */
export interface SamplingCandidates {
  /** Kept token ids, increasing. */
  tokens: number[];
  /** Their probabilities, renormalised to sum to 1. */
  probs: number[];
}

/**
 * Kept tokens (increasing order) and their renormalised probabilities:
 * `p_i ∝ exp((z_i − max z) / τ)` over the top-k tokens, then the shortest most-likely prefix whose
 * mass reaches top-p, renormalised.
 */
export function samplingDistribution(logits: ArrayLike<number>, o: SamplingOptions): SamplingCandidates {
  const tau = o.temperature ?? 0;
  if (tau === 0) return { tokens: [argmax(logits)], probs: [1] };
  // 1. sort all tokens by decreasing logit (ties: lower index first)
  const sorted = Array.from(logits, (z, i) => ({ i, z })).sort((a, b) => b.z - a.z || a.i - b.i);
  // 2. top-k
  const k = o.topK ?? 0;
  const kept = k > 0 ? sorted.slice(0, k) : sorted;
  // 3. softmax with temperature over the kept tokens
  const zmax = kept[0].z;
  const e = kept.map((c) => Math.exp((c.z - zmax) / tau));
  const total = e.reduce((a, b) => a + b, 0);
  const p = e.map((v) => v / total);
  // 4. top-p: the shortest prefix whose probability reaches topP (at least one token)
  const topP = o.topP ?? 1;
  let n = kept.length;
  if (topP < 1) {
    let acc = 0;
    n = 0;
    while (n < kept.length && acc < topP) acc += p[n++];
    n = Math.max(1, n);
  }
  const final = kept.slice(0, n);
  const mass = p.slice(0, n).reduce((a, b) => a + b, 0);
  const out = final.map((c, j) => ({ i: c.i, p: p[j] / mass })).sort((a, b) => a.i - b.i);
  return { tokens: out.map((c) => c.i), probs: out.map((c) => c.p) };
}

/** Greedy argmax, or the first token in increasing order whose cumulative probability exceeds `rng()`. */
export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rng: () => number): number {
  const { tokens, probs } = samplingDistribution(logits, o);
  if (tokens.length === 1) return tokens[0];
  const u = rng();
  let acc = 0;
  for (let j = 0; j < tokens.length; j++) {
    acc += probs[j];
    if (u < acc) return tokens[j];
  }
  return tokens[tokens.length - 1];
}

/**
 * Next-token selection for generation: greedy, or sampling with temperature, top-k and top-p
 * (nucleus), applied in that order as Hugging Face's logits warpers do. Randomness comes only from
 * the seeded generator passed in.
 *
 * Works on the host copy of one row of logits (`V` floats, read once per step), with O(V) top-k
 * selection and a sort of only the kept candidates for top-p.
 *
 * @module
 */
import { ValueError } from '../../errors.js';
import type { Rng } from '../../util/random.js';
import type { SamplingOptions } from './options.js';

export type { SamplingOptions } from './options.js';

/** Validate sampling options; throws ValueError naming the bad field. */
export function checkSampling(o: SamplingOptions, vocab: number): void {
  const t = o.temperature ?? 0;
  if (!Number.isFinite(t) || t < 0) throw new ValueError(`sampling: 'temperature' must be a finite number >= 0, got ${t}`);
  const k = o.topK ?? 0;
  if (!Number.isInteger(k) || k < 0 || k > vocab) throw new ValueError(`sampling: 'topK' must be an integer in [0, ${vocab}], got ${k}`);
  const p = o.topP ?? 1;
  if (!(p > 0 && p <= 1)) throw new ValueError(`sampling: 'topP' must be in (0, 1], got ${p}`);
}

/** Index of the largest value (ties to the lower index); NaN logits are an error. */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 0; i < logits.length; i++) {
    if (Number.isNaN(logits[i])) throw new ValueError(`sampling: logit ${i} is NaN`);
    if (logits[i] > logits[best]) best = i;
  }
  return best;
}

/**
 * The candidate tokens and their probabilities after temperature, top-k and top-p, in increasing
 * token order (probabilities renormalised to sum to 1).
 *
 * `p_i ∝ exp(z_i / τ)` over the kept set: top-k keeps the k largest logits (ties to the lower
 * index); top-p then keeps the most likely tokens in decreasing probability until their sum
 * reaches `topP` (always at least one).
 *
 * @example
 * ```ts
 * import { samplingDistribution } from 'intern-s1-ts';
 * const d = samplingDistribution(Float32Array.from([2, 1, 0]), { temperature: 1, topK: 2 });
 * console.log(d.tokens, d.probs); // ~> [0, 1], [0.731, 0.269]
 * ```
 */
export function samplingDistribution(logits: ArrayLike<number>, o: SamplingOptions): {
  /** Candidate token ids, increasing (one, the argmax, when `temperature` is 0). */
  tokens: number[];
  /** Their probabilities, summing to 1. */
  probs: number[];
} {
  const V = logits.length;
  checkSampling(o, V);
  const tau = o.temperature ?? 0;
  if (tau === 0) return { tokens: [argmax(logits)], probs: [1] };
  for (let i = 0; i < V; i++) if (Number.isNaN(logits[i])) throw new ValueError(`sampling: logit ${i} is NaN`);
  // Candidates sorted by decreasing logit, ties to the lower index.
  let order = Array.from({ length: V }, (_, i) => i);
  const k = o.topK ?? 0;
  if (k > 0 && k < V) order = selectTopK(logits, k);
  order.sort((a, b) => logits[b] - logits[a] || a - b);
  const m = logits[order[0]];
  let w = order.map((i) => Math.exp((logits[i] - m) / tau));
  let sum = w.reduce((a, b) => a + b, 0);
  const p = o.topP ?? 1;
  if (p < 1) {
    let acc = 0;
    let keep = 0;
    while (keep < order.length && acc < p * sum) acc += w[keep++];
    order = order.slice(0, Math.max(1, keep));
    w = w.slice(0, order.length);
    sum = w.reduce((a, b) => a + b, 0);
  }
  const pairs = order.map((tok, j) => [tok, w[j] / sum] as const).sort((a, b) => a[0] - b[0]);
  return { tokens: pairs.map((q) => q[0]), probs: pairs.map((q) => q[1]) };
}

/** The k largest logits' indices (ties to the lower index), in O(V log k). */
function selectTopK(logits: ArrayLike<number>, k: number): number[] {
  const better = (a: number, b: number) => logits[a] > logits[b] || (logits[a] === logits[b] && a < b);
  const heap: number[] = []; // min-heap by "better": heap[0] is the worst kept
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < heap.length && better(heap[w], heap[l])) w = l;
      if (r < heap.length && better(heap[w], heap[r])) w = r;
      if (w === i) return;
      [heap[i], heap[w]] = [heap[w], heap[i]];
      i = w;
    }
  };
  for (let i = 0; i < logits.length; i++) {
    if (heap.length < k) {
      heap.push(i);
      for (let c = heap.length - 1; c > 0;) {
        const parent = (c - 1) >> 1;
        if (!better(heap[parent], heap[c])) break;
        [heap[parent], heap[c]] = [heap[c], heap[parent]];
        c = parent;
      }
    } else if (better(i, heap[0])) {
      heap[0] = i;
      down(0);
    }
  }
  return heap;
}

/**
 * Pick the next token: argmax when greedy, else draw `u = rng()` and return the first candidate
 * (in increasing token order) whose cumulative probability exceeds `u`.
 *
 * @example
 * ```ts
 * import { mulberry32, sampleToken } from 'intern-s1-ts';
 * const rng = mulberry32(7);
 * console.log(sampleToken(Float32Array.from([0, 5, 0]), { temperature: 0.7, topP: 0.9 }, rng)); // => 1
 * ```
 */
export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rng: Rng): number {
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

/**
 * Reference logits processors: Hugging Face's pipeline written out one processor at a time over
 * the whole vocabulary, in float64, each warper masking removed tokens with `-Infinity` as
 * transformers' `*LogitsWarper` classes do:
 *
 *   repetition penalty → presence / frequency penalties → temperature → top-k → top-p → min-p
 *   → softmax → draw.
 *
 * @module
 */
import { ValueError } from '../../src/errors.js';

export type { LogitsProcessorOptions, TokenHistory } from '../../src/generation/processor-options.js';
import type { LogitsProcessorOptions, TokenHistory } from '../../src/generation/processor-options.js';

const EMPTY: TokenHistory = { prompt: [], generated: [] };

/** HF `RepetitionPenaltyLogitsProcessor`: every id seen in prompt or output, once. */
function repetitionPenalty(z: number[], theta: number, h: TokenHistory): number[] {
  return z.map((v, j) => (h.prompt.includes(j) || h.generated.includes(j) ? (v > 0 ? v / theta : v * theta) : v));
}

/** OpenAI: `z_j − c_j · α_f − [c_j > 0] · α_p`, counts over the generated ids. */
function presenceFrequencyPenalty(z: number[], presence: number, frequency: number, h: TokenHistory): number[] {
  return z.map((v, j) => {
    const c = h.generated.filter((id) => id === j).length;
    return v - c * frequency - (c > 0 ? presence : 0);
  });
}

/** The penalised logits (repetition, then presence / frequency). */
export function applyPenalties(logits: ArrayLike<number>, o: LogitsProcessorOptions, history: TokenHistory = EMPTY): Float64Array {
  let z = Array.from(logits);
  z = repetitionPenalty(z, o.repetitionPenalty ?? 1, history);
  z = presenceFrequencyPenalty(z, o.presencePenalty ?? 0, o.frequencyPenalty ?? 0, history);
  return Float64Array.from(z);
}

/** Index of the largest logit; ties to the lower index. */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/** Token ids sorted by decreasing score, ties to the lower id. */
function ranked(z: number[]): number[] {
  return z.map((_, i) => i).sort((a, b) => z[b] - z[a] || a - b);
}

function softmax(z: number[]): number[] {
  const m = z.reduce((a, b) => Math.max(a, b), -Infinity);
  const e = z.map((v) => (v === -Infinity ? 0 : Math.exp(v - m)));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** HF `TopKLogitsWarper` (ties at the k-th value go to the lower id, as the fast path does). */
function topK(z: number[], k: number): number[] {
  if (k <= 0) return z;
  const keep = new Set(ranked(z).slice(0, k));
  return z.map((v, j) => (keep.has(j) ? v : -Infinity));
}

/** HF `TopPLogitsWarper`: remove tokens whose ascending cumulative probability is ≤ 1 − p. */
function topP(z: number[], p: number): number[] {
  if (p >= 1) return z;
  const probs = softmax(z);
  const order = ranked(z);
  const keep = new Set<number>();
  let before = 0; // mass of the more likely tokens
  for (const j of order) {
    if (keep.size > 0 && !(before < p)) break;
    keep.add(j);
    before += probs[j];
  }
  return z.map((v, j) => (keep.has(j) ? v : -Infinity));
}

/** HF `MinPLogitsWarper`: remove tokens with probability below `minP · max p` (the top one stays). */
function minP(z: number[], m: number): number[] {
  if (m <= 0) return z;
  const probs = softmax(z);
  const top = probs.reduce((a, b) => Math.max(a, b), 0);
  return z.map((v, j) => (probs[j] >= m * top ? v : -Infinity));
}

/** Kept tokens (increasing order) and their renormalised probabilities. */
export function nextTokenDistribution(logits: ArrayLike<number>, o: LogitsProcessorOptions, history: TokenHistory = EMPTY): {
  /** Kept ids, increasing. */
  tokens: number[];
  /** Their probabilities. */
  probs: number[];
} {
  if (logits.length === 0) throw new ValueError('sampling: the logits are empty (a vocabulary of 0 tokens has nothing to sample)');
  let z = Array.from(applyPenalties(logits, o, history));
  const tau = o.temperature ?? 0;
  if (tau === 0) return { tokens: [argmax(z)], probs: [1] };
  z = z.map((v) => v / tau);
  z = topK(z, o.topK ?? 0);
  z = topP(z, o.topP ?? 1);
  z = minP(z, o.minP ?? 0);
  const probs = softmax(z);
  const tokens = z.map((_, j) => j).filter((j) => z[j] !== -Infinity);
  return { tokens, probs: tokens.map((j) => probs[j]) };
}

/** Greedy argmax, or the first token in increasing order whose cumulative probability exceeds `rng()`. */
export function sampleNext(logits: ArrayLike<number>, o: LogitsProcessorOptions, rng: () => number, history: TokenHistory = EMPTY): number {
  const { tokens, probs } = nextTokenDistribution(logits, o, history);
  if (tokens.length === 1) return tokens[0];
  const u = rng();
  let acc = 0;
  for (let j = 0; j < tokens.length; j++) {
    acc += probs[j];
    if (u < acc) return tokens[j];
  }
  return tokens[tokens.length - 1];
}

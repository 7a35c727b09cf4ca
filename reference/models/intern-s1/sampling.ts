/**
 * Reference next-token selection without history: the reference logits processors
 * (`generation/processors.ts`) with an empty history.
 *
 * @module
 */
import { type LogitsProcessorOptions, nextTokenDistribution, sampleNext } from '../../generation/processors.js';

export { argmax } from '../../generation/processors.js';

/** How to pick the next token (see the fast path for the field meanings). */
export type SamplingOptions = LogitsProcessorOptions;

/** The candidates of {@link samplingDistribution}. */
export interface SamplingCandidates {
  /** Kept token ids, increasing. */
  tokens: number[];
  /** Their probabilities, renormalised to sum to 1. */
  probs: number[];
}

/** Kept tokens (increasing order) and their renormalised probabilities. */
export function samplingDistribution(logits: ArrayLike<number>, o: SamplingOptions): SamplingCandidates {
  return nextTokenDistribution(logits, o);
}

/** Greedy argmax, or the first token in increasing order whose cumulative probability exceeds `rng()`. */
export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rng: () => number): number {
  return sampleNext(logits, o, rng);
}

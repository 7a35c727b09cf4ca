/**
 * Next-token selection without history: greedy, or sampling with temperature, top-k, top-p and
 * min-p, in Hugging Face's order. These are the history-free forms of the logits processors in
 * `generation/processors.ts` (which add the repetition, presence and frequency penalties); they
 * are kept under their first names for existing callers.
 *
 * @module
 */
import { checkProcessorOptions, type LogitsProcessorOptions, nextTokenDistribution, sampleNext } from '../../generation/processors.js';
import type { Rng } from '../../util/random.js';

export { argmax } from '../../generation/processors.js';

/** How to pick the next token (the processor options; penalties need a history, see {@link sampleNext}). */
export type SamplingOptions = LogitsProcessorOptions;

/** Validate sampling options; throws ValueError naming the bad field. */
export function checkSampling(o: SamplingOptions, vocab: number): void {
  checkProcessorOptions(o, vocab);
}

/**
 * The candidate tokens and their probabilities after temperature, top-k, top-p and min-p, in
 * increasing token order (probabilities renormalised to sum to 1): {@link nextTokenDistribution}
 * with an empty history.
 *
 * @example
 * ```ts
 * import { samplingDistribution } from 'intern-s1-ts';
 * const d = samplingDistribution(Float32Array.from([2, 1, 0]), { temperature: 1, topK: 2 });
 * console.log(d.tokens, d.probs); // ~> [0, 1], [0.731, 0.269]
 * ```
 */
export function samplingDistribution(logits: ArrayLike<number>, o: SamplingOptions): {
  /** Candidate token ids, increasing. */
  tokens: number[];
  /** Their probabilities, summing to 1. */
  probs: number[];
} {
  return nextTokenDistribution(logits, o);
}

/**
 * Pick the next token: {@link sampleNext} with an empty history.
 *
 * @example
 * ```ts
 * import { mulberry32, sampleToken } from 'intern-s1-ts';
 * const rng = mulberry32(7);
 * console.log(sampleToken(Float32Array.from([0, 5, 0]), { temperature: 0.7, topP: 0.9 }, rng)); // => 1
 * ```
 */
export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rng: Rng): number {
  return sampleNext(logits, o, rng);
}

/**
 * Reference batched generation: the definition the fast path's left-padded batch must meet, each
 * prompt generated alone with the reference {@link generate}, one after the other.
 *
 * @module
 */
import { generate, type GenerateOptions } from './generate.js';
import type { InternS1ForConditionalGeneration } from './model.js';

/** Options (the fast path's, less what the reference has no use for). */
export interface BatchGenerateOptions extends Omit<GenerateOptions, 'onToken'> {
  /** One seed per prompt (default `seed`). */
  readonly seeds?: readonly number[];
}

/** Each prompt alone; `seeds[b]` (default `seed`) seeds row b. */
export function generateBatch(model: InternS1ForConditionalGeneration, prompts: readonly (readonly number[])[], opts: BatchGenerateOptions): {
  /** One result per prompt. */
  rows: {
    /** The new tokens. */
    tokens: number[];
    /** Why the row stopped. */
    finishReason: string;
  }[];
} {
  return {
    rows: prompts.map((p, b) => {
      const r = generate(model, { inputIds: [[...p]] }, { ...opts, seed: opts.seeds?.[b] ?? opts.seed });
      return { tokens: r.tokens, finishReason: r.finishReason };
    }),
  };
}

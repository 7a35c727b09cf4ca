/**
 * Reference generation: recompute the whole sequence at every step (no cache) with the float64
 * model, and pick tokens with the reference logits processors (penalties over the history, then
 * the warpers), stopping at a stop id, maxNewTokens or the callback.
 *
 * @module
 */
import { toFlat } from '../../ndarray.js';
import type { InternS1ForConditionalGeneration, ModelInputs } from './model.js';
import { type LogitsProcessorOptions, sampleNext } from '../../generation/processors.js';
import { mulberry32 } from '../../random.js';

/** Options of {@link generate}: the processor options plus when to stop. */
export interface GenerateOptions extends LogitsProcessorOptions {
  /** Stop after this many new tokens. */
  readonly maxNewTokens: number;
  /** Stop after emitting one of these ids (it is included in the result). */
  readonly stopTokens?: readonly number[];
  /** Seed of the mulberry32 stream the sampler draws from (default 0). */
  readonly seed?: number;
  /** Called with each new token and its step; returning `false` stops. */
  readonly onToken?: (token: number, step: number) => void | boolean;
}

/** What {@link generate} produced: the new tokens, why it stopped and the prompt length. */
export interface GenerateResult {
  /** The new tokens (not the prompt). */
  readonly tokens: number[];
  /** Why it stopped: a stop token, `maxNewTokens`, or `onToken` returning false. */
  readonly finishReason: 'stop' | 'length' | 'callback';
  /** Length of the prompt (row 0 of `inputIds`). */
  readonly promptTokens: number;
}


/** Greedy or sampled generation, recomputing everything each step. */
export function generate(model: InternS1ForConditionalGeneration, inputs: ModelInputs, opts: GenerateOptions): GenerateResult {
  const rng = mulberry32(opts.seed ?? 0);
  const stops = new Set(opts.stopTokens ?? []);
  const tokens: number[] = [];
  for (;;) {
    const ids = [[...inputs.inputIds[0], ...tokens]];
    const out = model.forward({ ...inputs, inputIds: ids }, { logits: 'last' });
    const tok = sampleNext(toFlat(out.logits!), opts, rng, { prompt: inputs.inputIds[0], generated: tokens });
    tokens.push(tok);
    const more = opts.onToken?.(tok, tokens.length - 1);
    if (stops.has(tok)) return { tokens, finishReason: 'stop', promptTokens: inputs.inputIds[0].length };
    if (more === false) return { tokens, finishReason: 'callback', promptTokens: inputs.inputIds[0].length };
    if (tokens.length >= opts.maxNewTokens) return { tokens, finishReason: 'length', promptTokens: inputs.inputIds[0].length };
  }
}

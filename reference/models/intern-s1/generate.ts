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

export interface GenerateOptions extends LogitsProcessorOptions {
  readonly maxNewTokens: number;
  readonly stopTokens?: readonly number[];
  readonly seed?: number;
  readonly onToken?: (token: number, step: number) => void | boolean;
}

export interface GenerateResult {
  readonly tokens: number[];
  readonly finishReason: 'stop' | 'length' | 'callback';
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

/**
 * Autoregressive generation (spec section 8): prefill the prompt (with its media), then one token
 * at a time, chosen by the logits processors in Hugging Face's order (repetition, presence and
 * frequency penalties; temperature, top-k, top-p, min-p; greedy when `temperature` is 0) from a
 * seeded generator, until a stop rule fires: a stop id (several eos ids allowed), a stop string in
 * the decoded text, `maxNewTokens`, a time limit, or the streaming callback. The steps are those of
 * {@link GenerationSession}, run in a loop. With the KV cache (default) each step runs the decoder
 * on one token; without it every step recomputes the whole sequence, which gives the same tokens
 * (tested) and is the simple reference point.
 *
 * @module
 */
import { GenerationSession, type SessionOptions } from '../../generation/session.js';
import type { ExpertLoad } from '../qwen3/routing.js';
import type { InternS1ForConditionalGeneration, ModelInputs } from './model.js';

/**
 * The sampling, stopping and streaming options of {@link generate}: those of a
 * {@link GenerationSession} (processors, `maxNewTokens`, stop ids and strings, `decode`,
 * `maxTimeMs`, `seed`, `chunkSize`, `returnRouter`, `useCache`) plus the streaming callback.
 */
export interface GenerateOptions extends SessionOptions {
  /** Streaming: called with each new token and the text it settles (empty without `decode`); return `false` to stop after it. */
  readonly onToken?: (token: number, step: number, text: string) => void | boolean;
}

/** What {@link generate} returns: the new tokens, why generation stopped, timings and expert load. */
export interface GenerateResult {
  /** The new tokens, in order. */
  readonly tokens: number[];
  /**
   * `stop` (a stop id or a stop string), `length` (maxNewTokens), `time` (maxTimeMs) or `callback`
   * (onToken returned false).
   */
  readonly finishReason: 'stop' | 'length' | 'time' | 'callback';
  /** The decoded text without stop ids and stop strings (empty without `decode`). */
  readonly text: string;
  /** The stop string that ended generation, or null. */
  readonly stopString: string | null;
  /** Prompt tokens (after media expansion). */
  readonly promptTokens: number;
  /** Milliseconds spent on the prompt (media encoders + prefill, up to the first logits). */
  readonly prefillMs: number;
  /** Milliseconds spent after the prefill: sampling and the decode steps. */
  readonly decodeMs: number;
  /** Per-layer expert load over the prompt (null for dense layers), when `returnRouter`. */
  readonly expertLoad: (ExpertLoad | null)[] | null;
  /** Media feature rows scattered into the prompt, e.g. `{ image: 80, time_series: 21 }`. */
  readonly mediaTokens: Record<string, number>;
}

/**
 * Generate up to `maxNewTokens` tokens after a prompt of one sequence.
 *
 * Step n: `x_{T+n} = sampleNext(logits(x_1..x_{T+n-1}), opts, rng, history)` ({@link sampleNext}).
 *
 * @throws ValueError for a batch other than 1, bad options, or empty prompts; the model's errors
 *   for bad media.
 * @example
 * ```ts
 * import { InternS1ForConditionalGeneration, initTiny, generate } from 'intern-s1-ts';
 * initTiny('/tmp/tiny-gen-example', { variant: 'mini', vocabSize: 64, force: true });
 * const model = InternS1ForConditionalGeneration.fromCheckpoint('/tmp/tiny-gen-example');
 * const res = generate(model, { inputIds: [[1, 2, 3]] }, { maxNewTokens: 4, onToken: (t) => console.log(t) });
 * console.log(res.tokens.length, res.finishReason); // => 4, 'length'
 * model.dispose();
 * ```
 */
export function generate(model: InternS1ForConditionalGeneration, inputs: ModelInputs, opts: GenerateOptions): GenerateResult {
  const session = new GenerationSession(model, inputs, opts);
  const t0 = performance.now();
  let callback = false;
  try {
    for (let r = session.step(); r; r = session.step()) {
      const more = opts.onToken?.(r.token, session.tokens.length - 1, r.text);
      if (session.finishReason) break;
      if (more === false) { callback = true; break; }
    }
  } finally {
    session.dispose();
  }
  return {
    tokens: session.tokens, finishReason: callback || !session.finishReason || session.finishReason === 'abort' ? 'callback' : session.finishReason,
    text: session.text, stopString: session.stopString, promptTokens: session.promptTokens,
    prefillMs: session.prefillMs, decodeMs: performance.now() - t0 - session.prefillMs,
    expertLoad: session.prefill?.expertLoad ?? null, mediaTokens: session.prefill?.mediaTokens ?? {},
  };
}

/**
 * Autoregressive generation (spec section 8): prefill the prompt (with its media), then one token
 * at a time, greedy or sampled (seeded), until a stop token, `maxNewTokens`, or the streaming
 * callback says stop. With the KV cache (default) each step runs the decoder on one token; without
 * it every step recomputes the whole sequence, which gives the same tokens (tested) and is the
 * simple reference point.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../../errors.js';
import { mulberry32 } from '../../util/random.js';
import type { ExpertLoad } from '../qwen3/routing.js';
import type { InternS1ForConditionalGeneration, ModelInputs, ModelOutput } from './model.js';
import { checkSampling, sampleToken, type SamplingOptions } from './sampling.js';

/** Options of {@link generate}. */
export interface GenerateOptions extends SamplingOptions {
  /** At most this many new tokens (≥ 1). */
  readonly maxNewTokens: number;
  /** Stop after emitting any of these ids (the stop token is included in the result). */
  readonly stopTokens?: readonly number[];
  /** Seed of the sampling generator (default 0); irrelevant when greedy. */
  readonly seed?: number;
  /** Use the KV cache (default true). */
  readonly useCache?: boolean;
  /** Streaming: called with each new token; return `false` to stop after it. */
  readonly onToken?: (token: number, step: number) => void | boolean;
  /** Query block size of the chunked prefill attention. */
  readonly chunkSize?: number;
  /** Report the prompt's per-layer expert load (from the prefill; no extra forward pass). */
  readonly returnRouter?: boolean;
}

/** What {@link generate} returns. */
export interface GenerateResult {
  /** The new tokens, in order. */
  readonly tokens: number[];
  /** `stop` (a stop token), `length` (maxNewTokens) or `callback` (onToken returned false). */
  readonly finishReason: 'stop' | 'length' | 'callback';
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

/** Read one `[1, 1, V]` logits tensor to the host and dispose it. */
function lastLogits(logits: tf.Tensor | null): Float32Array {
  if (!logits) throw new ValueError('generate: the model returned no logits');
  const v = logits.dataSync() as Float32Array;
  logits.dispose();
  return v;
}

/**
 * Generate up to `maxNewTokens` tokens after a prompt of one sequence.
 *
 * Step n: `p_n = sample(logits(x_1..x_{T+n-1}))` with temperature / top-k / top-p
 * ({@link samplingDistribution}); greedy when `temperature` is 0 (default).
 *
 * @throws ValueError for a batch other than 1, bad options, or empty prompts; the model's errors
 *   for bad media.
 * @example
 * ```ts
 * import { InternS1ForConditionalGeneration, initTiny, generate } from 'intern-s1-ts';
 * initTiny('/tmp/tiny-gen-example', { variant: 'mini', vocabSize: 64 });
 * const model = InternS1ForConditionalGeneration.fromCheckpoint('/tmp/tiny-gen-example');
 * const res = generate(model, { inputIds: [[1, 2, 3]] }, { maxNewTokens: 4, onToken: (t) => console.log(t) });
 * console.log(res.tokens.length, res.finishReason); // => 4, 'length'
 * model.dispose();
 * ```
 */
export function generate(model: InternS1ForConditionalGeneration, inputs: ModelInputs, opts: GenerateOptions): GenerateResult {
  if (inputs.inputIds.length !== 1) throw new ValueError(`generate: one sequence at a time, got a batch of ${inputs.inputIds.length}`);
  const T = inputs.inputIds[0].length;
  if (T === 0) throw new ValueError('generate: the prompt is empty');
  if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 1) throw new ValueError(`generate: 'maxNewTokens' must be a positive integer, got ${opts.maxNewTokens}`);
  checkSampling(opts, model.text.cfg.vocab_size);
  const rng = mulberry32(opts.seed ?? 0);
  const stops = new Set(opts.stopTokens ?? []);
  const tokens: number[] = [];
  const t0 = performance.now();
  const step = opts.useCache === false ? uncachedStepper(model, inputs, opts) : cachedStepper(model, inputs, opts);
  let prefillMs = 0;
  let finishReason: GenerateResult['finishReason'] = 'length';
  try {
    let logits = step.first();
    prefillMs = performance.now() - t0;
    for (;;) {
      const tok = sampleToken(logits, opts, rng);
      tokens.push(tok);
      const more = opts.onToken?.(tok, tokens.length - 1);
      if (stops.has(tok)) { finishReason = 'stop'; break; }
      if (more === false) { finishReason = 'callback'; break; }
      if (tokens.length >= opts.maxNewTokens) break;
      logits = step.next(tok);
    }
  } finally {
    step.dispose();
  }
  return {
    tokens, finishReason, promptTokens: T, prefillMs, decodeMs: performance.now() - t0 - prefillMs,
    expertLoad: step.prefill?.expertLoad ?? null, mediaTokens: step.prefill?.mediaTokens ?? {},
  };
}

interface Stepper {
  /** What the prefill reported (set by `first`). */
  prefill?: Pick<ModelOutput, 'expertLoad' | 'mediaTokens'>;
  /** Logits after the prompt. */
  first(): Float32Array;
  /** Logits after appending `token`. */
  next(token: number): Float32Array;
  dispose(): void;
}

function cachedStepper(model: InternS1ForConditionalGeneration, inputs: ModelInputs, opts: GenerateOptions): Stepper {
  const cache = model.newCache();
  const stepper: Stepper = {
    first: () => {
      const out = model.forward(inputs, { cache, logits: 'last', chunkSize: opts.chunkSize, returnRouter: opts.returnRouter });
      stepper.prefill = { expertLoad: out.expertLoad, mediaTokens: out.mediaTokens };
      const logits = out.logits;
      model.disposeOutput({ ...out, logits: null });
      return lastLogits(logits);
    },
    next: (token) => {
      const out = model.forward({ inputIds: [[token]] }, { cache, logits: 'last' });
      out.hidden.dispose();
      return lastLogits(out.logits);
    },
    dispose: () => cache.dispose(),
  };
  return stepper;
}

function uncachedStepper(model: InternS1ForConditionalGeneration, inputs: ModelInputs, opts: GenerateOptions): Stepper {
  const { embeds, mediaTokens } = model.embed(inputs); // the prompt with its media, [1, T, D]
  const generated: number[] = [];
  const run = () => {
    const all = generated.length ? tf.tidy(() => tf.concat([embeds, model.text.embed([generated])], 1)) : embeds; // [1, T + n, D]
    try {
      const out = model.text.forwardEmbeds(all, undefined, undefined, { logits: 'last', chunkSize: opts.chunkSize });
      out.hidden.dispose();
      return lastLogits(out.logits);
    } finally {
      if (all !== embeds) all.dispose();
    }
  };
  return {
    prefill: { expertLoad: null, mediaTokens },
    first: run,
    next: (token) => {
      generated.push(token);
      return run();
    },
    dispose: () => embeds.dispose(),
  };
}

/**
 * One generation, one token at a time: the prompt's prefill on the first {@link
 * GenerationSession.step}, then one cached decoder step per token, each token chosen by the logits
 * processors ({@link sampleNext}) from a seeded generator, until a stop rule fires. Stepwise so that
 * a caller can interleave other work (the HTTP server yields to the event loop between tokens, so
 * streams flush and a disconnect is noticed); {@link generate} runs the same steps in a loop.
 *
 * Stop rules, first that fires wins (its name is the finish reason):
 * - `stop`: a stop id was emitted (any of several eos ids), or a stop string appeared in the decoded
 *   text (matched across token boundaries, see {@link StopStringMatcher});
 * - `length`: `maxNewTokens` tokens were generated;
 * - `time`: `maxTimeMs` passed since the session started (checked after each token, as
 *   transformers' `MaxTimeCriteria`; so at least one token is produced);
 * - `abort`: the caller called {@link GenerationSession.abort} (a client went away).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../errors.js';
import type { InternS1ForConditionalGeneration, ModelInputs, ModelOutput } from '../models/intern-s1/model.js';
import { mulberry32 } from '../util/random.js';
import { checkProcessorOptions, type LogitsProcessorOptions, sampleNext } from './processors.js';
import { IncrementalDetokenizer, StopStringMatcher } from './stop.js';

/** Why a generation ended. */
export type FinishReason = 'stop' | 'length' | 'time' | 'abort';

/** Options of a {@link GenerationSession}. */
export interface SessionOptions extends LogitsProcessorOptions {
  /** At most this many new tokens (≥ 1). */
  readonly maxNewTokens: number;
  /** Ids that end generation (kept in `tokens`, left out of `text`). */
  readonly stopTokens?: readonly number[];
  /** Strings that end generation when they appear in the decoded text (left out of `text`). Needs `decode`. */
  readonly stopStrings?: readonly string[];
  /** Ids → text, for `text`, streaming deltas and stop strings. */
  readonly decode?: (ids: readonly number[]) => string;
  /** Wall-clock limit in milliseconds. */
  readonly maxTimeMs?: number;
  /** Seed of the sampling generator (default 0). */
  readonly seed?: number;
  /** Query block size of the chunked prefill attention. */
  readonly chunkSize?: number;
  /** Report the prompt's per-layer expert load (from the prefill). */
  readonly returnRouter?: boolean;
  /** Use the KV cache (default true); without it each step recomputes the whole sequence (same tokens, the slow reference point). */
  readonly useCache?: boolean;
}

/** What one step produced. */
export interface StepResult {
  /** The new token. */
  readonly token: number;
  /** Text now safe to show (empty without `decode`, or while a stop string might be forming). */
  readonly text: string;
}

/** The stop rules of {@link SessionOptions}, without the model. */
export type StopRules = Pick<SessionOptions, 'maxNewTokens' | 'stopTokens' | 'stopStrings' | 'decode' | 'maxTimeMs'>;

/** Validate the stop rules; throws ValueError naming the option. */
export function checkStopRules(o: StopRules): void {
  if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 1) throw new ValueError(`generate: 'maxNewTokens' must be a positive integer, got ${o.maxNewTokens}`);
  if (o.maxTimeMs !== undefined && !(o.maxTimeMs > 0)) throw new ValueError(`generate: 'maxTimeMs' must be > 0, got ${o.maxTimeMs}`);
  if (o.stopStrings?.length && !o.decode) throw new ValueError("generate: 'stopStrings' needs 'decode' (stop strings are matched on text)");
}

/**
 * One sequence's output: the generated ids, the text shown so far, and the stop rules applied after
 * each token (a stop id, a stop string on the decoded text, the length, the time limit). Shared by
 * {@link GenerationSession} and batched generation, so every row of a batch stops exactly as it
 * would alone.
 */
export class OutputTracker {
  /** The generated ids, stop id included. */
  readonly tokens: number[] = [];
  /** Set once a rule fired. */
  finishReason: Exclude<FinishReason, 'abort'> | null = null;
  /** The stop string that ended it, if one did. */
  stopString: string | null = null;
  /** The text shown so far (stop ids and stop strings left out). */
  text = '';
  private readonly stops: Set<number>;
  private readonly detok: IncrementalDetokenizer | null;
  private readonly matcher: StopStringMatcher | null;

  constructor(private readonly rules: StopRules, private readonly t0 = performance.now()) {
    checkStopRules(rules);
    this.stops = new Set(rules.stopTokens ?? []);
    this.detok = rules.decode ? new IncrementalDetokenizer(rules.decode) : null;
    this.matcher = rules.stopStrings?.length ? new StopStringMatcher(rules.stopStrings) : null;
  }

  /** Take the next token; returns the text it settles. Check {@link finishReason} afterwards. */
  accept(token: number): string {
    this.tokens.push(token);
    if (this.stops.has(token)) return this.finish('stop', '');
    let text = '';
    if (this.detok) {
      const delta = this.detok.push(token);
      if (this.matcher) {
        const m = this.matcher.push(delta);
        if (m.stop !== null) {
          this.stopString = m.stop;
          this.text += m.text;
          this.finishReason = 'stop';
          return m.text;
        }
        text = m.text;
      } else text = delta;
    }
    if (this.tokens.length >= this.rules.maxNewTokens) return this.finish('length', text);
    if (this.rules.maxTimeMs !== undefined && performance.now() - this.t0 >= this.rules.maxTimeMs) return this.finish('time', text);
    this.text += text;
    return text;
  }

  /** End with `reason`, releasing held text (a partial stop string never completed, a split character). */
  private finish(reason: Exclude<FinishReason, 'abort'>, text: string): string {
    if (this.detok) {
      const rest = this.detok.finish();
      text += this.matcher ? this.matcher.push(rest).text + this.matcher.flush() : rest;
      if (this.matcher?.stopped) this.stopString = this.matcher.stopped;
    }
    this.text += text;
    this.finishReason = reason;
    return text;
  }
}

/** Read one `[1, 1, V]` logits tensor to the host and dispose it. */
function hostLogits(logits: tf.Tensor | null): Float32Array {
  if (!logits) throw new ValueError('generate: the model returned no logits');
  const v = logits.dataSync() as Float32Array;
  logits.dispose();
  return v;
}

/**
 * A stepwise generation over a prompt of one sequence. Dispose it (or let it finish) to free its
 * KV cache.
 *
 * @example
 * ```ts
 * import { GenerationSession, InternS1ForConditionalGeneration, initTiny } from 'intern-s1-ts';
 * initTiny('/tmp/tiny-session-example', { variant: 'mini', vocabSize: 64, force: true });
 * const model = InternS1ForConditionalGeneration.fromCheckpoint('/tmp/tiny-session-example');
 * const s = new GenerationSession(model, { inputIds: [[1, 2, 3]] }, { maxNewTokens: 3, temperature: 0.7, seed: 1 });
 * while (s.step()) {}
 * console.log(s.tokens.length, s.finishReason); // 3 'length'
 * model.dispose();
 * ```
 */
export class GenerationSession {
  /** Set once the session has ended. */
  finishReason: FinishReason | null = null;
  /** Milliseconds of the prefill (media encoders + prompt, up to the first logits). */
  prefillMs = 0;
  /** What the prefill reported. */
  prefill: Pick<ModelOutput, 'expertLoad' | 'mediaTokens'> | null = null;
  /** Prompt length (after media expansion). */
  readonly promptTokens: number;
  private readonly rng: () => number;
  private readonly out: OutputTracker;
  private readonly t0 = performance.now();
  private cache: ReturnType<InternS1ForConditionalGeneration['newCache']> | null = null;
  /** Without the cache: the prompt's embeddings (media included) `[1, T, D]`, kept for every step. */
  private embeds: tf.Tensor | null = null;

  constructor(private readonly model: InternS1ForConditionalGeneration, private readonly inputs: ModelInputs, private readonly opts: SessionOptions) {
    if (inputs.inputIds.length !== 1) throw new ValueError(`generate: one sequence at a time, got a batch of ${inputs.inputIds.length}`);
    this.promptTokens = inputs.inputIds[0].length;
    if (this.promptTokens === 0) throw new ValueError('generate: the prompt is empty');
    this.out = new OutputTracker(opts, this.t0);
    checkProcessorOptions(opts, model.text.cfg.vocab_size);
    this.rng = mulberry32(opts.seed ?? 0);
  }

  /** The generated ids, stop id included. */
  get tokens(): number[] {
    return this.out.tokens;
  }

  /** The text shown so far (stop ids and stop strings left out). */
  get text(): string {
    return this.out.text;
  }

  /** The stop string that ended it, if one did. */
  get stopString(): string | null {
    return this.out.stopString;
  }

  /** Produce the next token, or null when the session has ended (then it holds no tensors). */
  step(): StepResult | null {
    if (this.finishReason) return null;
    let logits: Float32Array;
    try {
      logits = this.tokens.length === 0 ? this.first() : this.next(this.tokens[this.tokens.length - 1]);
    } catch (e) {
      this.dispose();
      throw e;
    }
    const token = sampleNext(logits, this.opts, this.rng, { prompt: this.inputs.inputIds[0], generated: this.tokens });
    const text = this.out.accept(token);
    if (this.out.finishReason) this.end(this.out.finishReason);
    return { token, text };
  }

  /** Stop now (the caller's reason, e.g. a client that went away); frees the cache. */
  abort(): void {
    if (!this.finishReason) this.end('abort');
  }

  /** Free the KV cache (idempotent). */
  dispose(): void {
    this.cache?.dispose();
    this.cache = null;
    this.embeds?.dispose();
    this.embeds = null;
  }

  private end(reason: FinishReason): null {
    this.finishReason = reason;
    this.dispose();
    return null;
  }

  private first(): Float32Array {
    if (this.opts.useCache === false) {
      const { embeds, mediaTokens } = this.model.embed(this.inputs); // [1, T, D]
      this.embeds = embeds;
      this.prefill = { expertLoad: null, mediaTokens };
      const v = this.uncached();
      this.prefillMs = performance.now() - this.t0;
      return v;
    }
    this.cache = this.model.newCache();
    const out = this.model.forward(this.inputs, { cache: this.cache, logits: 'last', chunkSize: this.opts.chunkSize, returnRouter: this.opts.returnRouter });
    this.prefill = { expertLoad: out.expertLoad, mediaTokens: out.mediaTokens };
    const logits = out.logits;
    this.model.disposeOutput({ ...out, logits: null });
    const v = hostLogits(logits);
    this.prefillMs = performance.now() - this.t0;
    return v;
  }

  /** Logits after the prompt and the tokens so far, recomputing everything. */
  private uncached(): Float32Array {
    const model = this.model;
    const all = this.tokens.length ? tf.tidy(() => tf.concat([this.embeds!, model.text.embed([this.tokens])], 1)) : this.embeds!; // [1, T + n, D]
    try {
      const out = model.text.forwardEmbeds(all, undefined, undefined, { logits: 'last', chunkSize: this.opts.chunkSize });
      out.hidden.dispose();
      return hostLogits(out.logits);
    } finally {
      if (all !== this.embeds) all.dispose();
    }
  }

  private next(token: number): Float32Array {
    if (this.opts.useCache === false) return this.uncached();
    const out = this.model.forward({ inputIds: [[token]] }, { cache: this.cache!, logits: 'last' });
    out.hidden.dispose();
    return hostLogits(out.logits);
  }
}

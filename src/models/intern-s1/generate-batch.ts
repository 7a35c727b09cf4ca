/**
 * Batched generation: several text prompts of different lengths in one call, each row's tokens
 * equal to running that prompt alone with {@link generate} (tested, greedy and seeded sampling).
 *
 * ```
 * prompts p_b of length L_b, T = max L_b, pad_b = T − L_b
 * ids      [B, T]   row b = pad_b × padId ++ p_b                         (left padding)
 * mask              row b's first pad_b cache slots hidden from every query (leftPadding)
 * positions         row b: 0 for the padding, then 0 .. L_b − 1; step n: L_b + n
 * cache    [B', S, Hkv, d] per layer, row b's KV length S − pad_b
 * finish            per row (its own stop ids / strings / length / time); finished rows leave
 *                   the batch (their cache rows are dropped), the others go on
 * ```
 *
 * Every row samples from its own generator (`mulberry32(seeds[b])`, default `seed` for all) with
 * its own history, so a row does not depend on its neighbours. Text-only: prompts with media are
 * generated one at a time (decision: placeholder scattering over padded rows is not supported).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ValueError } from '../../errors.js';
import { checkProcessorOptions, sampleNext } from '../../generation/processors.js';
import { OutputTracker } from '../../generation/session.js';
import { mulberry32 } from '../../util/random.js';
import type { GenerateOptions } from './generate.js';
import type { InternS1ForConditionalGeneration } from './model.js';

/** The sampling, stopping and padding options of {@link generateBatch}. */
export interface BatchGenerateOptions extends Omit<GenerateOptions, 'onToken' | 'useCache' | 'returnRouter'> {
  /** The id written into the padding (default 0; padded slots are masked, so any id gives the same tokens). */
  readonly padTokenId?: number;
  /** One seed per row (default: `seed`, or 0, for every row). */
  readonly seeds?: readonly number[];
  /** Streaming: called with each row's new token and settled text. */
  readonly onToken?: (row: number, token: number, text: string) => void;
}

/** The result of one prompt of the batch: its tokens, text, finish reason and prompt length. */
export interface BatchRowResult {
  /** The row's new tokens (stop id included). */
  readonly tokens: number[];
  /** Its text without stop ids and stop strings (empty without `decode`). */
  readonly text: string;
  /** Which stop rule ended the row. */
  readonly finishReason: 'stop' | 'length' | 'time';
  /** The stop string that ended it, or null. */
  readonly stopString: string | null;
  /** Its prompt length (without padding). */
  readonly promptTokens: number;
}

/** What {@link generateBatch} returns: one result per prompt, the prefill and decode times and the step count. */
export interface BatchGenerateResult {
  /** One result per prompt, in order. */
  readonly rows: BatchRowResult[];
  /** Milliseconds of the batched prefill. */
  readonly prefillMs: number;
  /** Milliseconds of the decode steps. */
  readonly decodeMs: number;
  /** Decoder steps run after the prefill (each on the rows still running). */
  readonly steps: number;
}

/** Keep the cache rows `keep` (indices into the current batch) in every layer. */
function selectCacheRows(cache: ReturnType<InternS1ForConditionalGeneration['newCache']>, keep: number[]): void {
  for (const layer of cache.layers) {
    if (!layer.k || !layer.v) continue;
    const idx = tf.tensor1d(keep, 'int32');
    const [k, v] = [tf.keep(tf.gather(layer.k, idx, 0)), tf.keep(tf.gather(layer.v, idx, 0))]; // [B', S, Hkv, d]
    idx.dispose();
    tf.dispose([layer.k, layer.v]);
    layer.k = k;
    layer.v = v;
  }
}

/** Host copy of logits `[B, 1, V]` as one row per batch item; disposes the tensor. */
function rowsOf(logits: tf.Tensor | null): Float32Array[] {
  if (!logits) throw new ValueError('generateBatch: the model returned no logits');
  const [B, , V] = logits.shape;
  const all = logits.dataSync() as Float32Array;
  logits.dispose();
  return Array.from({ length: B }, (_, b) => all.subarray(b * V, (b + 1) * V));
}

/**
 * Generate after each of several text prompts at once (left padding, one cache).
 *
 * @throws ValueError for no prompts, an empty prompt, bad ids or options.
 * @example
 * ```ts
 * import { InternS1ForConditionalGeneration, initTiny, generateBatch } from 'intern-s1-ts';
 * initTiny('/tmp/tiny-batch-example', { variant: 'mini', vocabSize: 64, force: true });
 * const model = InternS1ForConditionalGeneration.fromCheckpoint('/tmp/tiny-batch-example');
 * const r = generateBatch(model, [[1, 2, 3], [4, 5]], { maxNewTokens: 3 });
 * console.log(r.rows.map((x) => x.tokens.length)); // [3, 3]
 * model.dispose();
 * ```
 */
export function generateBatch(model: InternS1ForConditionalGeneration, prompts: readonly (readonly number[])[], opts: BatchGenerateOptions): BatchGenerateResult {
  const B = prompts.length;
  if (B === 0) throw new ValueError('generateBatch: no prompts');
  prompts.forEach((p, b) => { if (p.length === 0) throw new ValueError(`generateBatch: prompt ${b} is empty`); });
  if (opts.seeds && opts.seeds.length !== B) throw new ValueError(`generateBatch: 'seeds' has ${opts.seeds.length} entries for ${B} prompts`);
  checkProcessorOptions(opts, model.text.cfg.vocab_size);
  const t0 = performance.now();
  const rows = prompts.map((p, b) => ({
    prompt: [...p], out: new OutputTracker(opts, t0), rng: mulberry32(opts.seeds?.[b] ?? opts.seed ?? 0),
  }));
  const T = Math.max(...prompts.map((p) => p.length));
  const padId = opts.padTokenId ?? 0;
  let active = rows.map((_, b) => b); // batch position → row
  let pads = prompts.map((p) => T - p.length);
  const cache = model.newCache();
  let prefillMs = 0;
  let steps = 0;
  try {
    const ids = prompts.map((p, b) => [...new Array<number>(pads[b]).fill(padId), ...p]); // [B, T]
    const positions = prompts.map((p, b) => [...new Array<number>(pads[b]).fill(0), ...p.map((_, i) => i)]);
    const out = model.forward({ inputIds: ids }, { cache, logits: 'last', positions, leftPadding: pads, chunkSize: opts.chunkSize });
    const logits = out.logits;
    model.disposeOutput({ ...out, logits: null });
    let z = rowsOf(logits);
    prefillMs = performance.now() - t0;
    for (;;) {
      const next: number[] = [];
      const still: number[] = [];
      active.forEach((r, j) => {
        const row = rows[r];
        const tok = sampleNext(z[j], opts, row.rng, { prompt: row.prompt, generated: row.out.tokens });
        const text = row.out.accept(tok);
        opts.onToken?.(r, tok, text);
        if (!row.out.finishReason) { still.push(j); next.push(tok); }
      });
      if (still.length === 0) break;
      if (still.length < active.length) {
        selectCacheRows(cache, still);
        active = still.map((j) => active[j]);
        pads = still.map((j) => pads[j]);
      }
      const S = cache.length; // keys so far, padding included
      const step = model.forward({ inputIds: next.map((t) => [t]) }, {
        cache, logits: 'last', leftPadding: pads, positions: active.map((r, j) => [S - pads[j]]),
      });
      step.hidden.dispose();
      z = rowsOf(step.logits);
      steps++;
    }
  } finally {
    cache.dispose();
  }
  return {
    rows: rows.map((r) => ({ tokens: r.out.tokens, text: r.out.text, finishReason: r.out.finishReason!, stopString: r.out.stopString, promptTokens: r.prompt.length })),
    prefillMs, decodeMs: performance.now() - t0 - prefillMs, steps,
  };
}

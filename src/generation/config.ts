/**
 * `generation_config.json`: the decoding defaults a Hugging Face checkpoint ships, parsed once
 * into a frozen typed object keyed by the file's own names, and turned into {@link
 * LogitsProcessorOptions} plus stop ids the way `transformers.GenerationConfig` applies them.
 *
 * Absent fields take transformers' `GenerationConfig` defaults (do_sample false, temperature 1.0,
 * top_k 50, top_p 1.0, min_p none, repetition_penalty 1.0), so a sampled request with no `top_k`
 * is cut to the 50 most likely tokens exactly as `model.generate(do_sample=True)` would.
 *
 * Pure data: no tfjs, no Node built-ins (the file is read by the caller).
 *
 * @module
 */
import { ConfigError } from '../errors.js';
import type { LogitsProcessorOptions } from './processors.js';

/** The fields of `generation_config.json` this library uses (HF names). */
export interface GenerationConfig {
  /** Sample (true) or take the argmax (false). HF default false. */
  readonly do_sample: boolean;
  /** Softmax temperature when sampling. HF default 1.0. */
  readonly temperature: number;
  /** Top-k when sampling; 0 disables. HF default 50. */
  readonly top_k: number;
  /** Top-p when sampling; 1.0 disables. HF default 1.0. */
  readonly top_p: number;
  /** Min-p when sampling; null disables. HF default null. */
  readonly min_p: number | null;
  /** HF repetition penalty (applied greedy or sampled); 1.0 disables. */
  readonly repetition_penalty: number;
  /** Ids that end generation (a single id in the file becomes a one-element list). */
  readonly eos_token_id: readonly number[];
  /** Beginning-of-sequence id, when the file sets one. */
  readonly bos_token_id: number | null;
  /** Padding id, when the file sets one. */
  readonly pad_token_id: number | null;
  /** Default cap on new tokens, when the file sets one. */
  readonly max_new_tokens: number | null;
}

/** The defaults of transformers' `GenerationConfig()`, applied to missing keys. */
export const HF_GENERATION_DEFAULTS: GenerationConfig = Object.freeze({
  do_sample: false, temperature: 1.0, top_k: 50, top_p: 1.0, min_p: null, repetition_penalty: 1.0,
  eos_token_id: [], bos_token_id: null, pad_token_id: null, max_new_tokens: null,
});

function num(json: Record<string, unknown>, key: string, file: string, ok: (v: number) => boolean, what: string): number | undefined {
  const v = json[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !ok(v)) throw new ConfigError(`${file}: '${key}' must be ${what}, got ${JSON.stringify(v)}`);
  return v;
}

const isId = (v: number) => Number.isInteger(v) && v >= 0;

/**
 * Parse a `generation_config.json` object (or its text).
 *
 * @throws ConfigError naming the field for a value of the wrong type or range.
 * @example
 * ```ts
 * import { parseGenerationConfig } from 'intern-s1-ts';
 * const g = parseGenerationConfig({ do_sample: true, temperature: 0.8, eos_token_id: [151645, 151643] });
 * console.log(g.top_k, g.eos_token_id); // 50 [151645, 151643]
 * ```
 */
export function parseGenerationConfig(input: string | Record<string, unknown>, file = 'generation_config.json'): GenerationConfig {
  let json: unknown = input;
  if (typeof input === 'string') {
    try { json = JSON.parse(input); } catch (e) { throw new ConfigError(`${file}: not valid JSON (${(e as Error).message})`); }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError(`${file}: expected a JSON object`);
  const j = json as Record<string, unknown>;
  const d = HF_GENERATION_DEFAULTS;
  if (j.do_sample !== undefined && typeof j.do_sample !== 'boolean') throw new ConfigError(`${file}: 'do_sample' must be true or false, got ${JSON.stringify(j.do_sample)}`);
  const eosRaw = j.eos_token_id;
  let eos: number[] = [];
  if (typeof eosRaw === 'number') eos = [eosRaw];
  else if (Array.isArray(eosRaw)) eos = eosRaw as number[];
  else if (eosRaw !== undefined && eosRaw !== null) throw new ConfigError(`${file}: 'eos_token_id' must be an id or a list of ids, got ${JSON.stringify(eosRaw)}`);
  for (const id of eos) if (typeof id !== 'number' || !isId(id)) throw new ConfigError(`${file}: 'eos_token_id' holds ${JSON.stringify(id)}, not a token id`);
  return Object.freeze({
    do_sample: (j.do_sample as boolean | undefined) ?? d.do_sample,
    temperature: num(j, 'temperature', file, (v) => Number.isFinite(v) && v > 0, 'a number > 0') ?? d.temperature,
    top_k: num(j, 'top_k', file, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0') ?? d.top_k,
    top_p: num(j, 'top_p', file, (v) => v > 0 && v <= 1, 'a number in (0, 1]') ?? d.top_p,
    min_p: num(j, 'min_p', file, (v) => v >= 0 && v <= 1, 'a number in [0, 1]') ?? d.min_p,
    repetition_penalty: num(j, 'repetition_penalty', file, (v) => Number.isFinite(v) && v > 0, 'a number > 0') ?? d.repetition_penalty,
    eos_token_id: Object.freeze([...eos]),
    bos_token_id: num(j, 'bos_token_id', file, isId, 'a token id') ?? null,
    pad_token_id: num(j, 'pad_token_id', file, isId, 'a token id') ?? null,
    max_new_tokens: num(j, 'max_new_tokens', file, (v) => Number.isInteger(v) && v > 0, 'a positive integer') ?? null,
  });
}

/**
 * The processor options a generation config implies, as transformers builds its processor list:
 * greedy (`temperature: 0`) unless `do_sample`; the warpers only when sampling; the repetition
 * penalty always. `topK` is capped at the vocabulary size (HF does the same with
 * `min(top_k, vocab)`).
 *
 * @example
 * ```ts
 * import { parseGenerationConfig, processorOptionsFromConfig } from 'intern-s1-ts';
 * const o = processorOptionsFromConfig(parseGenerationConfig({ do_sample: true, top_p: 0.95, temperature: 0.8 }), 1000);
 * console.log(o); // { temperature: 0.8, topK: 50, topP: 0.95, minP: 0, repetitionPenalty: 1 }
 * ```
 */
export function processorOptionsFromConfig(g: GenerationConfig, vocab: number): Required<Pick<LogitsProcessorOptions, 'temperature' | 'topK' | 'topP' | 'minP' | 'repetitionPenalty'>> {
  if (!g.do_sample) return { temperature: 0, topK: 0, topP: 1, minP: 0, repetitionPenalty: g.repetition_penalty };
  return { temperature: g.temperature, topK: Math.min(g.top_k, vocab), topP: g.top_p, minP: g.min_p ?? 0, repetitionPenalty: g.repetition_penalty };
}

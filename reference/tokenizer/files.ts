/**
 * Reference reading of a tokenizer folder (tokenizer spec §2), written as plainly as the original
 * loads it: `tokenizer_config.json`, the optional `special_tokens_map.json` and `added_tokens.json`,
 * `vocab.json`, `merges.txt` and the sentencepiece models the flavour names. Added tokens come from
 * `added_tokens_decoder`, else from `added_tokens.json`; each special token from
 * `tokenizer_config.json`, else from `special_tokens_map.json`. No validation beyond JSON
 * parsing: a malformed value fails later or passes through (the fast path checks every field).
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FlavourConfig } from './config.js';

/** One added token of `added_tokens_decoder`. */
export interface AddedTokenInfo {
  /** The token's id. */
  readonly id: number;
  /** The token's text. */
  readonly content: string;
  /** The `special` flag of the file (not the same as "registered special token"). */
  readonly special: boolean;
  /** `lstrip`: whitespace left of the token is removed when splitting (false when absent). */
  readonly lstrip: boolean;
  /** `rstrip`: whitespace right of the token is removed when splitting (false when absent). */
  readonly rstrip: boolean;
  /** `single_word`: the token matches only as a whole word (false when absent). */
  readonly singleWord: boolean;
}

/** The registered special tokens. */
export interface SpecialTokens {
  /** `bos_token`, or null when unset. */
  readonly bos: string | null;
  /** `eos_token`, or null when unset. */
  readonly eos: string | null;
  /** `pad_token`, or null when unset. */
  readonly pad: string | null;
  /** `unk_token`, or null when unset. */
  readonly unk: string | null;
  /** `additional_special_tokens`, in file order. */
  readonly additional: readonly string[];
}

/** The contents of a tokenizer folder. */
export interface TokenizerFiles {
  /** `vocab.json` text. */
  readonly vocab: string;
  /** `merges.txt` text. */
  readonly merges: string;
  /** `tokenizer_config.json` text. */
  readonly tokenizerConfig: string;
  /** `special_tokens_map.json` text, if present. */
  readonly specialTokensMap?: string;
  /** `added_tokens.json` text, if present (used when tokenizer_config.json has no `added_tokens_decoder`). */
  readonly addedTokens?: string;
  /** Sentencepiece model bytes keyed by file name (`tokenizer_SMILES.model`, ...). */
  readonly models: Readonly<Record<string, Uint8Array>>;
}

/** Parse a JSON object, naming the file in the error. */
export function parseJsonFile(text: string, file: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('expected a JSON object');
    return v;
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/** A token given as a string or as an AddedToken object `{"content": ...}`. */
function content(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? v : (v as { content: string }).content;
}

/** Added tokens: `added_tokens_decoder` (id → token), else `added_tokens.json` (token → id); sorted by id. */
export function readAddedTokens(config: Record<string, unknown>, addedTokensJson?: string): AddedTokenInfo[] {
  const added: AddedTokenInfo[] = [];
  if (config.added_tokens_decoder) {
    for (const [id, t] of Object.entries(config.added_tokens_decoder as Record<string, Record<string, unknown>>)) {
      added.push({ id: Number(id), content: t.content as string, special: t.special === true, lstrip: t.lstrip === true, rstrip: t.rstrip === true, singleWord: t.single_word === true });
    }
  } else if (addedTokensJson) {
    for (const [c, id] of Object.entries(parseJsonFile(addedTokensJson, 'added_tokens.json'))) {
      added.push({ id: id as number, content: c, special: false, lstrip: false, rstrip: false, singleWord: false });
    }
  }
  return added.sort((a, b) => a.id - b.id);
}

/** Special tokens: tokenizer_config.json, then special_tokens_map.json for what it lacks. */
export function readSpecialTokens(config: Record<string, unknown>, specialTokensMap?: string): SpecialTokens {
  const map = specialTokensMap ? parseJsonFile(specialTokensMap, 'special_tokens_map.json') : {};
  const pick = (key: string) => content(config[key] ?? map[key]);
  return {
    bos: pick('bos_token'), eos: pick('eos_token'), pad: pick('pad_token'), unk: pick('unk_token'),
    additional: ((config.additional_special_tokens ?? map.additional_special_tokens ?? []) as unknown[]).map((t) => content(t)!),
  };
}

/** Read a tokenizer folder; `flavourOf` picks the flavour from tokenizer_config.json, which names the model files to read. */
export function readTokenizerDir(dir: string, flavourOf: (config: Record<string, unknown>) => FlavourConfig): { files: TokenizerFiles; flavour: FlavourConfig } {
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  const optional = (f: string) => (existsSync(path.join(dir, f)) ? read(f) : undefined);
  const tokenizerConfig = read('tokenizer_config.json');
  const flavour = flavourOf(parseJsonFile(tokenizerConfig, 'tokenizer_config.json'));
  const models: Record<string, Uint8Array> = {};
  for (const d of flavour.domains) models[d.modelFile] = readFileSync(path.join(dir, d.modelFile));
  return {
    flavour,
    files: {
      vocab: read('vocab.json'), merges: read('merges.txt'), tokenizerConfig,
      specialTokensMap: optional('special_tokens_map.json'), addedTokens: optional('added_tokens.json'), models,
    },
  };
}

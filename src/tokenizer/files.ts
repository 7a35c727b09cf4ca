/**
 * Reading a tokenizer folder (tokenizer spec §2): `tokenizer_config.json` (added tokens, special
 * tokens, offsets), the optional `special_tokens_map.json` and `added_tokens.json`, `vocab.json`,
 * `merges.txt` and the sentencepiece models the flavour names. The lookup rules follow
 * transformers: added tokens come from `added_tokens_decoder`, else from `added_tokens.json`; a
 * special token is read from `tokenizer_config.json`, else from `special_tokens_map.json`. Every
 * malformed value is a {@link TokenizerError} naming its file. The reference twin
 * (reference/tokenizer/files.ts) reads the same files with plain reads and no validation.
 * Reading a folder by path (`readTokenizerDir`) is Node only and lives in `read-dir.ts`; the
 * browser readers (URL, a map of Files) in `sources.ts`.
 *
 * @module
 */
import { TokenizerError } from '../errors.js';

/** One added token, as `added_tokens_decoder` describes it. */
export interface AddedTokenInfo {
  /** The token's id. */
  readonly id: number;
  /** The token's text. */
  readonly content: string;
  /** The `special` flag of the file (not the same as "registered special token", spec §1.8). */
  readonly special: boolean;
  /** `lstrip`: whitespace left of the token is removed when splitting (false when absent). */
  readonly lstrip: boolean;
  /** `rstrip`: whitespace right of the token is removed when splitting (false when absent). */
  readonly rstrip: boolean;
  /** `single_word`: the token matches only as a whole word (false when absent). */
  readonly singleWord: boolean;
}

/** The registered special tokens (transformers' `all_special_tokens`). */
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

/** The contents of a tokenizer folder, as text / bytes (so tests can build one in memory). */
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

/** Parse a JSON text, naming the file in the error. */
export function parseJsonFile(text: string, file: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new TokenizerError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TokenizerError(`${file}: expected a JSON object`);
  return v as Record<string, unknown>;
}

function tokenContent(v: unknown, where: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  throw new TokenizerError(`${where}: expected a string or {"content": ...}, found ${JSON.stringify(v)}`);
}

/**
 * Largest token id + 1 a tokenizer file may use (vocab.json, added tokens): 2^26. The decoding
 * tables are indexed by id, so an id of 10^9 would make the loader allocate and walk gigabytes
 * (issue #12 item 8); ids at or above this are a {@link TokenizerError} naming the token.
 */
export const MAX_TOKEN_ID = 2 ** 26;

/** Added tokens from `added_tokens_decoder`, else from `added_tokens.json`; sorted by id. */
export function readAddedTokens(config: Record<string, unknown>, addedTokensJson?: string): AddedTokenInfo[] {
  const out: AddedTokenInfo[] = [];
  const dec = config.added_tokens_decoder;
  if (dec !== undefined) {
    if (dec === null || typeof dec !== 'object' || Array.isArray(dec)) throw new TokenizerError('tokenizer_config.json: added_tokens_decoder must be an object of id → token');
    for (const [k, v] of Object.entries(dec as Record<string, unknown>)) {
      const id = Number(k);
      const t = v as Record<string, unknown>;
      if (!Number.isInteger(id) || id < 0 || !t || typeof t.content !== 'string' || t.content === '') {
        throw new TokenizerError(`tokenizer_config.json: added_tokens_decoder entry ${JSON.stringify(k)} is malformed`);
      }
      if (id >= MAX_TOKEN_ID) throw new TokenizerError(`tokenizer_config.json: added_tokens_decoder entry ${JSON.stringify(k)} has id ${id}, above the limit ${MAX_TOKEN_ID - 1} (MAX_TOKEN_ID)`);
      out.push({ id, content: t.content, special: t.special === true, lstrip: t.lstrip === true, rstrip: t.rstrip === true, singleWord: t.single_word === true });
    }
  } else if (addedTokensJson !== undefined) {
    for (const [content, id] of Object.entries(parseJsonFile(addedTokensJson, 'added_tokens.json'))) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new TokenizerError(`added_tokens.json: ${JSON.stringify(content)} has id ${JSON.stringify(id)}`);
      if (id >= MAX_TOKEN_ID) throw new TokenizerError(`added_tokens.json: ${JSON.stringify(content)} has id ${id}, above the limit ${MAX_TOKEN_ID - 1} (MAX_TOKEN_ID)`);
      out.push({ id, content, special: false, lstrip: false, rstrip: false, singleWord: false });
    }
  }
  return out.sort((a, b) => a.id - b.id);
}

/**
 * Registered special tokens: each key from tokenizer_config.json, or from special_tokens_map.json
 * when tokenizer_config.json lacks it (or has null). A token is a string or an AddedToken object
 * `{"content": ...}`; errors name the file the value came from.
 */
export function readSpecialTokens(config: Record<string, unknown>, specialTokensMap?: string): SpecialTokens {
  const map = specialTokensMap ? parseJsonFile(specialTokensMap, 'special_tokens_map.json') : {};
  const source = (key: string): { value: unknown; where: string } => (config[key] !== undefined && config[key] !== null
    ? { value: config[key], where: `tokenizer_config.json: ${key}` }
    : { value: map[key], where: `special_tokens_map.json: ${key}` });
  const pick = (key: string): string | null => {
    const { value, where } = source(key);
    return tokenContent(value, where);
  };
  const addl = source('additional_special_tokens');
  const list = addl.value ?? [];
  if (!Array.isArray(list)) throw new TokenizerError(`${addl.where} must be an array`);
  return {
    bos: pick('bos_token'),
    eos: pick('eos_token'),
    pad: pick('pad_token'),
    unk: pick('unk_token'),
    additional: list.map((t, i) => tokenContent(t, `${addl.where}[${i}]`)).filter((t): t is string => t !== null),
  };
}

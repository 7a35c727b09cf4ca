/**
 * The options and result types of the Intern-S1 tokenizer, and the choice of flavour from an
 * option and tokenizer_config.json. Shared by the fast path (src/tokenizer/tokenizer.ts) and the
 * reference (reference/tokenizer/tokenizer.ts): plain data with no twin (DESIGN.md).
 *
 * @module
 */
import { nodeHost } from '../platform/host.js';
import { type FlavourConfig, detectFlavour, proFlavour, s1Flavour } from './config.js';
import type { TokenizerFiles } from './files.js';

/** The construction options of `InternS1Tokenizer` (flavour, SMILES validator, cache size). */
export interface InternS1TokenizerOptions {
  /** `'intern-s1-pro'`, `'intern-s1'`, or a full configuration. Default: detected from tokenizer_config.json. */
  flavour?: 'intern-s1-pro' | 'intern-s1' | FlavourConfig;
  /**
   * Replaces the rule-based SMILES legitimacy check (decision 2), e.g. with an RDKit-based one;
   * it receives candidates with ≥ 5 ASCII letters. Cap its input length: RDKit is super-linear.
   */
  smilesValidator?: (candidate: string) => boolean;
  /** Capacity of the BPE pre-token cache of the fast path (default 65536); the reference, which caches nothing, ignores it. */
  cacheSize?: number;
}

/** Options of `tokenize` / `encode`. */
export interface TokenizerEncodeOptions {
  /** Do not split out added tokens: tags become plain text (spec §3). Default: `split_special_tokens` of tokenizer_config.json (false in the released files). */
  splitSpecialTokens?: boolean;
}

/** The options of `decode` (whether to skip the special tokens). */
export interface TokenizerDecodeOptions {
  /** Drop the registered special tokens (bos/eos/pad/unk and additional_special_tokens; transformers v4, decision 3). */
  skipSpecialTokens?: boolean;
}

/**
 * The result of `encode`: one entry per id. `InternS1Tokenizer.encode` builds `tokens` and
 * `domains` the first time they are read (they are enumerable accessor properties, also writable),
 * so that reading only `ids` costs one array.
 */
export interface Encoding {
  /** Token ids in the joint vocabulary. */
  ids: number[];
  /** The token string of each id (byte-level alphabet for BPE tokens, pieces for sentencepiece). */
  tokens: string[];
  /** Which sub-tokenizer produced each id: `'text'` (byte-level BPE), `'added'`, or a domain name (`'SMILES'`, `'PROT'`, …). */
  domains: string[];
}

/** The flavour an option names, or the one tokenizer_config.json describes when none is named. */
export function resolveFlavour(f: InternS1TokenizerOptions['flavour'], config: Record<string, unknown>): FlavourConfig {
  if (f === undefined) return detectFlavour(config);
  if (f === 'intern-s1-pro') return proFlavour(config);
  if (f === 'intern-s1') return s1Flavour();
  return f;
}

/**
 * Read a tokenizer folder by path through the Node host (both trees' `InternS1Tokenizer.fromDir`):
 * its files and the flavour the option names or its tokenizer_config.json describes.
 */
export function readTokenizerFolder(dir: string, opts: InternS1TokenizerOptions = {}): { files: TokenizerFiles; flavour: FlavourConfig } {
  const read = nodeHost('InternS1Tokenizer.fromDir(dir)', 'fromFiles(...(await tokenizerFilesFromSource(url | files)).files)', 'readTokenizerDir');
  return read(dir, (cfg) => resolveFlavour(opts.flavour, cfg));
}

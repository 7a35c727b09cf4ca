/**
 * Reading a tokenizer folder by path (Node only; the browser entry reads URLs and Files through
 * `sources.ts`). The parsing and validation are in `files.ts`.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FileError, TokenizerError } from '../errors.js';
import { refuseSpecialFile } from '../io/fs-safe.js';
import type { FlavourConfig } from './config.js';
import { parseJsonFile, type TokenizerFiles } from './files.js';

/** `refuseSpecialFile` as a TokenizerError: a folder or FIFO where a tokenizer file belongs. */
function refuseSpecial(file: string): void {
  try {
    refuseSpecialFile(file, 'tokenizer file'); // a FIFO would block readFileSync forever
  } catch (e) {
    if (!(e instanceof FileError)) throw e;
    // '<file>: EISDIR ...' like the read errors below
    throw new TokenizerError(e.code === 'EISDIR' ? `${file}: EISDIR: a directory, expected a file` : `${file}: ${e.message.replace(/^tokenizer file '.*?' /, '')}`);
  }
}

function readOptional(file: string): string | undefined {
  refuseSpecial(file);
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TokenizerError(`${file}: ${(e as Error).message}`);
  }
}

function readRequired(file: string): Buffer {
  refuseSpecial(file);
  try {
    return readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TokenizerError(code === 'ENOENT' ? `${file}: file not found` : `${file}: ${(e as Error).message}`);
  }
}

/**
 * Read a tokenizer folder into {@link TokenizerFiles}. `flavourOf` picks the flavour from the
 * parsed tokenizer_config.json, so that only the model files it names are read.
 */
export function readTokenizerDir(dir: string, flavourOf: (config: Record<string, unknown>) => FlavourConfig): { files: TokenizerFiles; flavour: FlavourConfig } {
  const tokenizerConfig = readRequired(path.join(dir, 'tokenizer_config.json')).toString('utf8');
  const flavour = flavourOf(parseJsonFile(tokenizerConfig, path.join(dir, 'tokenizer_config.json')));
  const models: Record<string, Uint8Array> = {};
  for (const d of flavour.domains) models[d.modelFile] = readRequired(path.join(dir, d.modelFile));
  return {
    flavour,
    files: {
      vocab: readRequired(path.join(dir, 'vocab.json')).toString('utf8'),
      merges: readRequired(path.join(dir, 'merges.txt')).toString('utf8'),
      tokenizerConfig,
      specialTokensMap: readOptional(path.join(dir, 'special_tokens_map.json')),
      addedTokens: readOptional(path.join(dir, 'added_tokens.json')),
      models,
    },
  };
}

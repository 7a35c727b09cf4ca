/**
 * Tokenizer folders from a base URL, a map of Blobs or picked `File`s (the browser twin of
 * `readTokenizerDir`, which reads a folder by path in Node). The same files are read, with the
 * same rules: `tokenizer_config.json`, `vocab.json`, `merges.txt` and the sentencepiece models of
 * the flavour are required; `special_tokens_map.json` and `added_tokens.json` are optional.
 *
 * @module
 */
import { TokenizerError } from '../errors.js';
import { type FolderSource, folderOf } from '../io/remote-checkpoint.js';
import type { UrlOptions } from '../io/remote.js';
import { detectFlavour, type FlavourConfig } from './config.js';
import { parseJsonFile, type TokenizerFiles } from './files.js';

/**
 * Read a tokenizer folder from a URL or from files into {@link TokenizerFiles}, for
 * `InternS1Tokenizer.fromFiles`. `flavourOf` picks the flavour from tokenizer_config.json
 * (default: detected), so that only the sentencepiece models it names are downloaded.
 *
 * @throws TokenizerError naming a missing required file.
 * @example
 * ```ts
 * import { readdirSync, readFileSync } from 'node:fs';
 * import { InternS1Tokenizer, tokenizerFilesFromSource } from 'intern-s1-ts';
 * const dir = process.env.INTERN_S1_PRO_FILES; // a tokenizer folder; in a page: a URL or picked Files
 * if (dir) {
 *   const picked = readdirSync(dir).map((f) => new File([readFileSync(`${dir}/${f}`)], f));
 *   const { files, flavour } = await tokenizerFilesFromSource(picked);
 *   const tok = InternS1Tokenizer.fromFiles(files, { flavour });
 *   console.log(tok.decode(tok.encode('C1=CC=CC=C1').ids)); // => 'C1=CC=CC=C1'
 * }
 * ```
 */
export async function tokenizerFilesFromSource(
  source: FolderSource, flavourOf: (config: Record<string, unknown>) => FlavourConfig = detectFlavour, opts: UrlOptions = {},
): Promise<{
  /** The files' contents, for `InternS1Tokenizer.fromFiles`. */
  files: TokenizerFiles;
  /** The flavour `flavourOf` picked. */
  flavour: FlavourConfig;
}> {
  const folder = folderOf(source, opts);
  const required = async (name: string): Promise<string> => {
    const t = await folder.text(name);
    if (t === undefined) throw new TokenizerError(`${folder.location}${name}: file not found`);
    return t;
  };
  const tokenizerConfig = await required('tokenizer_config.json');
  const flavour = flavourOf(parseJsonFile(tokenizerConfig, `${folder.location}tokenizer_config.json`));
  const models: Record<string, Uint8Array> = {};
  await Promise.all(flavour.domains.map(async (d) => {
    const r = await folder.open(d.modelFile);
    if (!r) throw new TokenizerError(`${folder.location}${d.modelFile}: file not found`);
    models[d.modelFile] = await r.read(0, r.size);
  }));
  const [vocab, merges, specialTokensMap, addedTokens] = await Promise.all([
    required('vocab.json'), required('merges.txt'), folder.text('special_tokens_map.json'), folder.text('added_tokens.json'),
  ]);
  return { flavour, files: { vocab, merges, tokenizerConfig, specialTokensMap, addedTokens, models } };
}

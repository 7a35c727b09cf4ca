/**
 * `intern-s1 detokenize <tokenizer-dir>`: ids (a JSON array on standard input) back to text.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { TokenizerError } from '../../errors.js';
import { type Command, UsageError, readAll } from '../command.js';
import { loadTokenizer } from './tokenize.js';

/** Parse `[1, 2, 3]` or the `{"ids": [...]}` object that `tokenize --json` prints. */
export function parseIds(text: string): number[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new TokenizerError(`detokenize: the input is not JSON (${(e as Error).message})`);
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Array.isArray((v as { ids?: unknown }).ids)) v = (v as { ids: unknown }).ids;
  if (!Array.isArray(v)) throw new TokenizerError('detokenize: expected a JSON array of token ids (or {"ids": [...]})');
  v.forEach((id, i) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new TokenizerError(`detokenize: element ${i} is ${JSON.stringify(id)}, expected a non-negative integer id`);
  });
  return v as number[];
}

/** `intern-s1 detokenize`. */
export const detokenize: Command = {
  name: 'detokenize',
  summary: 'turn a JSON array of token ids (standard input) back into text',
  help: `Usage: intern-s1 detokenize <tokenizer-dir> [IDS] [--skip-special-tokens] [--flavour pro|s1]

Reads a JSON array of token ids from standard input (or IDS), or the object printed by
'intern-s1 tokenize --json', and prints the decoded text. The text is written exactly, without an
added newline, unless standard output is a terminal.

Options:
  --skip-special-tokens   drop the registered special tokens (bos/eos/pad/unk and additional_special_tokens)
  --flavour pro|s1        override the flavour detected from tokenizer_config.json

Examples:
  echo '[9707, 1879]' | intern-s1 detokenize ./Intern-S1-Pro
  intern-s1 tokenize ./Intern-S1-Pro 'C1=CC=CC=C1O' --json | intern-s1 detokenize ./Intern-S1-Pro`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { 'skip-special-tokens': { type: 'boolean' }, flavour: { type: 'string' } },
    });
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError('detokenize needs <tokenizer-dir> (ids on standard input, or one IDS argument)');
    const ids = parseIds(positionals.length === 2 ? positionals[1] : await readAll(io.stdin));
    const tok = loadTokenizer(positionals[0], values.flavour);
    const text = tok.decode(ids, { skipSpecialTokens: values['skip-special-tokens'] === true });
    io.stdout.write(io.stdout.isTTY ? text + '\n' : text);
    return 0;
  },
};

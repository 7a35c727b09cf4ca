/**
 * Decoding generated ids that the tokenizer may not spell (issue #12 item 11, issue #17 item 2).
 * A model's `vocab_size` is often larger than its tokenizer (padding rows: the tiny Pro checkpoint
 * has 155008 rows for a tokenizer with fewer ids), so a sampled id can have no token. Decision:
 * such an id is shown as the visible placeholder `<unk:ID>` rather than dropped, so that the output
 * shows where the model produced it; the ids themselves stay exact in every result.
 *
 * @module
 */
import type { TokenizerDecodeOptions } from '../tokenizer/options.js';
import type { InternS1Tokenizer } from '../tokenizer/tokenizer.js';

/**
 * `tokenizer.decode(ids, opts)`, except that each id the tokenizer has no token for is spelled
 * `<unk:ID>` instead of throwing; the runs of known ids between them are decoded as usual.
 */
export function decodeLenient(tokenizer: InternS1Tokenizer, ids: readonly number[], opts: TokenizerDecodeOptions = {}): string {
  let out = '';
  let run: number[] = [];
  for (const id of ids) {
    if (tokenizer.idToToken(id) !== undefined) {
      run.push(id);
      continue;
    }
    if (run.length) out += tokenizer.decode(run, opts);
    run = [];
    out += `<unk:${id}>`;
  }
  return run.length ? out + tokenizer.decode(run, opts) : out;
}

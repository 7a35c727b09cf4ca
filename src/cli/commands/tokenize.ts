/**
 * `intern-s1 tokenize <tokenizer-dir> [TEXT]`: show how the dynamic tokenizer splits a text,
 * with the sub-tokenizer behind each piece.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { TokenizerError } from '../../errors.js';
import { InternS1Tokenizer } from '../../tokenizer/tokenizer.js';
import { type Command, UsageError, println, readAll } from '../command.js';
import { choiceFlag } from '../flags.js';
import { DOMAIN_COLOURS, RESET, readableToken } from '../show.js';

/** Load a tokenizer folder for a CLI command (`--flavour pro|s1` overrides the detection). */
export function loadTokenizer(dir: string, flavour: string | undefined): InternS1Tokenizer {
  const f = choiceFlag('flavour', flavour, ['pro', 's1']);
  return InternS1Tokenizer.fromDir(dir, { flavour: f === 'pro' ? 'intern-s1-pro' : f === 's1' ? 'intern-s1' : undefined });
}

/** `intern-s1 tokenize`. */
export const tokenize: Command = {
  name: 'tokenize',
  summary: 'split text with the dynamic tokenizer and show which sub-tokenizer made each piece',
  help: `Usage: intern-s1 tokenize <tokenizer-dir> [TEXT] [--json] [--split-special-tokens] [--flavour pro|s1]

Tokenizes TEXT (or standard input when TEXT is not given) with the Intern-S1 dynamic tokenizer
of <tokenizer-dir> (vocab.json, merges.txt, tokenizer_config.json and the sentencepiece .model
files of the checkpoint). Prints one line per token: position, id, the sub-tokenizer that
produced it (text = byte-level BPE, added = added/special token, or SMILES / PROT / XNA / IUPAC /
FASTA), the token string and the text it stands for. Auto-detection markers, which have no id,
are shown as 'marker' lines. Colours are used only when standard output is a terminal.

Options:
  --json                    print one object {"ids": [...], "tokens": [...], "domains": [...]}
  --split-special-tokens    do not treat added tokens (tags) in the text as special
  --flavour pro|s1          override the flavour detected from tokenizer_config.json

Examples:
  intern-s1 tokenize ./Intern-S1-Pro 'Describe C1=CC=C(C=C1)C=O'
  echo '<protein>MKTAYIAKQR</protein>' | intern-s1 tokenize ./Intern-S1-Pro --json`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, 'split-special-tokens': { type: 'boolean' }, flavour: { type: 'string' } },
    });
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError('tokenize needs <tokenizer-dir> and at most one TEXT argument (or text on standard input)');
    const tok = loadTokenizer(positionals[0], values.flavour);
    const text = positionals.length === 2 ? positionals[1] : await readAll(io.stdin);
    const opts = { splitSpecialTokens: values['split-special-tokens'] === true };
    const enc = tok.encode(text, opts);
    if (values.json) {
      println(io.stdout, JSON.stringify({ ids: enc.ids, tokens: enc.tokens, domains: enc.domains }));
      return 0;
    }
    const colour = io.stdout.isTTY === true;
    const markers = new Set(tok.flavour.domains.flatMap((d) => (d.autoMarkers ? [...d.autoMarkers] : [])));
    const withMarkers = tok.tokenize(text, opts);
    // a loop, not Math.max(...ids): spreading 200k+ ids overflows the call stack (issue #12 item 2)
    let maxId = 0;
    for (const id of enc.ids) if (id > maxId) maxId = id;
    const width = String(maxId).length;
    let k = 0;
    for (const t of withMarkers) {
      const isMarker = markers.has(t) && enc.tokens[k] !== t;
      const domain = isMarker ? 'marker' : enc.domains[k];
      const id = isMarker ? '-' : String(enc.ids[k]);
      const pos = isMarker ? '' : String(k);
      if (!isMarker) k++;
      const c = colour ? DOMAIN_COLOURS[domain] ?? '\x1b[1m' : '';
      const line = `${pos.padStart(6)}  ${id.padStart(width)}  ${domain.padEnd(7)} ${JSON.stringify(t)}${isMarker ? '' : `  ${JSON.stringify(readableToken(t, domain))}`}`;
      println(io.stdout, colour ? `${c}${line}${RESET}` : line);
    }
    if (k !== enc.ids.length) throw new TokenizerError('tokenize: internal error, token and id streams differ');
    const counts = new Map<string, number>();
    for (const d of enc.domains) counts.set(d, (counts.get(d) ?? 0) + 1);
    println(io.stdout, `${enc.ids.length} tokens: ${[...counts].map(([d, n]) => `${d} ${n}`).join(', ') || 'none'}`);
    return 0;
  },
};
